/**
 * One host release for the tests of test/release/, built once per test process with
 * `scripts/release.ts --targets host --out TMP`, beside an "older" gambi (0.0.1, built with
 * `scripts/build-binary.ts --version`) to upgrade from, and a loopback server for its folder:
 *
 *   /good/<file>       the release as written
 *   /tampered/<file>   the same, but every archive has one byte changed
 *   /missing/<file>    the same, but every archive answers 404
 *   /releases/latest/download/<file>, /releases/download/v<version>/<file>
 *                      a GitHub-like releases page: both builds are made with GAMBI_RELEASES_URL
 *                      pointing here, so install.sh and `gambi upgrade` are tested with their
 *                      defaults too, as a release built by the workflow has them
 *
 * Everything is removed when the process exits.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Manifest } from "../../src/release/manifest.ts";
import { tempDir } from "./hub-process.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const OLD_VERSION = "0.0.1";
/** Set as NPM_TOKEN, GITHUB_TOKEN and GH_TOKEN while the release is built: no artifact may contain it. */
export const TOKEN_CANARY = `npm_canary_${crypto.randomUUID().replaceAll("-", "")}`;

export interface ReleaseFixture {
  dir: string;
  server: ReleaseServer;
  /** The release folder scripts/release.ts wrote. */
  out: string;
  manifest: Manifest;
  /** An executable that says it is OLD_VERSION. */
  oldBinary: string;
}

function run(args: string[], env: Record<string, string>): void {
  const r = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
}

let fixture: Promise<ReleaseFixture> | undefined;
export function releaseFixture(): Promise<ReleaseFixture> {
  fixture ??= (async () => {
    const dir = tempDir("release");
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, "out");
    const server = serveRelease(out);
    process.on("exit", () => server.stop());
    const env = { GAMBI_RELEASES_URL: server.releasesUrl, GITHUB_REPOSITORY: "", NPM_TOKEN: TOKEN_CANARY, NODE_AUTH_TOKEN: TOKEN_CANARY, GITHUB_TOKEN: TOKEN_CANARY, GH_TOKEN: TOKEN_CANARY };
    run(["scripts/release.ts", "--targets", "host", "--out", out], env);
    run(["scripts/build-binary.ts", "--version", OLD_VERSION, "--outdir", join(dir, "old")], env);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    return { dir, server, out, manifest, oldBinary: join(dir, "old", "gambi") };
  })();
  return fixture;
}

export interface ReleaseServer {
  url(mode: "good" | "tampered" | "missing"): string;
  /** The GitHub-like releases page. */
  releasesUrl: string;
  /** Paths asked for, in order. */
  requests: string[];
  stop(): void;
}

export function serveRelease(out: string): ReleaseServer {
  const requests: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      let path = decodeURIComponent(new URL(req.url).pathname);
      requests.push(path);
      const version = () => (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest).version;
      path = path.replace(/^\/releases\/latest\/download\//, "/good/");
      const pinned = /^\/releases\/download\/v([^/]+)\/(.*)$/.exec(path);
      if (pinned && pinned[1] === version()) path = `/good/${pinned[2]}`;
      const m = /^\/(good|tampered|missing)\/([^/]+)$/.exec(path);
      if (!m || !readdirSync(out).includes(m[2]!)) return new Response("not found", { status: 404 });
      const [, mode, name] = m;
      const archive = /\.(tar\.gz|zip)$/.test(name!);
      if (archive && mode === "missing") return new Response("not found", { status: 404 });
      const bytes = new Uint8Array(await Bun.file(join(out, name!)).arrayBuffer());
      if (archive && mode === "tampered") bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      return new Response(bytes);
    },
  });
  return { url: (mode) => `http://127.0.0.1:${server.port}/${mode}`, releasesUrl: `http://127.0.0.1:${server.port}/releases`, requests, stop: () => server.stop(true) };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommand(cmd: string[], env: Record<string, string | undefined>, cwd?: string): Promise<Ran> {
  const p = Bun.spawn(cmd, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}
