/**
 * Native TLS, clients' side: a hub serving HTTPS with the test-only self-signed certificate
 * (test/fixtures/tls/), and the CLI spawned against it as users run it. `create`, `list`,
 * `join` and `chat` work with `--ca` (or $GAMBI_HUB_CA); without it they fail with a
 * certificate message that says what to do, exit 3. The hub's warning for a participant whose
 * auth headers crossed the network in plain HTTP is checked through joinRoom with the peer's
 * address, since every test connection comes from loopback.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { createConsola } from "consola";
import { resolve } from "node:path";
import { startHub, createHub, type RunningHub } from "../../src/hub/index.ts";
import { createHubClient, HubError } from "../../src/client.ts";
import { joinRoom } from "../../src/hub/rooms/join.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnCli } from "../helpers/hub-process.ts";

const FIXTURES = resolve(import.meta.dir, "../fixtures/tls");
const CERT_FILE = resolve(FIXTURES, "hub-cert.pem");
const KEY_FILE = resolve(FIXTURES, "hub-key.pem");
const SECRET = "Bearer sk-tls-canary-0b1c2d3e";

let hub: RunningHub;
let upstream: FakeUpstream;
let ca: string;
const hubLogs: string[] = [];

beforeAll(async () => {
  ca = await Bun.file(CERT_FILE).text();
  const logger = createConsola({ level: 999, reporters: [{ log: (o) => hubLogs.push(`${o.type} ${o.args.map(String).join(" ")}`) }] });
  hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, tls: { cert: ca, key: await Bun.file(KEY_FILE).text() }, deps: { logger } });
  upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: SECRET } });
  upstream.handle(() => Response.json({ id: "x", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "secure pong" }, finish_reason: "stop" }] }));
});
afterEach(killHubProcesses);
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

async function run(args: string[], env: Record<string, string> = {}) {
  const p = spawnCli(args, env);
  const code = await p.exited();
  return { code, stdout: p.out.stdout, all: p.out.stdout + p.out.stderr };
}

test("the hub serves HTTPS: a client trusting the certificate gets answers, one that does not gets a certificate error", async () => {
  expect(hub.url).toStartWith("https://127.0.0.1:");
  const trusted = createHubClient(hub.url, { ca });
  expect((await trusted.health()).status).toBe("ok");
  const { room } = await trusted.createRoom({ name: "over tls" });
  expect((await trusted.getRoom(room.code)).room.name).toBe("over tls");

  let refused: unknown;
  await createHubClient(hub.url).health().catch((err) => (refused = err));
  expect(refused).toBeInstanceOf(HubError);
  expect((refused as HubError).exitCode).toBe(3);
  expect((refused as HubError).message).toContain("TLS certificate is not trusted");
  expect((refused as HubError).message).toContain("--ca FILE");

  // Plain HTTP to the HTTPS port: no answer, and a hint about the scheme.
  const plain = createHubClient(hub.url.replace("https:", "http:"));
  expect(await plain.health().then(() => "answered", (err: HubError) => err.message)).toContain("use https://");
});

test("gambi create / list with --ca work against the https:// hub; without it: a certificate error, exit 3", async () => {
  const created = await run(["create", "--hub", hub.url, "--ca", CERT_FILE, "--name", "cli over tls", "--json"]);
  expect(created.code).toBe(0);
  const code = JSON.parse(created.stdout).code as string;

  const listed = await run(["list", "--hub", hub.url, "--json"], { GAMBI_HUB_CA: CERT_FILE });
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).map((r: { code: string }) => r.code)).toContain(code);

  const untrusted = await run(["create", "--hub", hub.url, "--name", "nope"]);
  expect(untrusted.code).toBe(3);
  expect(untrusted.all).toContain(`cannot reach the hub at ${hub.url}: its TLS certificate is not trusted`);
  expect(untrusted.all).toContain("--ca FILE");

  const notPem = await run(["list", "--hub", hub.url, "--ca", KEY_FILE.replace("hub-key.pem", "README.md")]);
  expect(notPem.code).toBe(2);
  expect(notPem.all).toContain("is not a PEM certificate");
});

test("gambi join --ca registers, follows the room's events and leaves over HTTPS; gambi chat --ca gets the answer", async () => {
  const code = await createHubClient(hub.url, { ca }).createRoom({ name: "join over tls" }).then((r) => r.room.code);
  const join = spawnCli(["join", "--hub", hub.url, "--ca", CERT_FILE, "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "tls-bot", "--header-env", "Authorization=TLS_AUTH", "--no-interactive"], {
    TLS_AUTH: SECRET,
  });
  const room = () => hub.hub.ctx.registry.find(code)!;
  expect(await waitFor(() => room().participants.size === 1, 10_000)).toBe(true);

  const chat = await run(["chat", "--hub", hub.url, "--ca", CERT_FILE, "--code", code, "--chat-completions", "ping"]);
  expect(chat.code).toBe(0);
  expect(chat.stdout).toContain("secure pong");
  // join's per-request line comes from the room's event stream: that subscription trusts the CA too.
  expect(await waitFor(() => join.out.stdout.includes("served a chat request"), 10_000)).toBe(true);

  const untrusted = await run(["chat", "--hub", hub.url, "--code", code, "ping"]);
  expect(untrusted.code).toBe(3);
  expect(untrusted.all).toContain("TLS certificate is not trusted");

  join.p.kill("SIGTERM");
  expect(await join.exited()).toBe(0);
  expect(room().participants.size).toBe(0);
  expect(join.out.stdout + join.out.stderr).toContain("joined room");
  expect(join.out.stdout + join.out.stderr).not.toContain("sk-tls-canary");
  // Loopback and TLS: nothing to warn about.
  expect(hubLogs.join("\n")).not.toContain("over plain HTTP");
});

const fresh = { replaces: undefined, token: "t" };

test("a participant joining with auth headers over plain HTTP from another machine is warned about once, by header name only", async () => {
  const lines: string[] = [];
  const logger = createConsola({ level: 999, reporters: [{ log: (o) => lines.push(`${o.type} ${o.args.map(String).join(" ")}`) }] });
  const plainHub = createHub({ logger });
  const room = plainHub.ctx.registry.create("lan", null, {});
  const body = { id: "p-lan", nickname: "lan-bot", model: "m", endpoint: upstream.url, authHeaders: { Authorization: SECRET } };
  const warnings = () => lines.filter((l) => l.startsWith("warn") && l.includes("over plain HTTP"));

  await joinRoom(plainHub.ctx, room, body, { address: "192.168.1.20", tls: false }, fresh);
  expect(warnings()).toHaveLength(1);
  expect(warnings()[0]).toContain("lan-bot (p-lan) joined room");
  expect(warnings()[0]).toContain("from 192.168.1.20 with auth headers [Authorization]");
  expect(warnings()[0]).toContain("--tls-cert");
  // An update of the same participant (what every re-join with the same id is) says nothing new.
  await joinRoom(plainHub.ctx, room, { ...body, nickname: "lan-bot 2" }, { address: "192.168.1.20", tls: false }, { replaces: room.participants.get("p-lan"), token: "t" });
  expect(warnings()).toHaveLength(1);
  // Over TLS, from loopback, or without auth headers: no warning.
  await joinRoom(plainHub.ctx, room, { ...body, id: "p-tls" }, { address: "192.168.1.21", tls: true }, fresh);
  await joinRoom(plainHub.ctx, room, { ...body, id: "p-local" }, { address: "127.0.0.1", tls: false }, fresh);
  await joinRoom(plainHub.ctx, room, { ...body, id: "p-v6-local" }, { address: "::ffff:127.0.0.1", tls: false }, fresh);
  const open = startFakeUpstream({ models: ["m"] });
  const { authHeaders: _, ...keyless } = body;
  await joinRoom(plainHub.ctx, room, { ...keyless, id: "p-keyless", endpoint: open.url }, { address: "192.168.1.22", tls: false }, fresh);
  await open.stop();
  expect(warnings()).toHaveLength(1);
  expect(lines.join("\n")).not.toContain("sk-tls-canary");
});
