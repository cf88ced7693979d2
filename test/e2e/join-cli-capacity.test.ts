/**
 * `gambi join` (spawned) with several models and a declared capacity: `--model` repeated,
 * `--max-concurrency N` (a usage error, exit 2, for a bad value, before anything is probed or
 * joined), the settings saved with `--save` and brought back with `--profile`, and the
 * capacity the hub settled on printed when the joiner declared none. No key in any of it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { chatCompletion, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const SECRET = "Bearer sk-pool-cli-canary-2b7c";
let hub: TestHub;
let upstream: FakeUpstream;
let llama: FakeUpstream;
let config: string;

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m1", "m2", "m3"], requireHeader: { name: "authorization", value: SECRET } });
  upstream.handle((_req, body) => chatCompletion(JSON.parse(body).model));
  llama = startFakeUpstream({ models: ["tiny"], ownedBy: "llamacpp", props: { total_slots: 2 } });
  config = mkdtempSync(join(tmpdir(), "gambi-pool-cli-"));
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
  await llama.stop();
  rmSync(config, { recursive: true, force: true });
});

function gambi(args: string[], env: Record<string, string> = {}) {
  const { GAMBI_HUB_URL: _unused, ...rest } = process.env;
  return Bun.spawn([process.execPath, CLI, ...args], { env: { ...rest, NO_COLOR: "1", XDG_CONFIG_HOME: config, ...env }, stdout: "pipe", stderr: "pipe" });
}

async function run(args: string[], env: Record<string, string> = {}) {
  const p = gambi(args, env);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, all: stdout + stderr };
}

/** Joins, waits until the participant is in the room, runs `whileJoined`, then SIGTERM. */
async function joinUntilOnline(args: string[], code: string, whileJoined: () => Promise<void> = async () => {}) {
  const p = gambi(args, { POOL_AUTH: SECRET });
  const room = () => hub.hub.ctx.registry.find(code)!;
  const online = await waitFor(() => room().participants.size === 1, 10_000);
  const participant = [...room().participants.values()][0];
  if (online) await whileJoined();
  p.kill("SIGTERM");
  const [out, err, exit] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { online, exit, output: out + err, participant };
}

test("--model twice and --max-concurrency: both models served, the capacity declared, and all of it saved and restored", async () => {
  const code = await hub.createRoom({ name: "pool cli" });
  const base = ["join", "--hub", hub.url, "--code", code, "--endpoint", upstream.url, "--nickname", "pooler", "--header-env", "Authorization=POOL_AUTH", "--no-specs", "--no-interactive"];
  const saved = await joinUntilOnline([...base, "--model", "m1", "--model", "m2", "--max-concurrency", "5", "--save", "pool"], code, async () => {
    // A request for the second model reaches the endpoint with that model.
    const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "m2", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(JSON.parse(upstream.inference().at(-1)!.body).model).toBe("m2");
  });
  expect(saved.online).toBe(true);
  expect(saved.exit).toBe(0);
  expect(saved.participant).toMatchObject({ models: ["m1", "m2"], maxConcurrency: 5, maxConcurrencySource: "declared" });
  expect(saved.output).toContain(`joined room ${code} as pooler`);
  expect(saved.output).toContain("serving m1, m2 (5 at once, declared)");
  const text = readFileSync(join(config, "gambi", "config.json"), "utf8");
  expect(text).not.toContain("sk-pool-cli-canary");
  expect(JSON.parse(text).profiles.pool).toEqual({ hub: hub.url, code, endpoint: upstream.url, model: "m1", models: ["m1", "m2"], maxConcurrency: 5, nickname: "pooler", specs: false, headers: [{ name: "Authorization", env: "POOL_AUTH" }] });

  const again = await joinUntilOnline(["join", "--profile", "pool", "--no-interactive"], code);
  expect(again.online).toBe(true);
  expect(again.participant).toMatchObject({ models: ["m1", "m2"], maxConcurrency: 5, maxConcurrencySource: "declared" });
  // Flags still win over the profile: one model, the capacity left to the hub.
  const flags = await joinUntilOnline(["join", "--profile", "pool", "--no-interactive", "--model", "m3", "--max-concurrency", "9"], code);
  expect(flags.participant).toMatchObject({ models: ["m3"], maxConcurrency: 9 });
  expect(again.output + flags.output).not.toContain("sk-pool-cli-canary");
});

test("no --max-concurrency: the hub's own finding is printed (llama.cpp's slots)", async () => {
  const code = await hub.createRoom({ name: "probed cli" });
  const joined = await joinUntilOnline(["join", "--hub", hub.url, "--code", code, "--endpoint", llama.url, "--model", "tiny", "--nickname", "slots", "--no-specs", "--no-interactive"], code);
  expect(joined.participant).toMatchObject({ maxConcurrency: 2, maxConcurrencySource: "probed" });
  expect(joined.output).toContain("serving tiny (2 at once, probed)");
});

test.each(["0", "1025", "abc", "2.5", "-1", ""])("--max-concurrency %p: usage error, exit 2, nothing probed or joined", async (value) => {
  const before = upstream.requests.length;
  const code = await hub.createRoom({ name: "bad flag" });
  const r = await run(["join", "--hub", hub.url, "--code", code, "--endpoint", upstream.url, "--model", "m1", "--max-concurrency", value, "--no-interactive"], { POOL_AUTH: SECRET });
  expect(r.code).toBe(2);
  expect(r.all).toContain("--max-concurrency must be a whole number from 1 to 1024");
  expect(upstream.requests.length).toBe(before);
  expect(hub.hub.ctx.registry.find(code)!.participants.size).toBe(0);
});

test("a --model the endpoint does not list is a usage error naming it; the same model twice is served once", async () => {
  const code = await hub.createRoom({ name: "unlisted" });
  const args = ["join", "--hub", hub.url, "--code", code, "--endpoint", upstream.url, "--header-env", "Authorization=POOL_AUTH", "--no-interactive", "--no-specs"];
  const r = await run([...args, "--model", "m1", "--model", "nope"], { POOL_AUTH: SECRET });
  expect(r.code).toBe(2);
  expect(r.all).toContain('model "nope" is not served by');
  const twice = await joinUntilOnline([...args, "--model", "m2", "--model", "m2", "--model", "m1"], code);
  expect(twice.participant).toMatchObject({ models: ["m2", "m1"] });
});
