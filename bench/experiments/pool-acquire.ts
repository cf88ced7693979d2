/**
 * What the room scheduler (src/hub/pool/) costs per request, in process: acquire + release
 * when a slot is free (the path every request of a room with spare capacity takes), and the
 * hand-over when a request has to wait (acquire → queued, a release grants it, the promise
 * settles). The "today" row below was select.ts `pickParticipant` + inFlight++/-- on the same
 * room, measured before dispatch.ts adopted the scheduler and select.ts was removed.
 * Real clock and timers (performance.now, setTimeout), pinned to one CPU.
 *
 *   bun bench/experiments/pool-acquire.ts
 *
 * Prints, per scenario, the mean over 1,000,000 acquire+release pairs (five runs of 200,000),
 * and p50 / p99 of 200,000 individually timed pairs (Bun.nanoseconds around each; its own
 * ~40 ns included).
 *
 * Measured on the 2-CPU dev machine (others' load ~1), two runs each, µs per request:
 *   1 participant, free                            mean 0.16–0.25   p50 0.17–0.23   p99 0.8–1.2
 *   5 participants, 2 busy, speeds, signal, free   mean 0.34–0.37   p50 0.35        p99 0.9–1.2
 *   the same, `*`, an exclude set of one            mean 0.30–0.35   p50 0.31        p99 1.0–1.1
 *   today: pickParticipant + inFlight++/--          mean 0.14–0.19   p50 0.15        p99 0.4–0.7
 *   queued, handed over on release (incl. await)   mean 2.4–2.5
 * So a request that finds a free slot pays ~0.2 µs more than today's selection (the target:
 * ≤ 50 µs p50), and one that waits ~2.5 µs for its timer, abort listener and promise.
 */
import { setAffinity } from "../lib/children.ts";
import { RoomScheduler, type AcquireRequest, type PoolMember } from "../../src/hub/pool/scheduler.ts";
import { realTimers } from "../../src/proxy/timeouts.ts";

setAffinity(process.pid, "0");
const both = { responses: true, chatCompletions: true };
const chatOnly = { responses: false, chatCompletions: true };

function room(n: number, models: (i: number) => string[], maxConcurrency = 4) {
  const pool = new RoomScheduler({ timers: realTimers });
  for (let i = 0; i < n; i++) pool.upsert({ id: `p${i}`, models: models(i), capabilities: i % 2 ? chatOnly : both, maxConcurrency } satisfies PoolMember);
  return pool;
}

function measure(name: string, pair: () => void): void {
  for (let i = 0; i < 200_000; i++) pair();
  const means: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < 200_000; i++) pair();
    means.push((Bun.nanoseconds() - t0) / 200_000 / 1000);
  }
  const one = new Float64Array(200_000);
  for (let i = 0; i < one.length; i++) {
    const t0 = Bun.nanoseconds();
    pair();
    one[i] = (Bun.nanoseconds() - t0) / 1000;
  }
  one.sort();
  const q = (p: number) => one[Math.floor(p * (one.length - 1))]!.toFixed(3);
  console.log(`${name.padEnd(58)} mean ${means.map((m) => m.toFixed(3)).join(" ")} µs   p50 ${q(0.5)}  p99 ${q(0.99)} µs`);
}

// 1. One participant, one model.
{
  const pool = room(1, () => ["llama3"]);
  const r: AcquireRequest = { want: { kind: "model", model: "llama3" }, protocol: "chat", caller: "k" };
  measure("scheduler: 1 participant, free", () => {
    const l = pool.acquire(r);
    if (l.waiting) throw new Error("waited");
    l.release({ kind: "success" });
  });
}

// 2. Five participants, two of them partly busy, speeds known, a client signal: a realistic room.
const signal = new AbortController().signal;
{
  const pool = room(5, (i) => (i < 3 ? ["llama3"] : ["llama3", "qwen"]));
  const r: AcquireRequest = { want: { kind: "model", model: "llama3" }, protocol: "responses", caller: "k", signal };
  for (let i = 0; i < 5; i++) {
    const l = pool.acquire({ ...r, want: { kind: "participant", id: `p${i}` } });
    if (!l.waiting) l.release({ kind: "success", ttftMs: 100 + 10 * i, tokensPerSecond: 50 });
  }
  for (const id of ["p0", "p3"]) pool.acquire({ ...r, want: { kind: "participant", id } }); // held for the whole run
  measure("scheduler: 5 participants, 2 busy, speeds, signal, free", () => {
    const l = pool.acquire(r);
    if (l.waiting) throw new Error("waited");
    l.release({ kind: "success", ttftMs: 120, tokensPerSecond: 48 });
  });
  const retry: AcquireRequest = { ...r, want: { kind: "any" }, exclude: new Set(["p1"]) };
  measure("scheduler: the same, `*`, exclude set of one", () => {
    const l = pool.acquire(retry);
    if (l.waiting) throw new Error("waited");
    l.release({ kind: "ended" });
  });
}

// 4. The queued path: one slot, held; each request waits, the holder's release hands it over.
{
  const pool = room(1, () => ["llama3"], 1);
  const r: AcquireRequest = { want: { kind: "model", model: "llama3" }, protocol: "chat", caller: "k", signal };
  let held = pool.acquire(r);
  if (held.waiting) throw new Error("waited");
  const rounds = 100_000;
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < rounds; i++) {
    const w = pool.acquire(r);
    if (!w.waiting) throw new Error("did not wait");
    held.release({ kind: "success" });
    held = await w.granted;
  }
  console.log(`${"scheduler: queued, handed over on release (incl. await)".padEnd(58)} mean ${((Bun.nanoseconds() - t0) / rounds / 1000).toFixed(3)} µs`);
}
