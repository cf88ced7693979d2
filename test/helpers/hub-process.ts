/**
 * `gambi hub` as a spawned process (`bun src/cli.ts hub ...`), its output collected as it
 * arrives and its port read from the "listening on HOST:PORT" line. $XDG_DATA_HOME points at a
 * fresh throwaway directory unless the test gives its own, so a spawned hub never writes into
 * the real home. `killHubProcesses()` (call it in afterEach) SIGKILLs every process still
 * running and removes those directories.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { waitFor } from "./fake-upstream.ts";

export const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const spawned: Bun.Subprocess[] = [];
const dataHomes: string[] = [];

export function killHubProcesses(): void {
  for (const p of spawned.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
  for (const d of dataHomes.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh temporary directory (the caller removes it). */
export const tempDir = (prefix: string) => mkdtempSync(resolve(tmpdir(), `gambi-${prefix}-`));

/** A throwaway $XDG_DATA_HOME per spawn that does not bring its own: two hubs never share one. */
function freshDataHome(): string {
  const dir = tempDir("data-home");
  dataHomes.push(dir);
  return dir;
}

export interface HubProcess {
  p: Bun.Subprocess<"ignore", "pipe", "pipe">;
  out: { stdout: string; stderr: string };
  /** Resolves when both output streams have ended. */
  drained: Promise<unknown>;
  /** The port from the listening line, once printed (10 s deadline; throws with the output otherwise). */
  port(): Promise<number>;
  /** Exit code, after the output has been read to its end. */
  exited(): Promise<number>;
}

/** Runs `gambi <command> ...args` (from source, or `gambi`: a compiled binary's path); the env is added to this process's own. */
export function spawnCli(args: string[], env: Record<string, string> = {}, gambi: string[] = [process.execPath, CLI]): HubProcess {
  const p = Bun.spawn([...gambi, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...(env.XDG_DATA_HOME ? {} : { XDG_DATA_HOME: freshDataHome() }), ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  spawned.push(p);
  const out = { stdout: "", stderr: "" };
  const drain = async (stream: ReadableStream<Uint8Array>, key: keyof typeof out) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out[key] += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(p.stdout, "stdout"), drain(p.stderr, "stderr")]);
  return {
    p,
    out,
    drained,
    async port() {
      const found = await waitFor(() => /listening on \S+:\d+/.test(out.stdout) || p.exitCode !== null, 10_000);
      const m = out.stdout.match(/listening on \S+:(\d+)/);
      if (!found || !m) throw new Error(`no listening line; stdout: ${out.stdout} stderr: ${out.stderr}`);
      return Number(m[1]);
    },
    async exited() {
      const code = await p.exited;
      await drained;
      return code;
    },
  };
}

export const spawnHub = (args: string[], env: Record<string, string> = {}, gambi?: string[]) => spawnCli(["hub", ...args], env, gambi);
