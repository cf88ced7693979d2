/**
 * Where `gambi hub` keeps its rooms unless told otherwise: `$XDG_DATA_HOME/gambi`, else
 * `~/.local/share/gambi` (the XDG base-directory default; settings.ts does the same for config).
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultDataDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return join(base, "gambi");
}
