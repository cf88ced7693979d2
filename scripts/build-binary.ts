/**
 * Builds the single gambi executable (hub and joiner in one), minified, version baked in.
 *
 *   bun scripts/build-binary.ts                              → dist/gambi (this machine)
 *   bun scripts/build-binary.ts --target linux-arm64,windows-x64  → dist/gambi-linux-arm64, dist/gambi-windows-x64.exe
 *   bun scripts/build-binary.ts --all                        → every target in CROSS_TARGETS
 *   bun scripts/build-binary.ts --outdir /tmp/x              → /tmp/x/gambi (tests build their own)
 *
 * Cross targets need Bun's runtime for that platform. Bun 1.4.5 fetches it itself from the
 * npm registry (the @oven/bun-<os>-<arch> tarball, cached in ~/.bun/install/cache), so no
 * GitHub access is needed. A target that fails is reported in one line and the others still
 * build; the exit code is 1 if any requested target failed, 2 for a usage error.
 *
 * The version is package.json's plus the short git commit as semver build metadata
 * (`0.1.0+abc1234`), passed to src/version.ts through `define`.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };

/** Our target names → Bun's compile targets. */
const CROSS_TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
} as const satisfies Record<string, Bun.Build.CompileTarget>;
type CrossTarget = keyof typeof CROSS_TARGETS;
const isCrossTarget = (t: string): t is CrossTarget => Object.hasOwn(CROSS_TARGETS, t);

const USAGE = `usage: bun scripts/build-binary.ts [--target host,${Object.keys(CROSS_TARGETS).join(",")}] [--all] [--outdir DIR]`;

function usage(message: string): never {
  console.error(`build-binary: ${message}\n${USAGE}`);
  process.exit(2);
}

function gitCommit(): string | undefined {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short=7", "HEAD"], { cwd: import.meta.dir, stdout: "pipe", stderr: "ignore" });
    const sha = r.stdout.toString().trim();
    return r.exitCode === 0 && /^[0-9a-f]{7,}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined; // git not installed: a version without commit is still a version
  }
}

/** Bun.build throws an AggregateError of build messages; one line of it is enough. */
function oneLine(err: unknown): string {
  const errors = err instanceof AggregateError && err.errors.length > 0 ? err.errors : [err];
  const text = errors.map((e) => (e instanceof Error || (e && typeof e === "object" && "message" in e) ? String((e as { message: unknown }).message) : String(e))).join("; ");
  return text.replace(/\s+/g, " ").trim() || "unknown error";
}

function parseOptions(): { targets: string[]; outdir: string } {
  let values;
  try {
    ({ values } = parseArgs({ options: { target: { type: "string", multiple: true }, all: { type: "boolean" }, outdir: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const named = (values.target ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
  const targets = values.all ? [...named, ...Object.keys(CROSS_TARGETS)] : named.length > 0 ? named : ["host"];
  return { targets: [...new Set(targets)], outdir: resolve(values.outdir ?? `${root}dist`) };
}

const root = new URL("..", import.meta.url).pathname;

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

const { targets, outdir } = parseOptions();
const commit = gitCommit();
const version = commit ? `${pkg.version}+${commit}` : pkg.version;
mkdirSync(outdir, { recursive: true });
console.log(`gambi ${version} (bun ${Bun.version}): building ${targets.join(", ")}`);

const failed: string[] = [];
for (const target of targets) {
  const started = performance.now();
  const windows = target === "host" ? process.platform === "win32" : target.startsWith("windows-");
  const outfile = join(outdir, `${target === "host" ? "gambi" : `gambi-${target}`}${windows ? ".exe" : ""}`);
  if (target !== "host" && !isCrossTarget(target)) {
    console.error(`✗ ${target}: unknown target (known: host, ${Object.keys(CROSS_TARGETS).join(", ")})`);
    failed.push(target);
    continue;
  }
  try {
    const result = await Bun.build({
      entrypoints: [`${root}src/cli.ts`],
      compile: {
        ...(target === "host" ? {} : { target: CROSS_TARGETS[target] }),
        outfile,
        // Bun executables read ./bunfig.toml by default, and its `preload` runs code: gambi
        // started in someone else's directory must not execute their scripts.
        autoloadBunfig: false,
      },
      minify: true,
      sourcemap: "linked",
      plugins: [inkDevtoolsStub],
      define: { GAMBI_BUILD_COMMIT: JSON.stringify(commit ?? "") },
    });
    if (!result.success) throw new AggregateError(result.logs, "build failed");
    // With --compile the source map is embedded in the executable (stack traces point at
    // src/*.ts without it); the copy Bun also writes next to it would only clutter dist/.
    for (const o of result.outputs) if (o.kind === "sourcemap") rmSync(o.path, { force: true });
    const size = Bun.file(outfile).size;
    console.log(`✓ ${target}: ${relative(process.cwd(), outfile) || outfile} (${(size / 1024 / 1024).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    const reason = oneLine(err);
    // e.g. "Failed to download 'bun-windows-x64-v1.4.5': ConnectionRefused"
    const hint = /download/i.test(reason) ? " (Bun fetches that runtime from https://registry.npmjs.org/@oven/; is it reachable?)" : "";
    console.error(`✗ ${target}: ${reason}${hint}`);
    failed.push(target);
  }
}

if (failed.length > 0) {
  console.error(`build-binary: ${failed.length} of ${targets.length} target(s) failed: ${failed.join(", ")}`);
  process.exit(1);
}
