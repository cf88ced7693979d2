/**
 * `gambi upgrade` on real executables: an older build (0.0.1) upgraded to the release served on
 * loopback, by default from the releases URL baked into it; a tampered archive that keeps the
 * old executable; refusals for installs something else manages; an unreachable folder.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CLI, tempDir } from "../helpers/hub-process.ts";
import { OLD_VERSION, releaseFixture, runCommand, type ReleaseFixture } from "../helpers/release.ts";

let release: ReleaseFixture;
let scratch: string;
beforeAll(async () => {
  release = await releaseFixture();
  scratch = tempDir("upgrade");
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** An older gambi, copied to a fresh folder (under `sub` if given). */
function oldGambi(sub = "bin"): { dir: string; exe: string; env: Record<string, string> } {
  const home = join(scratch, `home-${n}`);
  const dir = join(scratch, `run-${n++}`, sub);
  mkdirSync(dir, { recursive: true });
  mkdirSync(home, { recursive: true });
  copyFileSync(release.oldBinary, join(dir, "gambi"));
  return { dir, exe: join(dir, "gambi"), env: { PATH: process.env.PATH!, HOME: home, XDG_CONFIG_HOME: home, NO_COLOR: "1" } };
}
const version = async (exe: string) => (await runCommand([exe, "--version"], { PATH: process.env.PATH })).stdout.trim();

test("--check reports, then gambi upgrade replaces 0.0.1 with the served release from the URL it was built with", async () => {
  const g = oldGambi();
  const check = await runCommand([g.exe, "upgrade", "--check"], g.env);
  expect(check.code).toBe(0);
  expect(check.stdout).toContain(`gambi ${release.manifest.version} is available (this is ${OLD_VERSION}): gambi upgrade`);
  expect(await version(g.exe)).toBe(OLD_VERSION);

  const up = await runCommand([g.exe, "upgrade"], g.env);
  expect(up.stderr + up.stdout).toContain(`gambi ${OLD_VERSION} → ${release.manifest.version} (${g.exe}); checksum verified`);
  expect(up.code).toBe(0);
  expect(await version(g.exe)).toBe(release.manifest.version);
  expect(readdirSync(g.dir)).toEqual(["gambi"]);

  const again = await runCommand([g.exe, "upgrade"], g.env);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`gambi ${release.manifest.version} is up to date`);
});

test("a failed checksum keeps the old executable, exits 1, and leaves no new file beside it", async () => {
  const g = oldGambi();
  const r = await runCommand([g.exe, "upgrade"], { ...g.env, GAMBI_DOWNLOAD_URL: release.server.url("tampered").replace("http://", "http://mirror:hunter2@") });
  expect(r.code).toBe(1);
  expect(r.stdout + r.stderr).not.toContain("hunter2"); // a password in the URL is never printed
  expect(r.stderr + r.stdout).toMatch(new RegExp(`checksum mismatch for gambi-\\S+: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}; ${g.exe.replaceAll("/", "\\/")} is unchanged`));
  expect(await version(g.exe)).toBe(OLD_VERSION);
  expect(readdirSync(g.dir)).toEqual(["gambi"]);
});

test("an unreachable download folder exits 3 and changes nothing", async () => {
  const g = oldGambi();
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${closed.port}/x`;
  closed.stop(true);
  const r = await runCommand([g.exe, "upgrade"], { ...g.env, GAMBI_DOWNLOAD_URL: url });
  expect(r.code).toBe(3);
  expect(r.stderr + r.stdout).toContain(`cannot download ${url}/`);
  expect(await version(g.exe)).toBe(OLD_VERSION);
});

test("installs managed by npm, a container or a clone are refused with the command to use instead", async () => {
  const npm = oldGambi("node_modules/@gambi/cli-linux-x64/bin");
  const byPath = await runCommand([npm.exe, "upgrade"], npm.env);
  expect(byPath.code).toBe(2);
  expect(byPath.stderr + byPath.stdout).toContain("this gambi is managed by npm, so gambi upgrade leaves it alone: npm install -g gambi@latest");
  expect(await version(npm.exe)).toBe(OLD_VERSION);

  const g = oldGambi();
  const container = await runCommand([g.exe, "upgrade"], { ...g.env, GAMBI_INSTALLED_BY: "container" });
  expect(container.code).toBe(2);
  expect(container.stderr + container.stdout).toContain("managed by its container image, so gambi upgrade leaves it alone: pull the newer image");
  // --check still reports for them, with their own command.
  const check = await runCommand([g.exe, "upgrade", "--check"], { ...g.env, GAMBI_INSTALLED_BY: "npm" });
  expect(check.code).toBe(0);
  expect(check.stdout).toContain("is available (this is 0.0.1): npm install -g gambi@latest");

  const source = await runCommand([process.execPath, CLI, "upgrade"], { ...g.env, GAMBI_DOWNLOAD_URL: release.server.url("good") });
  expect(source.code).toBe(2);
  expect(source.stderr + source.stdout).toContain("gambi runs from source here: update the clone (git pull && npm install)");
});
