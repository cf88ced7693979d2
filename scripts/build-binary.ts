/**
 * Builds the single gambi executable (hub and joiner in one) for this machine:
 * `bun scripts/build-binary.ts` → dist/gambi. Cross-compiling to other targets comes with
 * the CLI work (it needs Bun's runtimes for those targets from the registry).
 */
import { $ } from "bun";
import { mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
const outfile = process.platform === "win32" ? "dist/gambi.exe" : "dist/gambi";
await $`bun build src/cli.ts --compile --minify --sourcemap --outfile ${outfile}`;
console.log(`built ${outfile}`);
