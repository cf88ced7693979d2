/** The CLI as users run it: spawned processes against a real hub and a fake endpoint. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const SECRET = "Bearer sk-cli-canary-5e6f7a";
let hub: TestHub;
let upstream: FakeUpstream;

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: SECRET } });
  upstream.handle(() => Response.json({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "pong" } }] }));
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

function gambi(args: string[], env: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, CLI, ...args], { env: { ...process.env, NO_COLOR: "1", GAMBI_HUB_URL: hub.url, ...env }, stdout: "pipe", stderr: "pipe" });
}

async function run(args: string[], env: Record<string, string> = {}) {
  const p = gambi(args, env);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code, all: stdout + stderr };
}

test("create prints a code; list shows it; --json is parseable", async () => {
  const created = await run(["create", "--name", "cli room"]);
  expect(created.code).toBe(0);
  const code = created.stdout.trim().split("\n")[0]!;
  expect(code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
  const listed = await run(["list", "--json"]);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).find((r: any) => r.code === code)).toMatchObject({ name: "cli room", participantCount: 0 });
  const human = await run(["list"]);
  expect(human.stdout).toContain(`${code}  cli room  0 participants`);
});

test("join --header-env: the endpoint gets the header through the hub; SIGTERM leaves the room", async () => {
  const code = await hub.createRoom({ name: "join room" });
  const p = gambi(["join", "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "cli-bot", "--header-env", "Authorization=TEST_OR_AUTH", "--header", "HTTP-Referer=https://my-app.example"], {
    TEST_OR_AUTH: SECRET,
  });
  const room = () => hub.hub.ctx.registry.find(code)!;
  expect(await waitFor(() => room().participants.size === 1, 10_000)).toBe(true);
  const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "ping" }] });
  expect(res.status).toBe(200);
  const sent = upstream.inference().at(-1)!;
  expect(sent.headers.authorization).toBe(SECRET);
  expect(sent.headers["http-referer"]).toBe("https://my-app.example");

  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(room().participants.size).toBe(0);
  const output = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  expect(output).toContain("joined room");
  expect(output).not.toContain("sk-cli-canary");
});

test("exit codes: usage 2, unreachable hub 3, rejected credentials 4", async () => {
  const noCode = await run(["join", "--model", "m"]);
  expect(noCode.code).toBe(2);
  expect(noCode.all).toContain("--code is required");

  const noVar = await run(["join", "--code", "AAAAAA", "--model", "m", "--header-env", "Authorization=GAMBI_TEST_UNSET_VAR"]);
  expect(noVar.code).toBe(2);
  expect(noVar.all).toContain("GAMBI_TEST_UNSET_VAR is not set");

  const badHeader = await run(["join", "--code", "AAAAAA", "--model", "m", "--header", "Authorization"]);
  expect(badHeader.code).toBe(2);
  expect(badHeader.all).toContain("Name=Value");

  const down = await run(["list", "--hub", "http://127.0.0.1:9"]);
  expect(down.code).toBe(3);
  expect(down.all).toContain("cannot reach the hub");

  const wrongKey = await run(["join", "--code", "AAAAAA", "--endpoint", upstream.url, "--model", "m", "--header", "Authorization=Bearer sk-wrong-key-123"]);
  expect(wrongKey.code).toBe(4);
  expect(wrongKey.all).toContain('"Authorization"');
  expect(wrongKey.all).not.toContain("sk-wrong-key-123");

  const noRoom = await run(["join", "--code", "ZZZZZZ", "--endpoint", upstream.url, "--model", "m", "--header-env", "Authorization=K"], { K: SECRET });
  expect(noRoom.code).toBe(4);
  expect(noRoom.all).toContain("does not exist");
});

test("help piped into another program or a file is plain text, with no colour codes", async () => {
  // No NO_COLOR, CI or TEST: what a user's shell has. citty colours unless one of them is set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["NO_COLOR", "CI", "TEST", "FORCE_COLOR"].includes(k))) as Record<string, string>;
  for (const args of [["--help"], ["hub", "--help"], ["join", "--help"]]) {
    const p = Bun.spawn([process.execPath, CLI, ...args], { env: { ...env, TERM: "xterm-256color" }, stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    expect(out).toContain("USAGE");
    expect(out).not.toContain("\x1b[");
  }
});

test("--version and --help", async () => {
  const pkg = await Bun.file(resolve(import.meta.dir, "../../package.json")).json();
  const version = await run(["--version"]);
  expect(version.stdout.trim()).toBe(pkg.version);
  const help = await run(["join", "--help"]);
  expect(help.all).toContain("--header-env");
});

test("create saves the room's hostId (0600); rooms delete uses it, the room is gone and the entry dropped", async () => {
  const { mkdtempSync, readFileSync, statSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const config = mkdtempSync(join(tmpdir(), "gambi-cli-rooms-"));
  const env = { XDG_CONFIG_HOME: config };
  try {
    const created = await run(["create", "--name", "short-lived"], env);
    expect(created.code).toBe(0);
    const code = created.stdout.trim().split("\n")[0]!;
    expect(created.all).toContain(`gambi rooms delete ${code}`);
    const file = join(config, "gambi", "config.json");
    const saved = JSON.parse(readFileSync(file, "utf8"));
    expect(saved.rooms).toEqual([{ hub: hub.url, code, name: "short-lived", hostId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The hostId is a secret: create prints it only with --json.
    expect(created.all).not.toContain(saved.rooms[0].hostId);

    // Someone without it (another config folder, no hub token) is told what would work.
    const stranger = await run(["rooms", "delete", code], { XDG_CONFIG_HOME: join(config, "elsewhere") });
    expect(stranger.code).toBe(2);
    expect(stranger.all).toContain(`no credential for deleting room ${code}`);
    expect(stranger.all).toContain("--host-id");
    const wrong = await run(["delete", code, "--host-id", "not-it"], env);
    expect(wrong.code).toBe(4); // rejected by the hub
    expect(wrong.all).toContain(`wrong credential for deleting room ${code}`);
    expect(hub.hub.ctx.registry.find(code)).toBeDefined();

    const deleted = await run(["rooms", "delete", code.toLowerCase()], env);
    expect(deleted.code).toBe(0);
    expect(deleted.all).toContain(`room ${code} deleted`);
    expect(hub.hub.ctx.registry.find(code)).toBeUndefined();
    expect(JSON.parse(readFileSync(file, "utf8")).rooms).toEqual([]);
    expect(deleted.all).not.toContain(saved.rooms[0].hostId);
    // Again: its credential went with it, and the room is said to be gone, not the credential missing.
    const again = await run(["rooms", "delete", code], env);
    expect(again.code).not.toBe(0);
    expect(again.all).toContain(code);
    expect(again.all).not.toContain("no credential");
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
});
