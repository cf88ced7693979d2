/**
 * A hub calls its direct participants with Bun's `fetch`, and so does `gambi join --tunnel` its
 * endpoint for each request the hub sends through; Bun lets one process have only 256 fetches
 * in flight, and the rest wait inside `fetch`, where neither the room's queue nor /metrics sees
 * them and their first-byte deadline runs while they wait. The limit comes from
 * `BUN_CONFIG_MAX_HTTP_REQUESTS`, read once as the process starts (setting `process.env`
 * afterwards changes nothing). So `gambi hub` and `gambi join` started without it replace
 * themselves, first thing, with the same program and arguments and the variable set (`execve`:
 * the same process id, the same terminal and pipes, no parent left behind, one more start-up of
 * the executable). The container image sets it itself, and a value the user set is kept,
 * whatever it is. Not on Windows, which has no `execve`: there the README's advice stands.
 */
import { BUILD_TARGET } from "../version.ts";

export const HUB_MAX_HTTP_REQUESTS = "4096";
const VARIABLE = "BUN_CONFIG_MAX_HTTP_REQUESTS";

/** The argv that runs this same command again: a compiled gambi is its own program; from source, bun runs the script. */
export function sameCommand(facts: { execPath: string; argv: string[]; execArgv: string[]; compiled: boolean }): string[] {
  const userArgs = facts.argv.slice(2);
  return facts.compiled ? [facts.execPath, ...userArgs] : [facts.execPath, ...facts.execArgv, facts.argv[1]!, ...userArgs];
}

/** Returns only when nothing was done (already set, Windows) or `execve` failed: the hub then runs with Bun's default. */
export function raiseFetchLimit(env: NodeJS.ProcessEnv = process.env): void {
  if (env[VARIABLE] !== undefined || process.platform === "win32" || typeof process.execve !== "function") return;
  const argv = sameCommand({ execPath: process.execPath, argv: process.argv, execArgv: process.execArgv, compiled: BUILD_TARGET !== undefined });
  try {
    process.execve(process.execPath, argv, { ...env, [VARIABLE]: HUB_MAX_HTTP_REQUESTS });
  } catch {
    // Not replaced (a file system that forbids it, say): the hub runs at Bun's default.
  }
}
