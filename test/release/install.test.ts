/**
 * install.sh against a release built here (scripts/release.ts --targets host) and served on
 * loopback: piped into sh from curl and from wget as users run it, a re-run that upgrades in
 * place, and every refusal (tampered archive, missing archive, unsupported OS or CPU) exiting
 * non-zero with a message and leaving nothing behind: no gambi, no temporary file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/hub-process.ts";
import { OLD_VERSION, releaseFixture, runCommand, type ReleaseFixture, type ReleaseServer } from "../helpers/release.ts";

let release: ReleaseFixture;
let server: ReleaseServer;
let scratch: string;

beforeAll(async () => {
  release = await releaseFixture();
  server = release.server;
  scratch = tempDir("install-sh");
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A fresh HOME, install dir and TMPDIR; `path` replaces PATH. */
function sandbox(path = process.env.PATH!) {
  const base = join(scratch, `run-${n++}`);
  const home = join(base, "home");
  const tmp = join(base, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const bin = join(base, "bin");
  return { home, tmp, bin, env: { PATH: path, HOME: home, TMPDIR: tmp, GAMBI_INSTALL_DIR: bin, NO_COLOR: "1" } as Record<string, string> };
}

const ls = (dir: string) => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

const pipeToSh = (fetcher: string, url: string) => ["sh", "-c", `${fetcher} ${url}/install.sh | sh`];

test.skipIf(!Bun.which("curl"))("curl …/latest/download/install.sh | sh installs the host archive into GAMBI_INSTALL_DIR; gambi --version prints the release's version", async () => {
  const s = sandbox();
  const from = server.requests.length;
  const r = await runCommand(pipeToSh("curl -fsSL", `${server.releasesUrl}/latest/download`), s.env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`gambi ${release.manifest.version} installed in ${s.bin}/gambi`);
  expect(r.stdout).toContain(`${s.bin} is not on your PATH`); // the hint, since it is not
  expect(ls(s.bin)).toEqual(["gambi"]);
  expect(ls(s.tmp)).toEqual([]);
  expect((await runCommand([join(s.bin, "gambi"), "--version"], s.env)).stdout.trim()).toBe(release.manifest.version);
  // install.sh, then what it fetched by itself from the releases URL it was stamped with.
  expect(server.requests.slice(from).map((p) => p.replace(/gambi-.*\.tar\.gz$/, "ARCHIVE"))).toEqual(["/releases/latest/download/install.sh", "/releases/latest/download/SHA256SUMS", "/releases/latest/download/ARCHIVE"]);
});

test("GAMBI_VERSION pins a release: …/download/v<version>/", async () => {
  const s = sandbox();
  const from = server.requests.length;
  const r = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_VERSION: `v${release.manifest.version}` });
  expect(r.code).toBe(0);
  expect(server.requests.slice(from)[0]).toBe(`/releases/download/v${release.manifest.version}/SHA256SUMS`);
  expect(ls(s.bin)).toEqual(["gambi"]);
});

test.skipIf(!Bun.which("wget"))("wget -qO- … | sh works without curl, and a re-run over an older gambi upgrades it in place", async () => {
  // A PATH with every command of this machine but curl.
  const farm = join(scratch, "no-curl");
  mkdirSync(farm, { recursive: true });
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"])
    for (const name of ls(dir)) {
      if (name === "curl" || ls(farm).includes(name)) continue;
      try {
        symlinkSync(join(dir, name), join(farm, name));
      } catch {}
    }
  const s = sandbox(farm);
  mkdirSync(s.bin, { recursive: true });
  copyFileSync(release.oldBinary, join(s.bin, "gambi"));
  const r = await runCommand(pipeToSh("wget -qO-", server.url("good")), { ...s.env, PATH: `${s.bin}:${farm}`, GAMBI_DOWNLOAD_URL: server.url("good") });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`gambi ${release.manifest.version} installed in ${s.bin}/gambi (was ${OLD_VERSION})`);
  expect(r.stdout).not.toContain("is not on your PATH");
  expect((await runCommand([join(s.bin, "gambi"), "--version"], s.env)).stdout.trim()).toBe(release.manifest.version);
  const again = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_DOWNLOAD_URL: server.url("good") });
  expect(again.code).toBe(0);
  expect(ls(s.bin)).toEqual(["gambi"]);
  expect(ls(s.tmp)).toEqual([]);
});

test("a tampered archive: the installer refuses, exits non-zero and installs nothing (an older gambi stays as it was)", async () => {
  const s = sandbox();
  const fresh = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_DOWNLOAD_URL: server.url("tampered") });
  expect(fresh.code).not.toBe(0);
  expect(fresh.stderr).toMatch(/^gambi install: checksum mismatch for gambi-\S+\.tar\.gz: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}; nothing was installed$/m);
  expect(ls(s.bin)).toEqual([]);
  expect(ls(s.tmp)).toEqual([]);

  mkdirSync(s.bin, { recursive: true });
  copyFileSync(release.oldBinary, join(s.bin, "gambi"));
  const over = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_DOWNLOAD_URL: server.url("tampered") });
  expect(over.code).not.toBe(0);
  expect(ls(s.bin)).toEqual(["gambi"]);
  expect((await runCommand([join(s.bin, "gambi"), "--version"], s.env)).stdout.trim()).toBe(OLD_VERSION);
});

test("a missing archive is a download error, with nothing left behind and no password from the URL printed", async () => {
  const s = sandbox();
  const url = server.url("missing").replace("http://", "http://mirror:hunter2@");
  const r = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_DOWNLOAD_URL: url });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/^gambi install: download failed: http:\/\/127\.0\.0\.1:\d+\/missing\/gambi-\S+\.tar\.gz$/m);
  expect(r.stdout + r.stderr).not.toContain("hunter2");
  expect(ls(s.bin)).toEqual([]);
  expect(ls(s.tmp)).toEqual([]);
});

test("an unsupported OS or CPU (a fake uname on PATH) gets a clear message before any download", async () => {
  for (const [system, machine, message] of [
    ["SunOS", "sun4v", "unsupported operating system: SunOS"],
    ["Linux", "riscv64", "unsupported CPU: riscv64 on linux"],
    ["MINGW64_NT-10.0", "x86_64", "this is Windows: use install.ps1"],
  ] as const) {
    const fake = join(scratch, `uname-${machine}`);
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, "uname"), `#!/bin/sh\ncase "$1" in -s) echo ${system} ;; -m) echo ${machine} ;; *) echo ${system} ;; esac\n`, { mode: 0o755 });
    const s = sandbox(`${fake}:${process.env.PATH}`);
    const before = server.requests.length;
    const r = await runCommand(["sh", join(release.out, "install.sh")], { ...s.env, GAMBI_DOWNLOAD_URL: server.url("good") });
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith(`gambi install: ${message}`);
    expect(server.requests.length).toBe(before);
    expect(ls(s.bin)).toEqual([]);
  }
});

test("without GAMBI_DOWNLOAD_URL, the repository's own install.sh (not stamped by a release) says where to point it", async () => {
  const s = sandbox();
  const r = await runCommand(["sh", "install.sh"], s.env, join(import.meta.dir, "../.."));
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("set GAMBI_DOWNLOAD_URL");
});

test.skipIf(!Bun.which("shellcheck"))("install.sh passes shellcheck as POSIX sh", async () => {
  const r = await runCommand(["shellcheck", "-s", "sh", "install.sh"], { PATH: process.env.PATH }, join(import.meta.dir, "../.."));
  expect(r.stdout + r.stderr).toBe("");
  expect(r.code).toBe(0);
});
