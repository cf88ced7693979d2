/**
 * What scripts/release.ts --targets host writes, file by file: the folder's layout, the
 * archive's exact contents and modes, manifest.json and SHA256SUMS agreeing with the bytes on
 * disk, the npm packages' files, and no token from the build's environment anywhere in them.
 */
import { beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseSums, sha256 } from "../../src/release/checksums.ts";
import { readTar } from "../../src/release/tar.ts";
import { releaseFixture, TOKEN_CANARY, type ReleaseFixture } from "../helpers/release.ts";

let release: ReleaseFixture;
beforeAll(async () => {
  release = await releaseFixture();
}, 120_000);

const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();

test("the folder: one archive, SHA256SUMS, manifest.json, the installers, the notes and the npm packages", () => {
  const entry = release.manifest.targets[0]!;
  expect(release.manifest.targets).toHaveLength(1);
  expect(files(release.out)).toEqual(
    [entry.archive, "RELEASE_NOTES.md", "SHA256SUMS", "install.ps1", "install.sh", "manifest.json", `npm/cli-${entry.target}/README.md`, `npm/cli-${entry.target}/bin/gambi`, `npm/cli-${entry.target}/package.json`, "npm/gambi/README.md", "npm/gambi/bin/gambi.cjs", "npm/gambi/package.json"].sort(),
  );
  expect(statSync(join(release.out, "install.sh")).mode & 0o111).not.toBe(0);
  expect(readFileSync(join(release.out, "install.sh"), "utf8")).toContain(`RELEASES_URL="${release.server.releasesUrl}"`);
  expect(readFileSync(join(release.out, "RELEASE_NOTES.md"), "utf8")).toContain(`| ${entry.target} | ${entry.archive} | ${(entry.size / 1024 / 1024).toFixed(1)} MB |`);
});

test("manifest.json and SHA256SUMS describe the bytes on disk; the archive holds the executable (0755) and a README", () => {
  const m = release.manifest;
  const entry = m.targets[0]!;
  expect(m.version).toMatch(/^\d+\.\d+\.\d+(\+[0-9a-f]{7})?$/);
  expect(m.bun).toBe(Bun.version);
  const bytes = readFileSync(join(release.out, entry.archive));
  expect(entry.size).toBe(bytes.length);
  expect(entry.sha256).toBe(sha256(bytes));
  expect(parseSums(readFileSync(join(release.out, "SHA256SUMS"), "utf8"))).toEqual(new Map([[entry.archive, entry.sha256]]));
  const inside = readTar(Bun.gunzipSync(bytes));
  const folder = entry.archive.replace(/\.tar\.gz$/, "");
  expect(inside.map((f) => [f.path, f.mode.toString(8)])).toEqual([
    [`${folder}/gambi`, "755"],
    [`${folder}/README.txt`, "644"],
  ]);
  expect(inside[0]!.path).toBe(entry.executable);
  expect(inside[0]!.data.length).toBe(entry.executableSize);
  expect(new TextDecoder().decode(inside[1]!.data)).toStartWith(`gambi ${m.version} for ${entry.target}\n`);
});

test("npm packages: the platform package has os/cpu/libc and no install script; the launcher pins it exactly", () => {
  const entry = release.manifest.targets[0]!;
  const npmVersion = release.manifest.version.replace(/\+.*$/, "");
  const platform = JSON.parse(readFileSync(join(release.out, "npm", `cli-${entry.target}`, "package.json"), "utf8"));
  expect(platform).toMatchObject({ name: `@gambi/cli-${entry.target}`, version: npmVersion, os: [entry.os], cpu: [entry.cpu] });
  if (entry.libc) expect(platform.libc).toEqual([entry.libc]);
  expect(platform.scripts).toBeUndefined();
  const launcher = JSON.parse(readFileSync(join(release.out, "npm", "gambi", "package.json"), "utf8"));
  expect(launcher).toMatchObject({ name: "gambi", version: npmVersion, bin: { gambi: "bin/gambi.cjs" }, optionalDependencies: { [`@gambi/cli-${entry.target}`]: npmVersion } });
  expect(launcher.scripts).toBeUndefined();
  expect(sha256(readFileSync(join(release.out, "npm", `cli-${entry.target}`, "bin", "gambi")))).toBe(sha256(readTar(Bun.gunzipSync(readFileSync(join(release.out, entry.archive))))[0]!.data));
});

test("no token from the build's environment (NPM_TOKEN, GITHUB_TOKEN, ...) is in any file it wrote", () => {
  const canary = Buffer.from(TOKEN_CANARY);
  const found = files(release.out).filter((f) => {
    const data = readFileSync(join(release.out, f));
    return data.includes(canary) || (f.endsWith(".tar.gz") && Buffer.from(Bun.gunzipSync(data)).includes(canary));
  });
  expect(found.map((f) => relative(release.out, join(release.out, f)))).toEqual([]);
});
