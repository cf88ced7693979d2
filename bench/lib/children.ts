/**
 * The bench runs the hub and the fake upstream as separate Bun processes (see ../README.md for
 * why) and talks to them over Bun's IPC channel, never over the HTTP port being measured:
 * a child announces `{ ready: info }` once it listens, then answers `{ id, cmd }` with
 * `{ id, result }` (memory, CPU time, ...), and exits on `{ cmd: "exit" }`.
 */
import type { Subprocess } from "bun";

export interface Usage {
  /** CPU time (user + system) the process has used so far, in microseconds. */
  cpuUs: number;
  rss: number;
  heapUsed: number;
}

export interface Child<Info> {
  info: Info;
  pid: number;
  call<T = unknown>(cmd: string, arg?: unknown): Promise<T>;
  stop(): Promise<void>;
}

type Reply = { ready?: unknown; id?: number; result?: unknown; error?: string };

/** Starts `bun <file>`, optionally pinned to CPUs with taskset, and waits for its ready message. */
export async function spawnChild<Info>(
  file: string,
  opts: { cpus?: string; env?: Record<string, string>; bunArgs?: string[]; quietStderr?: boolean } = {},
): Promise<Child<Info>> {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let onReady!: (info: Info) => void;
  let onFail!: (err: Error) => void;
  const ready = new Promise<Info>((resolve, reject) => ((onReady = resolve), (onFail = reject)));
  const cmd = [process.execPath, ...(opts.bunArgs ?? []), file];
  const proc: Subprocess = Bun.spawn({
    cmd: opts.cpus ? ["taskset", "-c", opts.cpus, ...cmd] : cmd,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "inherit",
    stderr: opts.quietStderr ? "ignore" : "inherit",
    ipc(message: Reply) {
      if (message.ready !== undefined) return onReady(message.ready as Info);
      const p = pending.get(message.id!);
      if (!p) return;
      pending.delete(message.id!);
      if (message.error) p.reject(new Error(message.error));
      else p.resolve(message.result);
    },
    onExit(_p, code, signal) {
      const err = new Error(`${file} exited (code ${code}, signal ${signal})`);
      onFail(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    },
  });
  const info = await ready;
  return {
    info,
    pid: proc.pid,
    call<T>(command: string, arg?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, cmd: command, arg });
      });
    },
    /** Asks the child to exit (so e.g. `--cpu-prof` can write its profile), killing it if it hangs. */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ id: 0, cmd: "exit" });
      const timer = setTimeout(() => proc.kill(), 2000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Moves a running process, all its threads, to these CPUs (taskset exec()s, so the pid is Bun's). */
export function setAffinity(pid: number, cpus: string): void {
  const r = Bun.spawnSync(["taskset", "-a", "-p", "-c", cpus, String(pid)], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`taskset -p ${cpus} ${pid} failed: ${r.stderr.toString().trim()}`);
}

/** Child side: announce readiness and answer commands. */
export function serveParent(info: unknown, handlers: Record<string, (arg: unknown) => unknown>): void {
  process.on("message", async (message: { id: number; cmd: string; arg?: unknown }) => {
    if (message.cmd === "exit") process.exit(0);
    const handler = handlers[message.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      process.send!({ id: message.id, result: await handler(message.arg) });
    } catch (err) {
      process.send!({ id: message.id, error: (err as Error).message });
    }
  });
  process.send!({ ready: info });
}

/** The `usage` command every child answers. `gc: true` collects first so heap figures are comparable. */
export function processUsage(gc: boolean): Usage {
  if (gc) {
    Bun.gc(true);
    Bun.gc(true);
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuUs: cpu.user + cpu.system, rss: mem.rss, heapUsed: mem.heapUsed };
}
