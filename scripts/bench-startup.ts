/**
 * How fast a built gambi starts, the two numbers of issue 14's targets:
 *
 *   bun scripts/bench-startup.ts [BINARY] [--runs N]     (default dist/gambi, 15 runs)
 *
 * - `gambi --version`: spawn to exit (target ≤ 60 ms);
 * - `gambi hub --port 0 --ephemeral`: spawn to the first answered GET /health, the port read
 *   from its listening line (target ≤ 300 ms).
 * Prints the median, fastest and slowest of each. The release test runs it and checks only
 * generous ceilings (a shared 2-core machine is no stopwatch); docs/release.md keeps the
 * measured numbers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface Timing {
  median: number;
  min: number;
  max: number;
}

const summarize = (ms: number[]): Timing => {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
};

async function versionOnce(binary: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const p = Bun.spawn([binary, "--version"], { env, stdout: "pipe", stderr: "ignore" });
  await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`${binary} --version exited with ${p.exitCode}`);
  return performance.now() - started;
}

async function healthOnce(binary: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const p = Bun.spawn([binary, "hub", "--port", "0", "--host", "127.0.0.1", "--ephemeral", "--quiet"], { env, stdout: "pipe", stderr: "pipe" });
  try {
    let out = "";
    const decoder = new TextDecoder();
    const reader = p.stdout.getReader();
    const deadline = setTimeout(() => p.kill("SIGKILL"), 10_000);
    let port: string | undefined;
    while (!port) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the hub ended before its listening line: ${out}`);
      out += decoder.decode(value, { stream: true });
      port = /listening on \S+:(\d+)/.exec(out)?.[1];
    }
    clearTimeout(deadline);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    if (!res.ok) throw new Error(`GET /health: HTTP ${res.status}`);
    await res.text();
    return performance.now() - started;
  } finally {
    p.kill("SIGKILL");
    await p.exited;
  }
}

export async function measureStartup(binary: string, runs = 15): Promise<{ version: Timing; health: Timing }> {
  const home = mkdtempSync(join(tmpdir(), "gambi-bench-startup-"));
  const env = { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home, NO_COLOR: "1" };
  try {
    await versionOnce(binary, env); // the first run reads the file from disk; the rest measure starting
    const version: number[] = [];
    const health: number[] = [];
    for (let i = 0; i < runs; i++) version.push(await versionOnce(binary, env));
    for (let i = 0; i < runs; i++) health.push(await healthOnce(binary, env));
    return { version: summarize(version), health: summarize(health) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export const describeTiming = (t: Timing) => `median ${t.median.toFixed(0)} ms (${t.min.toFixed(0)}–${t.max.toFixed(0)})`;

if (import.meta.main) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--runs");
  const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 15;
  const binary = resolve(args[0] ?? "dist/gambi");
  const { version, health } = await measureStartup(binary, runs);
  console.log(`${binary}, ${runs} runs each:`);
  console.log(`  gambi --version          ${describeTiming(version)}   (target ≤ 60 ms)`);
  console.log(`  hub start → GET /health  ${describeTiming(health)}   (target ≤ 300 ms)`);
}
