/**
 * Counting what a test process holds, to say "nothing left behind": open file descriptors
 * (sockets among them, from /proc/self/fd: Linux only) and timers set through the global
 * setTimeout / setInterval while a tracker is installed.
 */
import { readdirSync, readlinkSync } from "node:fs";

export const fdsSupported = process.platform === "linux";

export interface FdCount {
  all: number;
  sockets: number;
}

/** Open descriptors of this process, and how many of them are sockets. */
export function countFds(): FdCount {
  let sockets = 0;
  const fds = readdirSync("/proc/self/fd");
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) sockets++;
    } catch {
      // The descriptor readdir itself used, closed since: not ours to count.
    }
  }
  return { all: fds.length, sockets };
}

export interface TimerTracker {
  /** Timers and intervals set since `install` that have neither fired (timeouts) nor been cleared. */
  readonly live: number;
  readonly created: number;
  /** Where each live one was set (a stack line or two), for the failure message. */
  liveSites(): string[];
  /** Puts the original functions back; timers already made keep working. */
  restore(): void;
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Wraps globalThis.setTimeout / setInterval / clearTimeout / clearInterval. Code that reads
 * the global at call time (the hub's realTimers, Bun's own JS) is counted; code that captured
 * the originals before `install` is not.
 */
export function trackTimers(): TimerTracker {
  const g = globalThis as unknown as Record<"setTimeout" | "setInterval" | "clearTimeout" | "clearInterval", AnyFn>;
  const orig = { setTimeout: g.setTimeout, setInterval: g.setInterval, clearTimeout: g.clearTimeout, clearInterval: g.clearInterval };
  const live = new Map<unknown, string>();
  let created = 0;
  const site = () => (new Error().stack ?? "").split("\n").slice(3, 5).join(" | ").trim();
  g.setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]) => {
    created++;
    const handle: unknown = orig.setTimeout(() => {
      live.delete(handle);
      if (typeof fn === "function") (fn as AnyFn)(...args);
    }, ms);
    live.set(handle, site());
    return handle;
  };
  g.setInterval = (fn: unknown, ms?: unknown, ...args: unknown[]) => {
    created++;
    const handle: unknown = orig.setInterval(fn, ms, ...args);
    live.set(handle, site());
    return handle;
  };
  const clear = (which: "clearTimeout" | "clearInterval") => (handle: unknown) => {
    live.delete(handle);
    return orig[which](handle);
  };
  g.clearTimeout = clear("clearTimeout");
  g.clearInterval = clear("clearInterval");
  return {
    get live() {
      return live.size;
    },
    get created() {
      return created;
    },
    liveSites: () => [...live.values()],
    restore() {
      Object.assign(g, orig);
    },
  };
}
