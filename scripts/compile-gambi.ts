/**
 * One gambi executable from src/cli.ts, for one target of src/release/targets.ts: what
 * scripts/build-binary.ts and scripts/release.ts both call.
 *
 * Compiled with `minify` and `bytecode` (JavaScriptCore bytecode stored beside the source, so
 * the bundle is not parsed at each start; docs/release.md has the numbers: `gambi --version`
 * about 60 → 20 ms, a hub's start about 100 → 45 ms, for 6 MB more), the source map embedded for stack traces, ./bunfig.toml never read.
 * The version, commit, target and releases URL are baked in through `define` (src/version.ts).
 * JSX (the web page's Preact, the TUI's Ink) is compiled in its production form.
 */
import { readFileSync, rmSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };
import { hostTargetName, targetNamed, type Target } from "../src/release/targets.ts";

export interface BuildInfo {
  /** What `gambi --version` prints. */
  version: string;
  commit: string | undefined;
  /** `https://github.com/OWNER/REPO/releases`, when known (GitHub Actions sets GITHUB_REPOSITORY). */
  releasesUrl: string | undefined;
}

function git(...args: string[]): string | undefined {
  try {
    const r = Bun.spawnSync(["git", ...args], { cwd: import.meta.dir, stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
  } catch {
    return undefined; // git not installed: a version without commit is still a version
  }
}

/**
 * The package version plus the short commit as semver build metadata (`0.1.0+abc1234`), or
 * the bare version when HEAD carries the tag `v<version>` (a release). `override` replaces it
 * (tests build an "older" gambi to upgrade from). A `v*` tag at HEAD that does not match
 * package.json is an error: the release would say one version and be another.
 */
export function buildInfo(override?: string): BuildInfo {
  const sha = git("rev-parse", "--short=7", "HEAD");
  const commit = sha && /^[0-9a-f]{7,}$/.test(sha) ? sha : undefined;
  const tags = (git("tag", "--points-at", "HEAD") ?? "").split("\n").filter((t) => /^v\d/.test(t));
  const released = tags.includes(`v${pkg.version}`);
  if (!override && tags.length > 0 && !released) throw new Error(`HEAD is tagged ${tags.join(", ")} but package.json says ${pkg.version}: bump package.json or move the tag`);
  const version = override ?? (released || !commit ? pkg.version : `${pkg.version}+${commit}`);
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`"${version}" is not a semver version`);
  const repo = process.env.GITHUB_REPOSITORY;
  const releasesUrl = process.env.GAMBI_RELEASES_URL || (repo && /^[\w.-]+\/[\w.-]+$/.test(repo) ? `https://github.com/${repo}/releases` : undefined);
  return { version, commit, releasesUrl };
}

/** The target this machine runs (for `host`). */
export function hostTarget(): Target {
  let musl = false;
  let avx2: boolean | undefined;
  if (process.platform === "linux") {
    musl = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === undefined;
    if (process.arch === "x64") {
      try {
        avx2 = /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
      } catch {
        avx2 = undefined;
      }
    }
  }
  const name = hostTargetName(process.platform, process.arch, { musl, avx2 });
  if (!name) throw new Error(`no release target for this machine (${process.platform}-${process.arch})`);
  return targetNamed(name)!;
}

/**
 * Ink imports `react-devtools-core` from a module it loads only when DEV=true. The package is
 * not installed (it is a debugging aid), and the bundler would otherwise fail to resolve it:
 * an empty stand-in keeps the import satisfied; the code path never runs in gambi.
 */
const inkDevtoolsStub: Bun.BunPlugin = {
  name: "ink-devtools-stub",
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: "react-devtools-core", namespace: "gambi-stub" }));
    build.onLoad({ filter: /.*/, namespace: "gambi-stub" }, () => ({ contents: "export default { initialize() {}, connectToDevTools() {} };", loader: "js" }));
  },
};

export interface CompileOptions {
  minify?: boolean;
  bytecode?: boolean;
}

/** Compiles src/cli.ts into `outfile` for `target`. Throws Bun's build errors. */
export async function compileGambi(target: Target, outfile: string, info: BuildInfo, opts: CompileOptions = {}): Promise<void> {
  const bytecode = opts.bytecode ?? true;
  const result = await Bun.build({
    entrypoints: [new URL("../src/cli.ts", import.meta.url).pathname],
    compile: {
      target: target.bun as Bun.Build.CompileTarget,
      outfile,
      // Bun executables read ./bunfig.toml by default, and its `preload` runs code: gambi
      // started in someone else's directory must not execute their scripts.
      autoloadBunfig: false,
    },
    minify: opts.minify ?? true,
    bytecode,
    ...(bytecode ? { format: "esm" as const } : {}),
    sourcemap: "linked",
    plugins: [inkDevtoolsStub],
    // JSX's production form (jsx(), not jsxDEV() with a source and `this` per element), for the
    // web page bundled from src/web/index.html as for the TUI: the compile would otherwise use the
    // development form, ~6 KB (0.2 KB gzip'd) more page than the hub serves from source.
    jsx: { development: false },
    define: {
      GAMBI_BUILD_VERSION: JSON.stringify(info.version),
      GAMBI_BUILD_COMMIT: JSON.stringify(info.commit ?? ""),
      GAMBI_BUILD_TARGET: JSON.stringify(target.name),
      GAMBI_BUILD_RELEASES_URL: JSON.stringify(info.releasesUrl ?? ""),
    },
  });
  if (!result.success) throw new AggregateError(result.logs, "build failed");
  // With --compile the source map is embedded in the executable (stack traces point at
  // src/*.ts without it); the copy Bun also writes next to it would only clutter the folder.
  for (const o of result.outputs) if (o.kind === "sourcemap") rmSync(o.path, { force: true });
}

/** Bun.build throws an AggregateError of build messages; one line of it is enough. */
export function oneLine(err: unknown): string {
  const errors = err instanceof AggregateError && err.errors.length > 0 ? err.errors : [err];
  const text = errors.map((e) => (e instanceof Error || (e && typeof e === "object" && "message" in e) ? String((e as { message: unknown }).message) : String(e))).join("; ");
  const reason = text.replace(/\s+/g, " ").trim() || "unknown error";
  // e.g. "Failed to download 'bun-windows-x64-v1.4.5': ConnectionRefused"
  return /download/i.test(reason) ? `${reason} (Bun fetches that runtime from https://registry.npmjs.org/@oven/; is it reachable?)` : reason;
}
