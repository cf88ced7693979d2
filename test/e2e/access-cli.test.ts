/**
 * The CLI against a hub with a token and a password-protected room, spawned as users run it:
 * --token / $GAMBI_HUB_TOKEN on create, list and the pickers; gambi join's status line still
 * counts requests in a protected room; gambi chat sends --password (or asks for it in a
 * terminal, again when it is wrong). Neither secret is ever printed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { KEY, spawnInTerminal } from "../helpers/pty.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const TOKEN = "hub-tok-cli-52e1c9";
const PASSWORD = "room-pw-cli-0a7d33";
const fixture = (name: string) => splitEvents(loadFixtures().find((f) => f.name === name)!.bytes);

let hub: TestHub;
let upstream: FakeUpstream;
let code: string;
/** Everything every spawned CLI printed, checked for the secrets at the end. */
const printed: string[] = [];

beforeAll(async () => {
  hub = startTestHub({ token: TOKEN });
  upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle((req) => sseResponse(fixture(new URL(req.url).pathname.endsWith("/responses") ? "responses/openai-text.sse" : "chat/openai-text-usage.sse")));
  const res = await hub.post("/rooms", { name: "locked", password: PASSWORD }, { authorization: `Bearer ${TOKEN}` });
  code = ((await res.json()) as { room: { code: string } }).room.code;
  expect((await hub.join(code, { id: "p1", nickname: "alice", model: "m", endpoint: upstream.url, password: PASSWORD })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

function env(extra: Record<string, string> = {}) {
  const { GAMBI_HUB_TOKEN: _t, GAMBI_HUB_URL: _u, ...rest } = process.env;
  return { ...rest, NO_COLOR: "1", GAMBI_HUB_URL: hub.url, ...extra };
}

async function run(args: string[], extra: Record<string, string> = {}) {
  const p = Bun.spawn([process.execPath, CLI, ...args], { env: env(extra), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exit] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  printed.push(stdout, stderr);
  return { stdout, stderr, exit, all: stdout + stderr };
}

test("create and list: --token or $GAMBI_HUB_TOKEN; without it, exit 4 and the hub's reason", async () => {
  const refused = await run(["create", "--name", "t", "--no-interactive"]);
  expect(refused.exit).toBe(4);
  expect(refused.all).toContain("requires a token");
  const wrong = await run(["list", "--token", "not-it-4411"]);
  expect(wrong.exit).toBe(4);
  expect(wrong.all).toContain("wrong hub token");
  expect(wrong.all).not.toContain("not-it-4411");

  const created = await run(["create", "--name", "tokened", "--token", TOKEN, "--no-interactive"]);
  expect(created.exit).toBe(0);
  const newCode = created.stdout.trim().split("\n")[0]!;
  const listed = await run(["list", "--json"], { GAMBI_HUB_TOKEN: TOKEN });
  expect(listed.exit).toBe(0);
  expect(JSON.parse(listed.stdout).map((r: { code: string }) => r.code)).toEqual([code, newCode]);
  expect((await run(["list"], { GAMBI_HUB_TOKEN: TOKEN })).stdout).toContain(`${code}  locked  1 participant  (password)`);
});

test("join in a protected room: the status line (one log line per request off a terminal) still counts requests", async () => {
  const p = Bun.spawn([process.execPath, CLI, "join", "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "bob", "--password", PASSWORD, "--no-interactive"], {
    env: env(),
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { text: "" };
  for (const s of [p.stdout, p.stderr]) void (async () => { for await (const c of s) out.text += new TextDecoder().decode(c); })();
  try {
    const room = () => hub.hub.ctx.registry.find(code)!;
    expect(await waitFor(() => room().participants.size === 2, 10_000)).toBe(true);
    const bob = [...room().participants.values()].find((x) => x.nickname === "bob")!;
    // Subscribed (it needed the password for that), then one request that only bob can serve.
    expect(await waitFor(() => hub.hub.ctx.bus.watched(code), 10_000)).toBe(true);
    const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: bob.id, stream: true, messages: [{ role: "user", content: "hi" }] }, { authorization: `Bearer ${PASSWORD}` });
    expect(res.status).toBe(200);
    await res.text();
    expect(await waitFor(() => out.text.includes("served a chat request"), 10_000)).toBe(true);
    expect(out.text).not.toContain("refused");
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    printed.push(out.text);
  }
});

test("chat --password streams the answer; without it or wrong: exit 4 naming the flag", async () => {
  const ok = await run(["chat", "--code", code, "--password", PASSWORD, "hello"]);
  expect(ok.exit).toBe(0);
  expect(ok.stdout).toBe("Oi!\n");
  // The summary names the participant: the participants lookup sent the password too.
  expect(ok.stderr).toContain("— alice (m)");

  const missing = await run(["chat", "--code", code, "hello"]);
  expect(missing.exit).toBe(4);
  expect(missing.all).toContain(`room ${code} is password-protected: give its password with --password`);
  const wrong = await run(["chat", "--code", code, "--password", "nope-7781", "hello"]);
  expect(wrong.exit).toBe(4);
  expect(wrong.all).toContain(`wrong password for room ${code}`);
  expect(wrong.all).not.toContain("nope-7781");
});

test("join without the password or with a wrong one: exit 4 naming the flag, not the API's body field", async () => {
  const base = ["join", "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "carol", "--no-interactive"];
  const missing = await run(base);
  expect(missing.exit).toBe(4);
  expect(missing.all).toContain(`room ${code} is password-protected: give its password with --password`);
  const wrong = await run([...base, "--password", "nope-5521"]);
  expect(wrong.exit).toBe(4);
  expect(wrong.all).toContain(`wrong password for room ${code} (--password)`);
  expect(wrong.all).not.toContain("nope-5521");
  for (const tunnel of [false, true]) {
    const refused = await run([...base, ...(tunnel ? ["--tunnel"] : [])]);
    expect({ tunnel, exit: refused.exit, said: refused.all.includes("--password") }).toEqual({ tunnel, exit: 4, said: true });
  }
});

test("chat in a terminal: the room picker uses the token; the password is asked, again when wrong", async () => {
  const t = spawnInTerminal([process.execPath, CLI, "chat", "--hub", hub.url, "--token", TOKEN], { ...env(), TERM: "xterm-256color" });
  try {
    await t.expect("Which room?");
    await t.expect(`${code}  locked`);
    t.type(KEY.enter);
    await t.expect(`Password for room ${code}`);
    t.type("wrong-one" + KEY.enter);
    await t.expect(`wrong password for room ${code}`);
    await t.expect(`Password for room ${code}`);
    t.type(PASSWORD + KEY.enter);
    await t.expect("an empty line or Ctrl-D ends");
    t.type("hello" + KEY.enter);
    await t.expect("— alice (m) · TTFT");
    t.type(KEY.enter);
    expect(await t.proc.exited).toBe(0);
  } finally {
    await t.close();
    printed.push(t.raw());
  }
  expect(t.raw()).not.toContain(PASSWORD);
});

test("no CLI output and no hub log line ever carried the token or the password", () => {
  expect(printed.length).toBeGreaterThan(10);
  for (const text of [...printed, ...hub.logs]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
  }
});
