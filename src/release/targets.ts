/**
 * The platforms gambi is released for: one executable each, one archive each, one npm package
 * each. scripts/build-binary.ts and scripts/release.ts build from this table, install.sh picks
 * from the same names, and a built executable knows its own entry (BUILD_TARGET in version.ts)
 * so `gambi upgrade` fetches the same one.
 */
export interface Target {
  /** Our name: `<os>-<arch>[-variant]`, the tail of the archive name. */
  name: string;
  os: "linux" | "darwin" | "windows";
  cpu: "x64" | "arm64";
  /** Linux only: which C library the executable links. */
  libc?: "glibc" | "musl";
  /** Built for x64 CPUs without AVX2. */
  baseline?: boolean;
  /** Bun's `--compile --target` for it (Bun fetches that runtime from the npm registry). */
  bun: string;
}

export const TARGETS: readonly Target[] = [
  { name: "linux-x64", os: "linux", cpu: "x64", libc: "glibc", bun: "bun-linux-x64" },
  { name: "linux-x64-baseline", os: "linux", cpu: "x64", libc: "glibc", baseline: true, bun: "bun-linux-x64-baseline" },
  { name: "linux-x64-musl", os: "linux", cpu: "x64", libc: "musl", bun: "bun-linux-x64-musl" },
  { name: "linux-arm64", os: "linux", cpu: "arm64", libc: "glibc", bun: "bun-linux-arm64" },
  { name: "linux-arm64-musl", os: "linux", cpu: "arm64", libc: "musl", bun: "bun-linux-arm64-musl" },
  { name: "darwin-x64", os: "darwin", cpu: "x64", bun: "bun-darwin-x64" },
  { name: "darwin-arm64", os: "darwin", cpu: "arm64", bun: "bun-darwin-arm64" },
  { name: "windows-x64", os: "windows", cpu: "x64", bun: "bun-windows-x64" },
];

export const targetNamed = (name: string): Target | undefined => TARGETS.find((t) => t.name === name);

/** The executable's file name inside an archive and once installed. */
export const exeName = (t: Target): string => (t.os === "windows" ? "gambi.exe" : "gambi");

/** `gambi-0.2.0-linux-x64.tar.gz`; Windows gets a zip. */
export const archiveName = (version: string, t: Target): string => `gambi-${version}-${t.name}.${t.os === "windows" ? "zip" : "tar.gz"}`;

/** The folder inside an archive that holds its files (so unpacking litters nothing). */
export const archiveFolder = (version: string, t: Target): string => `gambi-${version}-${t.name}`;

/**
 * The target of the machine this runs on (the build host, for `--targets host`). Linux: musl
 * when the runtime has no glibc (Alpine); x64 without AVX2 gets the baseline build.
 */
export function hostTargetName(
  platform: string = process.platform,
  arch: string = process.arch,
  facts: { musl?: boolean; avx2?: boolean } = {},
): string | undefined {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = arch === "x64" || arch === "arm64" ? arch : undefined;
  if (!cpu || !["linux", "darwin", "windows"].includes(os)) return undefined;
  let name = `${os}-${cpu}`;
  if (os === "linux" && cpu === "x64" && facts.avx2 === false && !facts.musl) name += "-baseline";
  if (os === "linux" && facts.musl) name += "-musl";
  return targetNamed(name)?.name;
}
