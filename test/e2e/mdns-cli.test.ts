/**
 * Issue 15's LAN discovery as users run it: `gambi hub --mdns` (the CLI from source, then the
 * compiled binary) is found by `gambi list` with no `--hub`, no $GAMBI_HUB_URL and no saved
 * hub (HOME and XDG_CONFIG_HOME are empty temp dirs). Loopback only: the hubs listen on
 * 127.0.0.1 (so they announce on loopback) and every process gets GAMBI_MDNS_INTERFACE=127.0.0.1
 * (so `gambi list` asks on loopback too); no packet leaves the machine. mDNS port 5353 itself.
 * A `gambi list` run looks for a second; each check is retried until a deadline, not timed.
 * In a pseudo-terminal: the prompt among several hubs, and `gambi tui` on the one found.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import dgram from "node:dgram";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { CLI, killHubProcesses, spawnHub, tempDir } from "../helpers/hub-process.ts";
import { KEY, spawnInTerminal } from "../helpers/pty.ts";

const LO = { GAMBI_MDNS_INTERFACE: "127.0.0.1" };
let dir: string;
let clientEnv: Record<string, string>;

beforeAll(() => {
  dir = tempDir("mdns-cli");
  // A client with nothing saved and no hub in its environment.
  const { GAMBI_HUB_URL: _, ...env } = process.env as Record<string, string>;
  clientEnv = { ...env, ...LO, NO_COLOR: "1", HOME: join(dir, "home"), XDG_CONFIG_HOME: join(dir, "config") };
});
afterEach(killHubProcesses);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(cmd: string[], args: string[]) {
  const p = Bun.spawn([...cmd, ...args], { env: clientEnv, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

/** Runs `gambi ...args` until `ok` holds of the result (or the deadline passes); returns the last run. */
async function runUntil(cmd: string[], args: string[], ok: (r: Awaited<ReturnType<typeof run>>) => boolean, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await run(cmd, args);
    if (ok(r) || performance.now() > deadline) return r;
  }
}

const unique = (what: string) => `${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function createRoom(port: number, name: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { room: { code: string } }).room.code;
}

/** `gambi hub --mdns` on loopback (from source, or the binary at `bin`); resolves once it says it is announced. */
async function mdnsHub(name: string, bin?: string) {
  const h = spawnHub(["--host", "127.0.0.1", "--port", "0", "--ephemeral", "--mdns", "--mdns-name", name], LO, bin ? [bin] : undefined);
  const port = await h.port();
  const deadline = performance.now() + 10_000;
  while (!/announced as/.test(h.out.stdout + h.out.stderr) && performance.now() < deadline) await Bun.sleep(10);
  expect(h.out.stdout + h.out.stderr).toContain(`announced as "${name}"`);
  return { h, port, url: `http://127.0.0.1:${port}` };
}

const SOURCE = [process.execPath, CLI];
const listsHub = (url: string) => (r: { stdout: string }) => r.stdout.includes(url);

test("gambi hub --mdns is found by gambi list with no --hub: --json lists its rooms, --hubs --json the hub", async () => {
  const name = unique("lan hub");
  const { h, port, url } = await mdnsHub(name);
  const code = await createRoom(port, "found on the LAN");

  const listed = await runUntil(SOURCE, ["list", "--json"], (r) => r.stdout.includes(code));
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ code, name: "found on the LAN" })]);
  expect(listed.stderr).toContain(`using hub "${name}" at ${url}, found on the local network`);

  const hubs = await runUntil(SOURCE, ["list", "--hubs", "--json"], listsHub(url));
  expect(JSON.parse(hubs.stdout)).toContainEqual({ name, url, version: expect.any(String), tls: false });

  // SIGTERM: the goodbye goes out first; then nobody finds it.
  h.p.kill("SIGTERM");
  expect(await h.exited()).toBe(0);
  const after = await runUntil(SOURCE, ["list", "--hubs", "--json"], (r) => !listsHub(url)(r));
  expect(JSON.parse(after.stdout)).not.toContainEqual(expect.objectContaining({ url }));
}, 60_000);

test("a first run on the LAN: gambi create, usage and rooms delete with no --hub use the hub found, as list does", async () => {
  const name = unique("lan hub");
  const { url } = await mdnsHub(name);
  await runUntil(SOURCE, ["list", "--hubs", "--json"], listsHub(url));
  const created = await runUntil(SOURCE, ["create", "--name", "made on the LAN", "--json"], (r) => r.code === 0);
  expect(created.code).toBe(0);
  expect(created.stderr).toContain(`using hub "${name}" at ${url}, found on the local network`);
  const code = (JSON.parse(created.stdout) as { code: string }).code;
  expect(((await (await fetch(`${url}/rooms/${code}`)).json()) as { room: { name: string } }).room.name).toBe("made on the LAN");
  const usage = await runUntil(SOURCE, ["usage", code, "--json"], (r) => r.code === 0);
  expect(JSON.parse(usage.stdout)).toMatchObject({ room: code });
  // The hostId create saved is the found hub's: delete finds both.
  const deleted = await runUntil(SOURCE, ["rooms", "delete", code], (r) => r.code === 0);
  expect(deleted.stdout + deleted.stderr).toContain(`room ${code} deleted from ${url}`);
  expect((await fetch(`${url}/rooms/${code}`)).status).toBe(404);
}, 60_000);

test("--no-discover, and a --hub given, do not look: today's behaviour", async () => {
  const { url } = await mdnsHub(unique("ignored"));
  await runUntil(SOURCE, ["list", "--hubs", "--json"], listsHub(url));
  const skipped = await run(SOURCE, ["list", "--no-discover"]);
  expect(skipped.code).toBe(3);
  expect(skipped.stderr).toContain("cannot reach the hub at http://localhost:3000");
  const given = await run(SOURCE, ["list", "--hub", "http://127.0.0.1:9"]);
  expect(given.code).toBe(3);
  expect(given.stderr).not.toContain("found on the local network");
}, 30_000);

test("two hubs found without a terminal: listed, and --hub asked for (exit 2)", async () => {
  const [a, b] = [unique("hub a"), unique("hub b")];
  const first = await mdnsHub(a);
  const second = await mdnsHub(b);
  const both = (r: { stdout: string }) => listsHub(first.url)(r) && listsHub(second.url)(r);
  expect(both(await runUntil(SOURCE, ["list", "--hubs", "--json"], both))).toBe(true);
  const r = await runUntil(SOURCE, ["list", "--json"], (x) => x.code === 2);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("hubs found on the local network; choose one with --hub");
  expect(r.stderr).toContain(`${a}  ${first.url}`);
  expect(r.stderr).toContain(`${b}  ${second.url}`);
}, 60_000);

test("two hubs found in a terminal: a prompt offers both, and the one chosen is used", async () => {
  const [a, b] = [unique("hub a"), unique("hub b")];
  const first = await mdnsHub(a);
  const second = await mdnsHub(b);
  const code = await createRoom(second.port, "second hub's room");
  const both = (r: { stdout: string }) => listsHub(first.url)(r) && listsHub(second.url)(r);
  expect(both(await runUntil(SOURCE, ["list", "--hubs", "--json"], both))).toBe(true);
  const t = spawnInTerminal([...SOURCE, "list"], { ...clientEnv, TERM: "xterm-256color" });
  try {
    await t.expect("Hubs on the local network: which one?");
    await t.expect(`${a}  ${first.url}`);
    await t.expect(`${b}  ${second.url}`);
    t.type(KEY.down + KEY.enter);
    await t.expect(`${code}  second hub's room  0 participants`);
    expect(await t.proc.exited).toBe(0);
  } finally {
    await t.close();
  }
}, 60_000);

test("gambi tui with one hub found: it opens on that hub, and says it was found", async () => {
  const name = unique("tui hub");
  const { port, url } = await mdnsHub(name);
  const code = await createRoom(port, "tui room");
  await runUntil(SOURCE, ["list", "--hubs", "--json"], listsHub(url));
  const t = spawnInTerminal([...SOURCE, "tui"], { ...clientEnv, TERM: "xterm-256color" }, { cols: 160, rows: 24 });
  try {
    await t.expectView(`gambi · hub ${url} · "${name}", found on the local network`, 15_000);
    await t.expectView(new RegExp(`${code} +tui room`));
    t.type("q");
    expect(await t.proc.exited).toBe(0);
  } finally {
    await t.close();
  }
}, 60_000);

test("mDNS port 5353 taken: gambi hub --mdns warns and serves anyway", async () => {
  // Hold 5353 without SO_REUSEADDR. The hubs of the tests before may take a moment to let go of it.
  const holdPort = async () => {
    const s = dgram.createSocket({ type: "udp4", reuseAddr: false });
    const ok = await new Promise<boolean>((r) => {
      s.once("error", () => r(false));
      s.bind(5353, "0.0.0.0", () => r(true));
    });
    if (!ok) s.close();
    return ok ? s : undefined;
  };
  let blocker = await holdPort();
  for (const deadline = performance.now() + 5000; !blocker && performance.now() < deadline; ) {
    await Bun.sleep(100);
    blocker = await holdPort();
  }
  // Something else on this machine holds 5353 (an mDNS daemon): it cannot be taken from it here.
  if (!blocker) return console.warn("skipped: another program holds port 5353 on this machine, so the test cannot hold it exclusively");
  try {
    const h = spawnHub(["--host", "127.0.0.1", "--port", "0", "--ephemeral", "--mdns"], LO);
    const port = await h.port();
    const deadline = performance.now() + 10_000;
    while (!/cannot use mDNS port 5353/.test(h.out.stdout + h.out.stderr) && performance.now() < deadline) await Bun.sleep(10);
    expect(h.out.stdout + h.out.stderr).toContain("the hub runs, but is not announced on the local network");
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(h.p.exitCode).toBeNull();
  } finally {
    blocker.close();
  }
}, 30_000);

test("the compiled binary: gambi hub --mdns is found by gambi list with no --hub", async () => {
  const outdir = join(dir, "bin");
  const built = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../scripts/build-binary.ts"), "--outdir", outdir], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
  const bin = join(outdir, "gambi");
  const name = unique("binary hub");
  const { port, url } = await mdnsHub(name, bin);
  const code = await createRoom(port, "binary room");
  const listed = await runUntil([bin], ["list", "--json"], (r) => r.stdout.includes(code));
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ code, name: "binary room" })]);
  expect(listed.stderr).toContain(`using hub "${name}" at ${url}`);
}, 60_000);
