/**
 * Swapping the running executable for a new one without a moment where neither works: the new
 * bytes go to a file beside it, are run once (`--version` must print the expected version),
 * then take its name in one rename. On any failure the old executable stays, and the new file
 * is removed. Windows cannot rename over a running .exe but can rename it away: the old one
 * becomes `gambi.exe.old` (removed at the next upgrade) and comes back if the swap fails.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export class ReplaceError extends Error {}

/** Runs `path --version` and checks it prints `version`. */
export async function checkRuns(path: string, version: string): Promise<void> {
  const proc = Bun.spawn([path, "--version"], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill(), 30_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0 || out.trim() !== version) {
    throw new ReplaceError(`the downloaded executable does not run here (exit ${code}${out.trim() ? `, printed ${JSON.stringify(out.trim().slice(0, 80))}` : ""}${err.trim() ? `: ${err.trim().split("\n")[0]}` : ""})`);
  }
}

export async function replaceExecutable(target: string, data: Uint8Array, check: (path: string) => Promise<void>, windows = process.platform === "win32"): Promise<void> {
  const dir = dirname(target);
  const fresh = join(dir, `.${basename(target)}.new-${process.pid}`);
  const old = `${target}.old`;
  if (windows) rmSync(old, { force: true });
  try {
    try {
      const fd = openSync(fresh, "w", 0o755);
      try {
        writeSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(fresh, 0o755);
    } catch (err) {
      throw new ReplaceError(`cannot write the new executable in ${dir}: ${(err as Error).message}`);
    }
    await check(fresh);
    if (!windows) {
      renameSync(fresh, target);
      return;
    }
    renameSync(target, old);
    try {
      renameSync(fresh, target);
    } catch (err) {
      renameSync(old, target);
      throw err;
    }
  } finally {
    if (existsSync(fresh)) rmSync(fresh, { force: true });
  }
}
