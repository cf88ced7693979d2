/**
 * `gambi hub --tls-cert FILE --tls-key FILE`, spawned: HTTPS with the test-only certificate
 * (test/fixtures/tls/), the start-up warning for plain HTTP on an address other machines can
 * reach, and the flags' usage errors (exit 2).
 */
import { afterEach, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { waitFor } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnCli, spawnHub, tempDir } from "../helpers/hub-process.ts";

const FIXTURES = resolve(import.meta.dir, "../fixtures/tls");
const CERT_FILE = resolve(FIXTURES, "hub-cert.pem");
const KEY_FILE = resolve(FIXTURES, "hub-key.pem");
const TLS = ["--tls-cert", CERT_FILE, "--tls-key", KEY_FILE];
const PLAIN_WARNING = "serving plain HTTP on";

const dirs: string[] = [];
afterEach(() => {
  killHubProcesses();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("hub --tls-cert/--tls-key serves HTTPS: https URLs, gambi create --ca works, plain HTTP gets nothing", async () => {
  const h = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", ...TLS]);
  const port = await h.port();
  expect(h.out.stdout).toMatch(/listening on 127\.0\.0\.1:\d+ \(HTTPS\)/);
  // The banner's last line: the lines before it may come in separate reads.
  expect(await waitFor(() => h.out.stdout.includes("Ctrl-C stops the hub"), 5_000)).toBe(true);
  expect(h.out.stdout).toContain(`gambi create --hub https://127.0.0.1:${port}`);
  expect(h.out.stdout).toContain("--ca");

  const ca = await Bun.file(CERT_FILE).text();
  const health = await fetch(`https://127.0.0.1:${port}/health`, { tls: { ca } });
  expect(await health.json()).toMatchObject({ status: "ok" });
  expect(await fetch(`http://127.0.0.1:${port}/health`).then(() => "answered", () => "refused")).toBe("refused");

  const created = spawnCli(["create", "--hub", `https://localhost:${port}`, "--ca", CERT_FILE, "--name", "tls room"]);
  expect(await created.exited()).toBe(0);
  expect(created.out.stdout.trim().split("\n")[0]).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
  const untrusted = spawnCli(["create", "--hub", `https://127.0.0.1:${port}`, "--name", "tls room"]);
  expect(await untrusted.exited()).toBe(3);
  expect(untrusted.out.stdout + untrusted.out.stderr).toContain("TLS certificate is not trusted");
  // http:// to an HTTPS hub: the hint, and no advice meant for the programmer of a fetch() call.
  const plain = spawnCli(["health", "--hub", `http://127.0.0.1:${port}`]);
  expect(await plain.exited()).toBe(3);
  expect(plain.out.stderr).toContain("use https:// in --hub");
  expect(plain.out.stderr).not.toContain("fetch()");

  h.p.kill("SIGTERM");
  expect(await h.exited()).toBe(0);
  expect(h.out.stdout + h.out.stderr).not.toContain(PLAIN_WARNING);
});

test("plain HTTP on an address other machines can reach is a warning at start; loopback or TLS is not", async () => {
  const open = spawnHub(["--port", "0", "--host", "0.0.0.0", "--ephemeral", "--quiet"]);
  await open.port();
  expect(await waitFor(() => (open.out.stdout + open.out.stderr).includes(PLAIN_WARNING), 5_000)).toBe(true);
  const all = open.out.stdout + open.out.stderr;
  expect(all).toContain("serving plain HTTP on 0.0.0.0: room passwords, the hub token and participants' API keys cross the network unencrypted");
  expect(all).toContain("--tls-cert FILE --tls-key FILE");

  const secure = spawnHub(["--port", "0", "--host", "0.0.0.0", "--ephemeral", ...TLS]);
  await secure.port();
  const local = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral"]);
  await local.port();
  for (const h of [open, secure, local]) {
    h.p.kill("SIGTERM");
    expect(await h.exited()).toBe(0);
  }
  expect(secure.out.stdout + secure.out.stderr).not.toContain(PLAIN_WARNING);
  expect(local.out.stdout + local.out.stderr).not.toContain(PLAIN_WARNING);
});

test("TLS flags that cannot work are usage errors (exit 2) naming what is wrong", async () => {
  const dir = tempDir("tls-flags");
  dirs.push(dir);
  const otherKey = join(dir, "other-key.pem");
  writeFileSync(otherKey, generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }));

  const cases: [string[], string][] = [
    [["--tls-cert", CERT_FILE], "--tls-cert and --tls-key go together"],
    [["--tls-cert", CERT_FILE, "--tls-key", join(dir, "missing.pem")], `--tls-key ${join(dir, "missing.pem")}`],
    [["--tls-cert", KEY_FILE, "--tls-key", KEY_FILE], "is not a PEM file"],
    [["--tls-cert", CERT_FILE, "--tls-key", otherKey], "cannot be used"],
  ];
  for (const [flags, says] of cases) {
    const h = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", ...flags]);
    expect(await h.exited()).toBe(2);
    expect(h.out.stdout + h.out.stderr).toContain(says);
  }
});
