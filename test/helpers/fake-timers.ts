/**
 * Timers for `HubDeps.timers` / `UpstreamWatch`: a manual clock (`advance`) or the real one
 * with every live timer counted (`countingTimers`), so a test can say "no timer left behind".
 */
import type { Timers } from "../../src/proxy/timeouts.ts";

export interface ManualTimers extends Timers {
  /** Moves the clock, running each timer that falls due, in order. */
  advance(ms: number): void;
  readonly live: number;
  /** How many timers were ever set. */
  readonly created: number;
}

export function manualTimers(): ManualTimers {
  let now = 0;
  let next = 1;
  let created = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      created++;
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let first: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of due) if (entry[1].at <= end && (!first || entry[1].at < first[1].at)) first = entry;
        if (!first) break;
        due.delete(first[0]);
        now = first[1].at;
        first[1].fn();
      }
      now = end;
    },
    get live() {
      return due.size;
    },
    get created() {
      return created;
    },
  };
}

export interface CountingTimers extends Timers {
  /** Timers set and neither fired nor cleared. */
  readonly live: number;
  readonly created: number;
}

export function countingTimers(): CountingTimers {
  const pending = new Set<unknown>();
  let created = 0;
  return {
    now: () => performance.now(),
    setTimeout(fn, ms) {
      created++;
      const handle: ReturnType<typeof setTimeout> = setTimeout(() => {
        pending.delete(handle);
        fn();
      }, ms);
      pending.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      pending.delete(handle);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
    get live() {
      return pending.size;
    },
    get created() {
      return created;
    },
  };
}
