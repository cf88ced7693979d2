/**
 * Saved join profiles without a terminal: `--save` stores the header only as {name, env};
 * `--profile` brings everything back and reads the key from the environment again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const SECRET = "Bearer sk-profile-canary-71d0";
let hub: TestHub;
let upstream: FakeUpstream;
let config: string;

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: SECRET } });
  config = mkdtempSync(join(tmpdir(), "gambi-profile-"));
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
  rmSync(config, { recursive: true, force: true });
});

function gambi(args: string[], env: Record<string, string> = {}) {
  const { GAMBI_HUB_URL: _unused, ...rest } = process.env;
  return Bun.spawn([process.execPath, CLI, ...args], { env: { ...rest, NO_COLOR: "1", XDG_CONFIG_HOME: config, ...env }, stdout: "pipe", stderr: "pipe" });
}

async function joinUntilOnline(args: string[], env: Record<string, string>, code: string) {
  const p = gambi(args, env);
  const room = () => hub.hub.ctx.registry.find(code)!;
  const online = await waitFor(() => room().participants.size === 1, 10_000);
  p.kill("SIGTERM");
  const [out, err, exit] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { online, exit, output: out + err };
}

test("--save keeps {name, env}; --profile joins with the same settings and the key from the environment", async () => {
  const code = await hub.createRoom({ name: "profile room" });
  const saved = await joinUntilOnline(
    ["join", "--hub", hub.url, "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "saver", "--header-env", "Authorization=PROFILE_AUTH", "--header", "X-Title=gambi test", "--no-specs", "--save", "work"],
    { PROFILE_AUTH: SECRET },
    code,
  );
  expect(saved.online).toBe(true);
  expect(saved.exit).toBe(0);
  expect(saved.output).toContain('saved profile "work"');
  expect(saved.output).toContain("without X-Title");
  const text = readFileSync(join(config, "gambi", "config.json"), "utf8");
  expect(text).not.toContain("sk-profile-canary");
  expect(text).not.toContain("gambi test");
  expect(JSON.parse(text)).toEqual({
    hub: hub.url,
    profiles: { work: { hub: hub.url, code, endpoint: upstream.url, model: "m", nickname: "saver", specs: false, headers: [{ name: "Authorization", env: "PROFILE_AUTH" }] } },
  });

  // The saved hub is the default now: no --hub, no GAMBI_HUB_URL.
  const listed = gambi(["list", "--json"]);
  expect(await listed.exited).toBe(0);
  expect(JSON.parse(await new Response(listed.stdout).text()).map((r: { code: string }) => r.code)).toContain(code);

  const again = await joinUntilOnline(["join", "--profile", "work"], { PROFILE_AUTH: SECRET }, code);
  expect(again.online).toBe(true);
  expect(again.exit).toBe(0);
  expect(again.output).toContain(`joined room ${code} as saver`);
  expect(again.output).not.toContain("sk-profile-canary");

  // The variable is read at start: without it the profile is a clear usage error.
  const missing = gambi(["join", "--profile", "work"]);
  expect(await missing.exited).toBe(2);
  expect(await new Response(missing.stderr).text() + await new Response(missing.stdout).text()).toContain("PROFILE_AUTH is not set");
});

test("an unknown profile names the saved ones", async () => {
  const p = gambi(["join", "--profile", "nope"]);
  expect(await p.exited).toBe(2);
  expect((await new Response(p.stdout).text()) + (await new Response(p.stderr).text())).toContain('no profile "nope"; saved profiles: work');
});

test("--embedding-model is saved with --save and comes back with --profile, alone or beside --model", async () => {
  const embedder = startFakeUpstream({ models: ["chat-m", "embed-m"], embeddings: true, responses: false });
  try {
    const code = await hub.createRoom({ name: "embeddings profile" });
    const participant = () => [...hub.hub.ctx.registry.find(code)!.participants.values()][0]!;
    const saved = await joinUntilOnline(["join", "--hub", hub.url, "--code", code, "--endpoint", embedder.url, "--model", "chat-m", "--embedding-model", "embed-m", "--nickname", "rag", "--no-specs", "--save", "rag"], {}, code);
    expect(saved.online).toBe(true);
    expect(saved.output).toContain("embed-m (embeddings)");
    const profiles = JSON.parse(readFileSync(join(config, "gambi", "config.json"), "utf8")).profiles;
    expect(profiles.rag).toEqual({ hub: hub.url, code, endpoint: embedder.url, model: "chat-m", embeddingModels: ["embed-m"], nickname: "rag", specs: false });
    expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 0, 5000)).toBe(true);

    const again = gambi(["join", "--profile", "rag"]);
    try {
      expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 1, 10_000)).toBe(true);
      expect(participant()).toMatchObject({ models: ["chat-m"], embeddingModels: ["embed-m"] });
    } finally {
      again.kill("SIGTERM");
      await again.exited;
    }
    expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 0, 5000)).toBe(true);

    // A profile of embedding models alone joins a participant that only embeds; a flag still wins.
    const only = await joinUntilOnline(["join", "--hub", hub.url, "--code", code, "--endpoint", embedder.url, "--embedding-model", "embed-m", "--nickname", "emb", "--no-specs", "--save", "emb"], {}, code);
    expect(only.online).toBe(true);
    expect(JSON.parse(readFileSync(join(config, "gambi", "config.json"), "utf8")).profiles.emb).toEqual({ hub: hub.url, code, endpoint: embedder.url, embeddingModels: ["embed-m"], nickname: "emb", specs: false });
    expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 0, 5000)).toBe(true);
    const flagWins = gambi(["join", "--profile", "emb", "--embedding-model", "chat-m"]);
    try {
      expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.size === 1, 10_000)).toBe(true);
      expect(participant()).toMatchObject({ models: [], embeddingModels: ["chat-m"] });
    } finally {
      flagWins.kill("SIGTERM");
      await flagWins.exited;
    }
  } finally {
    await embedder.stop();
  }
});
