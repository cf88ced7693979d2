/**
 * Release artifacts: every target's executable, packed and checksummed, plus the npm packages.
 *
 *   bun scripts/release.ts [--targets host|all|LIST] [--out DIR] [--version V]
 *
 * writes into DIR (default dist/release), the layout install.sh, `gambi upgrade` and a GitHub
 * release's download folder share:
 *
 *   gambi-<version>-<target>.tar.gz (.zip for Windows)   executable + README.txt (+ LICENSE)
 *   SHA256SUMS                                           over every archive, `sha256sum -c` format
 *   manifest.json                                        version, commit, Bun, targets, sizes, checksums
 *   install.sh, install.ps1                              the installers, told this project's releases URL
 *   RELEASE_NOTES.md                                     what it printed: sizes and how to install
 *   npm/gambi, npm/cli-<target>                          the npm packages (scripts/release-npm.ts)
 *
 * The version is scripts/compile-gambi.ts's (`0.1.0+abc1234`, bare from a `v0.1.0` tag);
 * `--version` overrides it (tests make an "older" release). `--targets all` is what the release
 * workflow runs; `host` is what CI runs. Exit 1 if any target failed (nothing half-written is
 * left as a release: no manifest), 2 for a usage error.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { formatSums } from "../src/release/checksums.ts";
import type { Manifest, ManifestTarget } from "../src/release/manifest.ts";
import { exeName, TARGETS, targetNamed, type Target } from "../src/release/targets.ts";
import { buildInfo, compileGambi, hostTarget, oneLine } from "./compile-gambi.ts";
import { writeNpmPackages } from "./release-npm.ts";
import { licenseFile, packTarget } from "./release-pack.ts";

const root = new URL("..", import.meta.url).pathname;
const USAGE = `usage: bun scripts/release.ts [--targets host|all|${TARGETS.map((t) => t.name).join(",")}] [--out DIR] [--version V]`;

function usage(message: string): never {
  console.error(`release: ${message}\n${USAGE}`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({ options: { targets: { type: "string" }, out: { type: "string" }, version: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const names = (values.targets ?? "all").split(",").map((t) => t.trim()).filter(Boolean);
  const targets: Target[] = [];
  for (const name of names) {
    if (name === "all") targets.push(...TARGETS);
    else if (name === "host") targets.push(hostTarget());
    else targets.push(targetNamed(name) ?? usage(`unknown target "${name}"`));
  }
  return { targets: [...new Set(targets)], out: resolve(values.out ?? join(root, "dist", "release")), version: values.version };
}

/** An output folder is emptied only if it is empty or an earlier release's. */
function prepare(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!existsSync(join(out, "manifest.json")) && !existsSync(join(out, ".build"))) usage(`${out} is not empty and holds no earlier release (manifest.json): choose another --out`);
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(join(out, ".build"), { recursive: true });
}

/** install.sh and install.ps1 with the releases URL filled in, when it is known. */
function stampInstallers(out: string, releasesUrl: string | undefined): void {
  const sh = readFileSync(join(root, "install.sh"), "utf8");
  const ps1 = readFileSync(join(root, "install.ps1"), "utf8");
  writeFileSync(join(out, "install.sh"), releasesUrl ? sh.replace(/^RELEASES_URL=""$/m, `RELEASES_URL="${releasesUrl}"`) : sh, { mode: 0o755 });
  writeFileSync(join(out, "install.ps1"), releasesUrl ? ps1.replace(/^\$ReleasesUrl = ''$/m, `$ReleasesUrl = '${releasesUrl}'`) : ps1);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function notes(m: Manifest, releasesUrl: string | undefined): string {
  const download = releasesUrl ? `${releasesUrl}/latest/download` : "<the release's download folder>";
  const rows = m.targets.map((t) => `| ${t.target} | ${t.archive} | ${mb(t.size)} | ${mb(t.executableSize)} |`);
  const total = m.targets.reduce((n, t) => n + t.size, 0);
  return [
    `# gambi ${m.version}`,
    "",
    `Commit ${m.commit ?? "unknown"}, compiled by Bun ${m.bun} (minified, with bytecode).`,
    "",
    "| target | archive | archive size | executable |",
    "|---|---|---|---|",
    ...rows,
    "",
    `${m.targets.length} archive${m.targets.length === 1 ? "" : "s"}, ${mb(total)} in all. Checksums: SHA256SUMS (\`sha256sum -c SHA256SUMS --ignore-missing\`).`,
    "",
    "Install:",
    "",
    "```sh",
    `curl -fsSL ${download}/install.sh | sh`,
    "npm install -g gambi",
    "```",
    "",
  ].join("\n");
}

const { targets, out, version } = options();
let info;
try {
  info = buildInfo(version);
} catch (err) {
  usage((err as Error).message);
}
if (!existsSync(licenseFile)) console.warn("release: warning: the repository has no LICENSE file, so the archives and npm packages carry none");
prepare(out);
const mtime = Number(process.env.SOURCE_DATE_EPOCH) || Number(Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root, stdout: "pipe", stderr: "ignore" }).stdout.toString().trim()) || Math.floor(Date.now() / 1000);
console.log(`gambi ${info.version} (bun ${Bun.version}): releasing ${targets.map((t) => t.name).join(", ")} into ${relative(process.cwd(), out) || out}`);

const entries: ManifestTarget[] = [];
const built: { target: Target; executable: string }[] = [];
const failed: string[] = [];
for (const t of targets) {
  const started = performance.now();
  const executable = join(out, ".build", t.name, exeName(t));
  try {
    await compileGambi(t, executable, info);
    const entry = packTarget(executable, t, info.version, out, mtime);
    entries.push(entry);
    built.push({ target: t, executable });
    console.log(`✓ ${t.name}: ${entry.archive} ${mb(entry.size)} (executable ${mb(entry.executableSize)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(`✗ ${t.name}: ${oneLine(err)}`);
    failed.push(t.name);
  }
}
if (failed.length > 0) {
  console.error(`release: ${failed.length} of ${targets.length} target(s) failed (${failed.join(", ")}); no manifest written`);
  process.exit(1);
}

const manifest: Manifest = { name: "gambi", version: info.version, ...(info.commit ? { commit: info.commit } : {}), bun: Bun.version, targets: entries };
writeFileSync(join(out, "SHA256SUMS"), formatSums(entries.map((e) => ({ name: e.archive, sha256: e.sha256 }))));
writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
stampInstallers(out, info.releasesUrl);
writeNpmPackages(out, info.version, built, (pkg as { license?: string }).license, info.releasesUrl);
rmSync(join(out, ".build"), { recursive: true, force: true });
const text = notes(manifest, info.releasesUrl);
writeFileSync(join(out, "RELEASE_NOTES.md"), text);
console.log(`\n${text}`);
