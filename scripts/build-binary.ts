/**
 * Builds the single gambi executable (hub and joiner in one) with scripts/compile-gambi.ts.
 *
 *   bun scripts/build-binary.ts                              → dist/gambi (this machine)
 *   bun scripts/build-binary.ts --target linux-arm64,windows-x64  → dist/gambi-linux-arm64, dist/gambi-windows-x64.exe
 *   bun scripts/build-binary.ts --all                        → every target in src/release/targets.ts
 *   bun scripts/build-binary.ts --outdir /tmp/x              → /tmp/x/gambi (tests build their own)
 *   bun scripts/build-binary.ts --version 0.0.1              → an executable that says it is 0.0.1
 *   bun scripts/build-binary.ts --no-bytecode --no-minify    → to measure what each one gains
 *
 * Cross targets need Bun's runtime for that platform. Bun 1.4.5 fetches it itself from the
 * npm registry (the @oven/bun-<os>-<arch> tarball, cached in ~/.bun/install/cache), so no
 * GitHub access is needed. A target that fails is reported in one line and the others still
 * build; the exit code is 1 if any requested target failed, 2 for a usage error.
 * Archives, checksums and npm packages are scripts/release.ts's job.
 */
import { mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { TARGETS, targetNamed } from "../src/release/targets.ts";
import { buildInfo, compileGambi, hostTarget, oneLine } from "./compile-gambi.ts";

const NAMES = TARGETS.map((t) => t.name);
const USAGE = `usage: bun scripts/build-binary.ts [--target host,${NAMES.join(",")}] [--all] [--outdir DIR] [--version V] [--no-minify] [--no-bytecode]`;

function usage(message: string): never {
  console.error(`build-binary: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        target: { type: "string", multiple: true },
        all: { type: "boolean" },
        outdir: { type: "string" },
        version: { type: "string" },
        "no-minify": { type: "boolean" },
        "no-bytecode": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const named = (values.target ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
  const targets = values.all ? [...named, ...NAMES] : named.length > 0 ? named : ["host"];
  return {
    targets: [...new Set(targets)],
    outdir: resolve(values.outdir ?? new URL("../dist", import.meta.url).pathname),
    version: values.version,
    compile: { minify: !values["no-minify"], bytecode: !values["no-bytecode"] },
  };
}

const { targets, outdir, version, compile } = parseOptions();
let info;
try {
  info = buildInfo(version);
} catch (err) {
  usage((err as Error).message);
}
mkdirSync(outdir, { recursive: true });
console.log(`gambi ${info.version} (bun ${Bun.version}): building ${targets.join(", ")}`);

const failed: string[] = [];
for (const name of targets) {
  const started = performance.now();
  const target = name === "host" ? hostTarget() : targetNamed(name);
  if (!target) {
    console.error(`✗ ${name}: unknown target (known: host, ${NAMES.join(", ")})`);
    failed.push(name);
    continue;
  }
  const outfile = join(outdir, `${name === "host" ? "gambi" : `gambi-${name}`}${target.os === "windows" ? ".exe" : ""}`);
  try {
    await compileGambi(target, outfile, info, compile);
    const size = Bun.file(outfile).size;
    console.log(`✓ ${name}: ${relative(process.cwd(), outfile) || outfile} (${(size / 1024 / 1024).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(`✗ ${name}: ${oneLine(err)}`);
    failed.push(name);
  }
}

if (failed.length > 0) {
  console.error(`build-binary: ${failed.length} of ${targets.length} target(s) failed: ${failed.join(", ")}`);
  process.exit(1);
}
