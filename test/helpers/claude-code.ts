/**
 * Running Claude Code (`@anthropic-ai/claude-code`, a devDependency) in a test with nothing
 * leaving loopback: telemetry, error reporting, the auto-updater and non-essential traffic are
 * off by their variables, and HTTP(S)_PROXY points at a closed port on 127.0.0.1 (NO_PROXY for
 * the hub), so any other request fails at once. The caller adds HOME (a fresh temp folder), its
 * key or token and ANTHROPIC_BASE_URL.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const CLAUDE = resolve(import.meta.dir, "../../node_modules/.bin/claude");

export const OFFLINE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  DISABLE_TELEMETRY: "1",
  DISABLE_ERROR_REPORTING: "1",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_BUG_COMMAND: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  HTTP_PROXY: "http://127.0.0.1:9",
  HTTPS_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "127.0.0.1,localhost",
};

/** Why `claude` cannot run here (for a test's skip message), or undefined when it can. */
export function claudeUnavailable(env: Record<string, string>, cwd: string): string | undefined {
  if (!existsSync(CLAUDE)) return "node_modules/.bin/claude is missing (npm ci without @anthropic-ai/claude-code's platform binary)";
  try {
    const run = Bun.spawnSync([CLAUDE, "--version"], { env, cwd, timeout: 30_000 });
    if (run.exitCode !== 0) return `claude --version exited ${run.exitCode}: ${run.stderr.toString().slice(0, 200)}`;
  } catch (err) {
    return `claude does not run here: ${(err as Error).message}`;
  }
  return undefined;
}
