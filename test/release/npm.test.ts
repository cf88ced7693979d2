/**
 * The npm packages scripts/release.ts writes: `npm pack` the `gambi` launcher and this
 * machine's platform package, `npm install -g` both into a temporary prefix with no registry
 * (--offline, a closed port as registry, an empty cache), and run gambi through the launcher:
 * its version, a hub that a SIGTERM to the launcher stops gracefully, `gambi upgrade` refused
 * with npm's command, and the clear error of a launcher without its platform package.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostTarget } from "../../scripts/compile-gambi.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { releaseFixture, runCommand, type ReleaseFixture } from "../helpers/release.ts";

let release: ReleaseFixture;
let dir: string;
let packs: { launcher: string; platform: string };
let env: Record<string, string>;

/** npm with nothing from this process's npm (npm_config_*), no registry and no network. */
const npm = (args: string[], prefix?: string) =>
  runCommand(["npm", ...args, "--offline", "--no-audit", "--no-fund", "--cache", join(dir, "cache"), "--registry", "http://127.0.0.1:9/", ...(prefix ? ["--prefix", prefix] : [])], env, dir);

beforeAll(async () => {
  release = await releaseFixture();
  dir = tempDir("npm");
  mkdirSync(join(dir, "home"));
  env = { PATH: process.env.PATH!, HOME: join(dir, "home"), XDG_CONFIG_HOME: join(dir, "home"), NO_COLOR: "1" };
  const packed = await npm(["pack", "--json", "--pack-destination", dir, join(release.out, "npm", "gambi"), join(release.out, "npm", `cli-${hostTarget().name}`)]);
  expect(packed.code).toBe(0);
  const [launcher, platform] = (JSON.parse(packed.stdout) as { filename: string }[]).map((p) => join(dir, p.filename));
  packs = { launcher: launcher!, platform: platform! };
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("npm install -g of the launcher and the platform package: gambi runs, stops on SIGTERM like the hub does, refuses to upgrade itself", async () => {
  const prefix = join(dir, "prefix");
  const installed = await npm(["install", "-g", packs.launcher, packs.platform], prefix);
  expect(installed.stderr).not.toContain("ERR");
  expect(installed.code).toBe(0);
  const gambi = join(prefix, "bin", "gambi");
  expect((await runCommand([gambi, "--version"], env)).stdout.trim()).toBe(release.manifest.version);

  // The launcher passes a SIGTERM on: the hub drains and exits 0, and so does the launcher.
  const hub = Bun.spawn([gambi, "hub", "--port", "0", "--host", "127.0.0.1", "--ephemeral"], { env, stdout: "pipe", stderr: "pipe" });
  let out = "";
  const reader = hub.stdout.getReader();
  while (!/listening on \S+:\d+/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  const port = /listening on \S+:(\d+)/.exec(out)?.[1];
  // An answered request means the hub's start-up code has run to its end, signal handlers included.
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  hub.kill("SIGTERM");
  expect(await hub.exited).toBe(0);

  const upgrade = await runCommand([gambi, "upgrade"], env);
  expect(upgrade.code).toBe(2);
  expect(upgrade.stderr + upgrade.stdout).toContain("managed by npm, so gambi upgrade leaves it alone: npm install -g gambi@latest");
}, 60_000);

test("the launcher without a platform package says what is missing and how to get it", async () => {
  const prefix = join(dir, "bare");
  expect((await npm(["install", "-g", packs.launcher], prefix)).code).toBe(0);
  const r = await runCommand([join(prefix, "bin", "gambi"), "--version"], env);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`gambi: no gambi executable for this machine (linux-x64`);
  expect(r.stderr).toMatch(/optional dependenc/);
}, 60_000);
