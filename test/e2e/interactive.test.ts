/**
 * The prompts, driven through a real pseudo-terminal as a person would. `gambi join` with no
 * flags: pick
 * the room, a custom endpoint, type the API key into the hidden prompt, pick the model, name,
 * room password, save a profile. The key must reach the endpoint through the hub and never be
 * drawn on the terminal or written to any file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { KEY, spawnInTerminal } from "../helpers/pty.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const KEY_TYPED = "sk-pty-canary-8c1d2e3f";
const ROOM_PASSWORD = "room-pass-4b5a";
let hub: TestHub;
let upstream: FakeUpstream;
let home: string;

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["pty-model", "other-model"], requireHeader: { name: "authorization", value: `Bearer ${KEY_TYPED}` } });
  upstream.handle(() => Response.json({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "pong" } }] }));
  home = mkdtempSync(join(tmpdir(), "gambi-pty-"));
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
  rmSync(home, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function env(extra: Record<string, string> = {}) {
  // No transpiler cache under HOME: every file there is one the CLI wrote.
  const { GAMBI_HUB_URL: _unused, ...rest } = process.env;
  return { ...rest, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), TERM: "xterm-256color", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", ...extra };
}

test("interactive join: hidden key reaches the endpoint, is never shown, never saved", async () => {
  const code = await hub.createRoom({ name: "pty room", password: ROOM_PASSWORD });
  const t = spawnInTerminal([process.execPath, CLI, "join", "--hub", hub.url], env());
  try {
    await t.expect(`${code}  pty room`);
    t.type(KEY.enter);
    await t.expect("Where does your model run?");
    t.type(KEY.down.repeat(10) + KEY.enter); // the eleventh choice: Custom URL
    await t.expect("Base URL");
    t.type(upstream.url + KEY.enter);
    await t.expect("Add an auth header");
    t.type("y");
    await t.expect("Header name");
    t.type(KEY.enter); // Authorization, the default
    await t.expect("Type it (hidden)");
    t.type(KEY.enter);
    await t.expect("(input hidden)");
    t.type(KEY_TYPED + KEY.enter); // a bare key: the CLI adds "Bearer "
    await t.expect("Add another header?");
    t.type(KEY.enter);
    await t.expect("speaks");
    await t.expect("other-model");
    // The first model starts picked; space picks the second too, enter confirms both.
    t.type(KEY.down);
    t.type(" ");
    t.type(KEY.enter);
    await t.expect("Your name in the room");
    t.type("pty-bot" + KEY.enter);
    await t.expect(`Password for room ${code}`);
    t.type(ROOM_PASSWORD + KEY.enter);
    await t.expect("Save these settings as a profile?");
    t.type("y");
    await t.expect("Profile name");
    t.type(KEY.enter);
    await t.expect(`joined room ${code} as pty-bot`);

    const room = () => hub.hub.ctx.registry.find(code)!;
    expect(await waitFor(() => room().participants.size === 1, 10_000)).toBe(true);
    expect([...room().participants.values()][0]!.models).toEqual(["pty-model", "other-model"]);
    // The status line subscribes to the events after the join: a request before that would go uncounted.
    expect(await waitFor(() => hub.hub.ctx.bus.watched(code), 10_000)).toBe(true);
    // A protected room's inference wants the room password as the bearer token.
    const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "ping" }] }, { authorization: `Bearer ${ROOM_PASSWORD}` });
    expect(res.status).toBe(200);
    expect(upstream.inference().at(-1)!.headers.authorization).toBe(`Bearer ${KEY_TYPED}`);
    // The status line counts the request from the room's event stream, which it reads with the
    // password it joined with.
    await t.expect(/1 served/);
    if (process.env.SHOW_SCREEN) console.log(t.screen());

    expect(await t.close()).toBe(0);
    expect(room().participants.size).toBe(0);
  } finally {
    await t.close();
  }
  // Neither secret was ever drawn, masked or not, in any form.
  expect(t.raw()).not.toContain(KEY_TYPED);
  expect(t.raw()).not.toContain(ROOM_PASSWORD);
  expect(t.screen()).toContain(`saved profile "default"`);

  const files = filesUnder(home);
  expect(files).toEqual([join(home, ".config", "gambi", "config.json")]);
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    expect(text).not.toContain(KEY_TYPED);
    expect(text).not.toContain(ROOM_PASSWORD);
  }
  const saved = JSON.parse(readFileSync(files[0]!, "utf8"));
  expect(saved).toEqual({
    hub: hub.url,
    profiles: { default: { hub: hub.url, code, endpoint: upstream.url, model: "pty-model", models: ["pty-model", "other-model"], nickname: "pty-bot", specs: true } },
  });
  expect(statSync(files[0]!).mode & 0o777).toBe(0o600);
});

/** Answers the auth-header questions: yes, Authorization, typed, `value`, no more headers. */
async function typeAuthorization(t: ReturnType<typeof spawnInTerminal>, value: string) {
  await t.expect("Add an auth header");
  t.type("y");
  await t.expect("Header name");
  t.type(KEY.enter);
  await t.expect("Type it (hidden)");
  t.type(KEY.enter);
  await t.expect("(input hidden)");
  t.type(value + KEY.enter);
  await t.expect("Add another header?");
  t.type(KEY.enter);
}

test("a rejected key can be typed again at once", async () => {
  const code = await hub.createRoom({ name: "retry room" });
  const t = spawnInTerminal([process.execPath, CLI, "join", "--hub", hub.url, "--code", code, "--endpoint", upstream.url, "--model", "pty-model", "--nickname", "retry-bot"], env());
  try {
    await typeAuthorization(t, "sk-wrong-key-0000");
    await t.expect("rejected");
    await t.expect("Enter the auth headers again?");
    t.type("y");
    await typeAuthorization(t, `Bearer ${KEY_TYPED}`);
    await t.expect("Save these settings as a profile?");
    t.type("n");
    await t.expect(`joined room ${code} as retry-bot`);
    expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 1, 10_000)).toBe(true);
  } finally {
    expect(await t.close()).toBe(0);
  }
  expect(t.raw()).not.toContain(KEY_TYPED);
  expect(t.raw()).not.toContain("sk-wrong-key-0000");
});

test("--no-interactive in a terminal prompts for nothing: a missing flag is a usage error", async () => {
  const t = spawnInTerminal([process.execPath, CLI, "join", "--hub", hub.url, "--no-interactive"], env());
  expect(await t.proc.exited).toBe(2);
  expect(t.screen()).toContain("--code is required");
  await t.close();
});

test("Ctrl-C at a prompt stops quietly with exit 130", async () => {
  const t = spawnInTerminal([process.execPath, CLI, "join", "--hub", hub.url, "--code", "ABCDEF"], env());
  await t.expect("Where does your model run?");
  t.type(KEY.ctrlC);
  expect(await t.proc.exited).toBe(130);
  await t.close();
});

test("interactive create: asks the name and a hidden password; the room is protected", async () => {
  const t = spawnInTerminal([process.execPath, CLI, "create", "--hub", hub.url], env());
  await t.expect("Room name");
  t.type("asked room" + KEY.enter);
  await t.expect("Room password");
  t.type(ROOM_PASSWORD + KEY.enter);
  expect(await t.proc.exited).toBe(0);
  const code = t.screen().match(/\b([A-HJ-NP-Z2-9]{6})\b/g)!.at(-1)!;
  const rooms = (await (await fetch(`${hub.url}/rooms`)).json()) as { rooms: Array<{ code: string; name: string; passwordProtected: boolean }> };
  expect(rooms.rooms.find((r) => r.code === code)).toMatchObject({ name: "asked room", passwordProtected: true });
  expect(t.raw()).not.toContain(ROOM_PASSWORD);
  await t.close();
});
