/**
 * One target's archive for scripts/release.ts: `gambi-<version>-<target>.tar.gz` (`.zip` for
 * Windows) holding `gambi-<version>-<target>/` with the executable, a short README and the
 * LICENSE (when the repository has one). Written by src/release/tar.ts and zip.ts, owned by
 * root, every file dated `mtime`, so the same inputs give the same bytes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "../src/release/checksums.ts";
import type { ManifestTarget } from "../src/release/manifest.ts";
import { writeTar } from "../src/release/tar.ts";
import { archiveFolder, archiveName, exeName, type Target } from "../src/release/targets.ts";
import { writeZip } from "../src/release/zip.ts";

const root = new URL("..", import.meta.url).pathname;
export const licenseFile = join(root, "LICENSE");

const PLATFORM_NOTES: Record<string, string> = {
  glibc: "Built for Linux with glibc (Debian, Ubuntu, Fedora, ...).",
  musl: "Built for Linux with musl (Alpine). It needs the C++ runtime: apk add libstdc++",
  baseline: "Built for x64 CPUs without AVX2 (older or virtual CPUs); slower than the regular build.",
  darwin: "Built for macOS. If macOS refuses to open it, run: xattr -d com.apple.quarantine gambi",
  windows: "Built for Windows 10 and later (x64). Run gambi.exe from a terminal.",
};

export function readme(version: string, t: Target): string {
  const exe = exeName(t);
  const notes = [t.libc ? PLATFORM_NOTES[t.libc] : undefined, t.baseline ? PLATFORM_NOTES.baseline : undefined, t.os === "darwin" ? PLATFORM_NOTES.darwin : undefined, t.os === "windows" ? PLATFORM_NOTES.windows : undefined].filter(Boolean);
  return `gambi ${version} for ${t.name}
Pool a group's LLM endpoints behind one OpenAI-compatible hub.

${notes.join("\n")}

One executable runs every command. Put ${exe} in a folder on your PATH, then:

  ${exe} hub                     start a hub on port 3000
  ${exe} create --name team      make a room (prints its code)
  ${exe} join                    lend a model to a room (asks for what it needs)
  ${exe} tui                     watch a hub, join and create rooms, full screen
  ${exe} --help                  everything else

${exe} upgrade replaces it with the newest release (${exe} upgrade --check only tells).
${existsSync(licenseFile) ? "License: see LICENSE.\n" : ""}`;
}

/** Packs `executable` for `t` into `outDir`; returns its manifest entry. */
export function packTarget(executable: string, t: Target, version: string, outDir: string, mtime: number): ManifestTarget {
  const folder = archiveFolder(version, t);
  const exe = new Uint8Array(readFileSync(executable));
  const entries = [
    { path: `${folder}/${exeName(t)}`, data: exe, mode: 0o755 },
    { path: `${folder}/README.txt`, data: new TextEncoder().encode(t.os === "windows" ? readme(version, t).replaceAll("\n", "\r\n") : readme(version, t)), mode: 0o644 },
    ...(existsSync(licenseFile) ? [{ path: `${folder}/LICENSE`, data: new Uint8Array(readFileSync(licenseFile)), mode: 0o644 }] : []),
  ];
  const archive = archiveName(version, t);
  const bytes = t.os === "windows" ? writeZip(entries, mtime) : Bun.gzipSync(writeTar(entries, mtime), { level: 9 });
  writeFileSync(join(outDir, archive), bytes);
  return {
    target: t.name,
    os: t.os,
    cpu: t.cpu,
    ...(t.libc ? { libc: t.libc } : {}),
    ...(t.baseline ? { baseline: true } : {}),
    archive,
    size: bytes.length,
    sha256: sha256(bytes),
    executable: `${folder}/${exeName(t)}`,
    executableSize: exe.length,
  };
}
