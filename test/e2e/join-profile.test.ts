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
