/**
 * src/release/: the pieces `gambi upgrade` and scripts/release.ts share, on their own: targets,
 * SHA256SUMS, the manifest's checks, the tar and zip writers and readers (and that the system's
 * tar and unzip read what they write), versions, install kinds, and the swap of an executable.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatSums, parseSums, sha256 } from "../../src/release/checksums.ts";
import { installMethod } from "../../src/release/install-method.ts";
import { parseManifest } from "../../src/release/manifest.ts";
import { replaceExecutable } from "../../src/release/replace.ts";
import { readTar, writeTar } from "../../src/release/tar.ts";
import { archiveName, hostTargetName, TARGETS, targetNamed } from "../../src/release/targets.ts";
import { compareVersions, releaseFolder, shownUrl } from "../../src/release/upgrade.ts";
import { readZip, writeZip } from "../../src/release/zip.ts";
import { tempDir } from "../helpers/hub-process.ts";

const dir = tempDir("release-unit");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = (text: string) => new TextEncoder().encode(text);
const entries = [
  { path: "gambi-1.2.3-linux-x64/gambi", data: new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251)), mode: 0o755 },
  { path: "gambi-1.2.3-linux-x64/README.txt", data: bytes("hello\n"), mode: 0o644 },
  { path: "gambi-1.2.3-linux-x64/empty", data: new Uint8Array(0), mode: 0o644 },
];

test("targets: the issue's platforms, each with a Bun compile target; the host's name from its facts", () => {
  expect(TARGETS.map((t) => t.name)).toEqual(["linux-x64", "linux-x64-baseline", "linux-x64-musl", "linux-arm64", "linux-arm64-musl", "darwin-x64", "darwin-arm64", "windows-x64"]);
  for (const t of TARGETS) expect(t.bun).toBe(`bun-${t.name}`);
  expect(archiveName("1.2.3", targetNamed("windows-x64")!)).toBe("gambi-1.2.3-windows-x64.zip");
  expect(archiveName("1.2.3", targetNamed("linux-x64-musl")!)).toBe("gambi-1.2.3-linux-x64-musl.tar.gz");
  expect(hostTargetName("linux", "x64", { avx2: true })).toBe("linux-x64");
  expect(hostTargetName("linux", "x64", { avx2: false })).toBe("linux-x64-baseline");
  expect(hostTargetName("linux", "arm64", { musl: true })).toBe("linux-arm64-musl");
  expect(hostTargetName("win32", "x64")).toBe("windows-x64");
  expect(hostTargetName("darwin", "arm64")).toBe("darwin-arm64");
  expect(hostTargetName("freebsd", "x64")).toBeUndefined();
  expect(hostTargetName("linux", "ia32")).toBeUndefined();
});

test("SHA256SUMS: written sorted in sha256sum's format, read back in text and binary mode", () => {
  const a = sha256("a");
  const text = formatSums([{ name: "z.tar.gz", sha256: a }, { name: "b.zip", sha256: sha256("b") }]);
  expect(text).toBe(`${sha256("b")}  b.zip\n${a}  z.tar.gz\n`);
  const sums = parseSums(`${text}${a.toUpperCase()} *c.tar.gz\r\nnot a line\n`);
  expect([...sums.keys()]).toEqual(["b.zip", "z.tar.gz", "c.tar.gz"]);
  expect(sums.get("c.tar.gz")).toBe(a);
});

test("manifest.json: what a download folder says is checked before it is used", () => {
  const target = { target: "linux-x64", os: "linux", cpu: "x64", archive: "gambi-1.0.0-linux-x64.tar.gz", size: 1, sha256: sha256("x"), executable: "gambi-1.0.0-linux-x64/gambi", executableSize: 1 };
  const ok = { name: "gambi", version: "1.0.0", bun: "1.4.5", targets: [target] };
  expect(parseManifest(JSON.stringify(ok)).version).toBe("1.0.0");
  expect(() => parseManifest("<html>")).toThrow("not JSON");
  expect(() => parseManifest(JSON.stringify({ ...ok, name: "other" }))).toThrow("not a gambi release manifest");
  expect(() => parseManifest(JSON.stringify({ ...ok, version: "latest" }))).toThrow("no usable version");
  expect(() => parseManifest(JSON.stringify({ ...ok, targets: [{ ...target, archive: "../../etc/passwd" }] }))).toThrow("malformed target");
  expect(() => parseManifest(JSON.stringify({ ...ok, targets: [{ ...target, executable: "../gambi" }] }))).toThrow("malformed target");
  expect(() => parseManifest(JSON.stringify({ ...ok, targets: [{ ...target, sha256: "abc" }] }))).toThrow("malformed target");
});

test("tar: what writeTar writes, readTar and the system's tar read back, modes included; damage is caught", () => {
  const tar = writeTar(entries, 1_700_000_000);
  expect(readTar(tar).map((e) => [e.path, e.mode, sha256(e.data)])).toEqual(entries.map((e) => [e.path, e.mode, sha256(e.data)]));
  writeFileSync(join(dir, "t.tar.gz"), Bun.gzipSync(tar));
  mkdirSync(join(dir, "untar"));
  const r = Bun.spawnSync(["tar", "-xzf", join(dir, "t.tar.gz"), "-C", join(dir, "untar")], { stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  const exe = join(dir, "untar/gambi-1.2.3-linux-x64/gambi");
  expect(statSync(exe).mode & 0o777).toBe(0o755);
  expect(sha256(readFileSync(exe))).toBe(sha256(entries[0]!.data));
  const damaged = tar.slice();
  damaged[10]! ^= 1;
  expect(() => readTar(damaged)).toThrow("bad header checksum");
  expect(() => readTar(tar.slice(0, 1024))).toThrow("truncated");
});

test("zip: what writeZip writes, readZip (and unzip, where installed) read back; a changed byte fails its CRC", () => {
  const zip = writeZip(entries, 1_700_000_000);
  expect(readZip(zip).map((e) => [e.path, e.mode, sha256(e.data)])).toEqual(entries.map((e) => [e.path, e.mode, sha256(e.data)]));
  if (Bun.which("unzip")) {
    writeFileSync(join(dir, "t.zip"), zip);
    const r = Bun.spawnSync(["unzip", "-t", join(dir, "t.zip")], { stdout: "pipe" });
    expect(r.stdout.toString()).toContain("No errors detected");
  }
  const damaged = new Uint8Array(zip);
  damaged[200]! ^= 1; // inside the first file's deflated data
  expect(() => readZip(damaged)).toThrow();
  expect(() => readZip(bytes("not a zip at all, not even close to one"))).toThrow("no end of central directory");
});

test("versions: newer by semver precedence; build metadata is the same release", () => {
  expect(compareVersions("0.2.0", "0.1.9")).toBe("newer");
  expect(compareVersions("0.1.0", "0.1.0+abc1234")).toBe("same");
  expect(compareVersions("0.1.0-rc.1", "0.1.0")).toBe("older");
  expect(compareVersions("1.0.0", "0.10.0")).toBe("newer");
});

test("the download folder: GAMBI_DOWNLOAD_URL, else the releases page's latest or a pinned GAMBI_VERSION", () => {
  const page = "https://github.com/o/gambi/releases";
  expect(releaseFolder({ GAMBI_DOWNLOAD_URL: "http://h/x/" }, page)).toBe("http://h/x");
  expect(releaseFolder({}, page)).toBe(`${page}/latest/download`);
  expect(releaseFolder({ GAMBI_VERSION: "v0.3.0" }, page)).toBe(`${page}/download/v0.3.0`);
  expect(releaseFolder({ GAMBI_VERSION: "0.3.0" }, page)).toBe(`${page}/download/v0.3.0`);
  expect(() => releaseFolder({}, undefined)).toThrow("set GAMBI_DOWNLOAD_URL");
  expect(shownUrl("https://u:secret@mirror.lan/gambi/x")).toBe("https://mirror.lan/gambi/x");
  expect(shownUrl("https://mirror.lan/gambi")).toBe("https://mirror.lan/gambi");
});

test("install kinds: only a standalone executable is upgraded in place; the rest are told what to run", () => {
  const kind = (execPath: string, installedBy?: string, buildTarget: string | null = "linux-x64") => installMethod({ execPath, buildTarget: buildTarget ?? undefined, installedBy });
  expect(kind("/home/a/.local/bin/gambi")).toEqual({ kind: "standalone" });
  expect(kind("/usr/local/bin/gambi")).toEqual({ kind: "standalone" });
  expect(kind("C:\\Users\\a\\AppData\\Local\\Programs\\gambi\\gambi.exe", undefined, "windows-x64")).toEqual({ kind: "standalone" });
  expect(kind("/home/a/.local/bin/gambi", undefined, null).kind).toBe("source");
  expect(kind("/usr/lib/node_modules/@gambi/cli-linux-x64/bin/gambi").kind).toBe("npm");
  expect(kind("/anywhere/gambi", "npm").instead).toContain("npm install -g gambi@latest");
  expect(kind("/usr/local/bin/gambi", "container").kind).toBe("container");
  expect(kind("/opt/homebrew/Cellar/gambi/1.0.0/bin/gambi").instead).toBe("brew upgrade gambi");
  expect(kind("/nix/store/abc-gambi/bin/gambi").kind).toBe("nix");
  expect(kind("C:\\Users\\a\\scoop\\apps\\gambi\\current\\gambi.exe", undefined, "windows-x64").instead).toBe("scoop update gambi");
  expect(kind("/usr/bin/gambi").kind).toBe("system");
  expect(kind("/x/gambi", "snap").instead).toContain("GAMBI_INSTALLED_BY=snap");
});

test("replaceExecutable: a failed check keeps the old file and removes the new one; a good one swaps by rename (Windows' way too)", async () => {
  for (const windows of [false, true]) {
    const d = join(dir, `swap-${windows}`);
    mkdirSync(d);
    const target = join(d, "gambi");
    writeFileSync(target, "old", { mode: 0o755 });
    await expect(replaceExecutable(target, bytes("new"), async () => Promise.reject(new Error("does not run")), windows)).rejects.toThrow("does not run");
    expect(readFileSync(target, "utf8")).toBe("old");
    expect(readdirSync(d).filter((f) => !f.endsWith(".old"))).toEqual(["gambi"]);
    let checked = "";
    await replaceExecutable(target, bytes("new"), async (path) => void (checked = readFileSync(path, "utf8")), windows);
    expect(checked).toBe("new");
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(d).sort()).toEqual(windows ? ["gambi", "gambi.old"] : ["gambi"]);
    if (windows) expect(existsSync(`${target}.old`)).toBe(true);
  }
});
