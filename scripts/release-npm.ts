/**
 * The npm packages of one release, ready for `npm pack` / `npm publish`, for scripts/release.ts:
 *
 *   OUT/npm/gambi/             the `gambi` package: bin/gambi.cjs (scripts/npm-launcher.cjs),
 *                              every platform package as an optional dependency, pinned exactly
 *   OUT/npm/cli-<target>/      `@gambi/cli-<target>`: bin/gambi[.exe], with `os`, `cpu` and
 *                              `libc`, so npm installs only the one that fits, and no install script
 *
 * The baseline build is published but not an optional dependency (npm cannot tell CPUs apart):
 * the launcher names it when a CPU lacks AVX2. npm versions drop semver build metadata, so a
 * build off a tag (`0.1.0+abc1234`) packs as `0.1.0`; only tag builds are published.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exeName, type Target } from "../src/release/targets.ts";
import { licenseFile } from "./release-pack.ts";

export const platformPackage = (t: Target) => `@gambi/cli-${t.name}`;
const root = new URL("..", import.meta.url).pathname;

function describe(t: Target): string {
  const os = { linux: "Linux", darwin: "macOS", windows: "Windows" }[t.os];
  return `${os} ${t.cpu}${t.libc === "musl" ? " (musl)" : ""}${t.baseline ? " (CPUs without AVX2)" : ""}`;
}

function write(dir: string, pkg: object, readme: string): void {
  mkdirSync(join(dir, "bin"), { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, "README.md"), readme);
  if (existsSync(licenseFile)) copyFileSync(licenseFile, join(dir, "LICENSE"));
}

/** Writes the packages under `outDir/npm` from the built executables; returns their folders. */
export function writeNpmPackages(outDir: string, version: string, built: { target: Target; executable: string }[], license: string | undefined, releasesUrl: string | undefined): string[] {
  const npmVersion = version.replace(/\+.*$/, "");
  const repo = releasesUrl?.match(/^(https:\/\/github\.com\/[^/]+\/[^/]+)\/releases$/)?.[1];
  const common = { version: npmVersion, ...(license ? { license } : {}), ...(repo ? { repository: { type: "git", url: `git+${repo}.git` } } : {}) };
  const dirs: string[] = [];
  for (const { target: t, executable } of built) {
    const dir = join(outDir, "npm", `cli-${t.name}`);
    write(
      dir,
      {
        name: platformPackage(t),
        ...common,
        description: `The gambi executable for ${describe(t)}. Install the gambi package, not this one.`,
        os: [t.os === "windows" ? "win32" : t.os],
        cpu: [t.cpu],
        ...(t.libc ? { libc: [t.libc] } : {}),
        files: ["bin/", "README.md", ...(existsSync(licenseFile) ? ["LICENSE"] : [])],
        preferUnplugged: true,
      },
      `# ${platformPackage(t)}\n\nThe gambi ${npmVersion} executable for ${describe(t)}. It is installed by the \`gambi\` package (\`npm install -g gambi\`), which runs it.\n`,
    );
    copyFileSync(executable, join(dir, "bin", exeName(t)));
    chmodSync(join(dir, "bin", exeName(t)), 0o755);
    dirs.push(dir);
  }
  const optional = Object.fromEntries(built.filter((b) => !b.target.baseline).map((b) => [platformPackage(b.target), npmVersion]));
  const dir = join(outDir, "npm", "gambi");
  write(
    dir,
    {
      name: "gambi",
      ...common,
      description: "Pool a group's LLM endpoints behind one OpenAI-compatible hub",
      bin: { gambi: "bin/gambi.cjs" },
      files: ["bin/", "README.md", ...(existsSync(licenseFile) ? ["LICENSE"] : [])],
      engines: { node: ">=16" },
      optionalDependencies: optional,
    },
    `# gambi\n\nPool a group's LLM endpoints behind one OpenAI-compatible hub.\n\n\`\`\`sh\nnpm install -g gambi   # or: npx gambi hub\ngambi hub\n\`\`\`\n\nThis package holds a small launcher; npm installs the executable for your platform from one of its optional dependencies (\`@gambi/cli-<os>-<arch>\`). Upgrade with \`npm install -g gambi@latest\`.\n`,
  );
  copyFileSync(join(root, "scripts", "npm-launcher.cjs"), join(dir, "bin", "gambi.cjs"));
  chmodSync(join(dir, "bin", "gambi.cjs"), 0o755);
  dirs.push(dir);
  return dirs;
}
