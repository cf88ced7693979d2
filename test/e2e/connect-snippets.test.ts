/**
 * The web page's Connect snippets for Anthropic clients, run as a reader would paste them,
 * against a real hub (port 0) and a password-protected room whose one participant speaks only
 * Chat Completions: the JavaScript snippet (Anthropic's SDK) as a file run by Bun, and the
 * Claude Code one as shell lines (`export …`, then `claude`, here with `-p`). Both get the
 * participant's answer with the base URL the page gives (no `/v1`) and the password from
 * `$GAMBI_ROOM_PASSWORD`, which never reaches the participant. The snippets' text comes from
 * `src/web/snippets.ts`, the function the page renders.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { snippets } from "../../src/web/snippets.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { chatBotAnswer, chatBotBehindPassword } from "../helpers/chat-bot.ts";
import { CLAUDE, claudeUnavailable, OFFLINE_ENV } from "../helpers/claude-code.ts";

const PASSWORD = "snippet-room-pw-3e9b";
const ROOT = resolve(import.meta.dir, "../..");
let hub: TestHub;
let upstream: FakeUpstream;
let code: string;
let dir: string;

beforeAll(async () => {
  hub = startTestHub();
  ({ code, upstream } = await chatBotBehindPassword(hub, PASSWORD));
  dir = tempDir("snippets");
  // The snippet imports "@anthropic-ai/sdk" as a reader's project would: from its node_modules.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

const snippet = (id: string) => snippets({ origin: hub.url, code, models: ["bot"], passwordProtected: true }).find((s) => s.id === id)!.text;

test("the JavaScript (anthropic) snippet runs as pasted and streams the participant's answer", async () => {
  const file = join(dir, "anthropic.mjs");
  writeFileSync(file, snippet("anthropic-js"));
  const proc = Bun.spawn([process.execPath, file], { cwd: dir, env: { PATH: process.env.PATH, GAMBI_ROOM_PASSWORD: PASSWORD }, stdout: "pipe", stderr: "pipe" });
  const [out, err, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ exit, err }).toEqual({ exit: 0, err: "" });
  expect(out).toBe("turn 1: Hello!");
  expect(upstream.inference().at(-1)!.path).toBe("/v1/chat/completions");
  expect(upstream.inference().every((r) => !JSON.stringify(r).includes(PASSWORD))).toBe(true);

  // Without the password the same snippet fails with the hub's 401, not an answer.
  const denied = Bun.spawn([process.execPath, file], { cwd: dir, env: { PATH: process.env.PATH, GAMBI_ROOM_PASSWORD: "wrong" }, stdout: "pipe", stderr: "pipe" });
  const [deniedErr, deniedExit] = await Promise.all([new Response(denied.stderr).text(), denied.exited]);
  expect(deniedExit).not.toBe(0);
  expect(deniedErr).toContain("401");
});

/** The environment the Claude Code snippet's `export` lines make, as a shell evaluates them. */
function snippetEnvironment(): Record<string, string> {
  const lines = snippet("claude-code").split("\n");
  expect(lines.at(-1)).toBe("claude");
  const script = `${lines.slice(0, -1).join("\n")}\nenv | grep '^ANTHROPIC_'`;
  const run = Bun.spawnSync(["sh", "-c", script], { env: { PATH: process.env.PATH, GAMBI_ROOM_PASSWORD: PASSWORD } });
  expect(run.exitCode).toBe(0);
  return Object.fromEntries(
    run.stdout
      .toString()
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

test("the Claude Code snippet's variables, as a shell sets them", () => {
  expect(snippetEnvironment()).toEqual({
    ANTHROPIC_BASE_URL: `${hub.url}/rooms/${code}`,
    ANTHROPIC_AUTH_TOKEN: PASSWORD,
    ANTHROPIC_MODEL: "bot",
    ANTHROPIC_DEFAULT_HAIKU_MODEL: "bot",
  });
});

const skipHome = tempDir("claude-version");
const skip = claudeUnavailable({ ...OFFLINE_ENV, HOME: skipHome }, skipHome);
rmSync(skipHome, { recursive: true, force: true });

test.skipIf(skip !== undefined)(`claude -p with only the snippet's variables (a bearer token, no API key) answers from the protected room${skip ? ` (skipped: ${skip})` : ""}`, async () => {
  const home = tempDir("snippet-claude");
  try {
    const before = upstream.inference().length;
    const proc = Bun.spawn([CLAUDE, "-p", "Hello from the snippet", "--output-format", "json"], {
      cwd: home,
      env: { ...OFFLINE_ENV, HOME: home, ...snippetEnvironment() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const deadline = setTimeout(() => proc.kill(), 90_000);
    const [out, err, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(deadline);
    if (exit !== 0) throw new Error(`claude exited ${exit}\nstdout: ${out.slice(0, 2000)}\nstderr: ${err.slice(0, 2000)}`);
    const result = JSON.parse(out) as { is_error: boolean; result: string };
    expect(result.is_error).toBe(false);
    // The chat bot answers "turn N: <the last user text>": Claude Code's prompt reached it through the room.
    expect(result.result).toMatch(/^turn \d+: /);
    expect(result.result).toContain("Hello from the snippet");
    expect(upstream.inference().length).toBeGreaterThan(before);
    expect(upstream.inference().every((r) => !JSON.stringify(r).includes(PASSWORD))).toBe(true);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 120_000);

/**
 * An open room's snippets say the key may be anything. They must still run as pasted: each
 * JavaScript one as a file run by Bun against an open room of the chat bot, and each Python
 * one at least parsed by Python (its packages are not installed here).
 */
test("an open room's snippets are valid code: the JavaScript ones run as pasted, the Python ones parse", async () => {
  const open = startFakeUpstream({ models: ["bot"], chat: true, responses: false });
  open.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
  try {
    const openCode = await hub.createRoom({ name: "open" });
    const joined = await hub.join(openCode, { id: "p1", nickname: "p1", model: "bot", endpoint: open.url });
    expect(joined.status).toBe(201);
    const all = snippets({ origin: hub.url, code: openCode, models: ["bot"], passwordProtected: false });
    for (const id of ["js", "ai-sdk", "anthropic-js"]) {
      const file = join(dir, `open-${id}.mjs`);
      writeFileSync(file, all.find((s) => s.id === id)!.text);
      const proc = Bun.spawn([process.execPath, file], { cwd: dir, env: { PATH: process.env.PATH }, stdout: "pipe", stderr: "pipe" });
      const [out, err, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect({ id, exit, err: err.slice(0, 500) }).toEqual({ id, exit: 0, err: "" });
      expect({ id, out }).toEqual({ id, out: "turn 1: Hello!" });
    }
    const python = Bun.which("python3");
    if (python) {
      for (const id of ["python", "langchain", "anthropic-python"]) {
        const parse = Bun.spawnSync([python, "-c", "import ast, sys; ast.parse(sys.stdin.read())"], { stdin: new TextEncoder().encode(all.find((s) => s.id === id)!.text), stderr: "pipe" });
        expect({ id, exit: parse.exitCode, err: parse.stderr.toString().trim().split("\n").at(-1) }).toEqual({ id, exit: 0, err: "" });
      }
    }
  } finally {
    await open.stop();
  }
}, 60_000);
