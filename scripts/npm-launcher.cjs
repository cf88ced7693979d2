#!/usr/bin/env node
// gambi's npm launcher (the `gambi` package's bin): runs the executable of the platform package
// npm installed beside it. Every @gambi/cli-<os>-<arch> package is an optional dependency with
// `os`, `cpu` and `libc` fields, so npm installs only the one that fits this machine; this file
// finds it and hands it the command line, the terminal and the signals. scripts/release-npm.ts
// copies it into the package unchanged.
"use strict";
const { spawn } = require("node:child_process");
const { readFileSync } = require("node:fs");
const { dirname, join } = require("node:path");

const own = require("../package.json");
const os = process.platform === "win32" ? "windows" : process.platform;
const cpu = process.arch;
const exe = os === "windows" ? "gambi.exe" : "gambi";

function hasAvx2() {
  try {
    return /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return true;
  }
}

// npm put at most one of these here (the libc field picks glibc or musl); an x64 CPU without
// AVX2 needs the baseline build, which is installed by hand (see the error below).
const baseline = os === "linux" && cpu === "x64" && !hasAvx2();
const wanted = baseline ? [`@gambi/cli-linux-x64-baseline`] : [`@gambi/cli-${os}-${cpu}`, `@gambi/cli-${os}-${cpu}-musl`];

function find() {
  for (const name of wanted) {
    try {
      return join(dirname(require.resolve(`${name}/package.json`)), "bin", exe);
    } catch {}
  }
  return undefined;
}

const binary = process.env.GAMBI_BINARY || find();
if (!binary) {
  const supported = Object.keys(own.optionalDependencies || {}).map((n) => n.replace("@gambi/cli-", "")).join(", ");
  const lines = [
    `gambi: no gambi executable for this machine (${os}-${cpu}${baseline ? ", a CPU without AVX2" : ""}).`,
    baseline
      ? `  This CPU needs the baseline build: npm install -g @gambi/cli-linux-x64-baseline@${own.version}`
      : `  npm installs it as an optional dependency of gambi (${wanted[0]}); it is missing because this platform is not one gambi is built for (${supported}), or because optional dependencies were left out (--omit=optional, --no-optional): reinstall without that.`,
    "  Other ways to install: the release archives and install.sh, or the container image (see gambi's README).",
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", env: { ...process.env, GAMBI_INSTALLED_BY: "npm" } });
// A terminal's Ctrl-C reaches both processes already; a SIGTERM or SIGHUP sent to this one is
// passed on, so `gambi hub` under a supervisor still shuts down gracefully.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (err) => {
  process.stderr.write(`gambi: cannot run ${binary}: ${err.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
