/**
 * Deadlines for one upstream request: connect, first byte, and the idle gap between chunks.
 *
 * One `UpstreamWatch` per request, one timer, re-armed only when it fires or a phase needs an
 * earlier deadline: a fast request costs one setTimeout and one clearTimeout, a long stream one
 * more firing per idle period. Reads only record when they start and end (a clock read each),
 * and the timer works out from that whether the upstream has been silent for too long. When a
 * deadline passes, the watch aborts the request's own AbortController (no AbortSignal.any: in
 * Bun 1.4.5 a combined signal with a listener is never collected, see
 * src/hub/responses/stored-turn.ts) and remembers which deadline it was, so the relay turns the
 * abort into a 504 (before the first byte) or the protocol's error event (after it).
 *
 * - connect: Bun's fetch reports no "connected" moment, so when the answer has not started
 *   after `checkAfterMs` the watch opens a plain TCP connection of its own to the participant's
 *   host and port: if that has not connected by `connectMs` after the request began, the host
 *   is not accepting connections (asleep, gone from the network, dropping packets) and the
 *   request ends then, not after the first-byte timeout. A host that accepts is left to the
 *   first-byte deadline. Skipped when an HTTP proxy is configured (the hub then never connects to
 *   the participant itself).
 * - first byte: response headers, plus the first body chunk for streams.
 * - idle: no bytes at all for this long while the hub waits on the upstream (time a slow
 *   client takes to read does not count: the hub reads only when the client wants more).
 *
 * A setting of 0 turns that deadline off.
 */
import { GambiError } from "../protocol/openai/errors.ts";

export interface TimeoutSettings {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

/**
 * Slow local models: a big model loading from disk can take minutes before its first token
 * (first byte 300 s), a long reasoning pause or a CPU-bound model can go quiet for a while
 * (idle 120 s), but a host that does not accept a TCP connection in 10 s is not coming.
 */
export const DEFAULT_TIMEOUTS: TimeoutSettings = { connectMs: 10_000, firstByteMs: 300_000, idleMs: 120_000 };

/** Injectable for tests (count or drive timers); `now` must be monotonic and in step with the timers. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** Resolves whether a fresh TCP connection to the base URL's host and port opened. */
export type ConnectCheck = (base: string) => Promise<boolean>;

export interface UpstreamTimeouts extends TimeoutSettings {
  timers: Timers;
  /** Undefined: no connect check (the first-byte deadline covers connecting too). */
  connectCheck?: ConnectCheck;
}

export type TimeoutKind = "connect" | "first_byte" | "idle";

/** Opens and closes one TCP connection; never rejects. A hanging attempt is simply ignored. */
export const tcpConnectCheck: ConnectCheck = (base) => {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return Promise.resolve(true);
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  return Bun.connect({ hostname, port, socket: { data() {}, error() {} } }).then(
    (socket) => {
      socket.end();
      return true;
    },
    () => false,
  );
};

const PROXY_VARS = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/** Bun's fetch goes through these; the hub then cannot tell the participant's host from the proxy. */
export function proxyConfigured(env: Record<string, string | undefined> = process.env): boolean {
  return PROXY_VARS.some((name) => !!env[name]);
}

/** When the connect check starts: late enough that most answers have begun, early enough to finish by `connectMs`. */
export function checkAfterMs(connectMs: number): number {
  return Math.min(1_000, Math.ceil(connectMs / 4));
}

type Phase = "connecting" | "waiting" | "flowing" | "done";

export class UpstreamWatch {
  /** Which deadline passed, once one has. */
  expired: TimeoutKind | undefined;
  private phase: Phase = "connecting";
  private timer: unknown;
  private dueAt = 0;
  private readonly startedAt: number;
  /** When the pending upstream read began; -1 while the hub is not waiting on the upstream. */
  private readingSince = -1;
  private connected = false;
  private checking = false;
  private readonly onTimer = () => this.fire();

  constructor(
    private readonly abort: AbortController,
    private readonly base: string,
    private readonly t: UpstreamTimeouts,
  ) {
    this.startedAt = t.timers.now();
    const checks = t.connectCheck !== undefined && t.connectMs > 0 && (t.firstByteMs === 0 || t.connectMs < t.firstByteMs);
    if (!checks) this.connected = true;
    const first = checks ? checkAfterMs(t.connectMs) : t.firstByteMs;
    if (first > 0) this.arm(first);
  }

  /** Response headers arrived. */
  responded(): void {
    if (this.phase === "connecting") this.phase = "waiting";
    this.connected = true;
  }

  /** The first body byte arrived (for a non-streaming body: the headers did): from now on, the idle deadline. */
  flowing(): void {
    if (this.phase === "done") return;
    this.connected = true;
    this.phase = "flowing";
    if (this.t.idleMs === 0) return this.disarm();
    const dueBy = this.t.timers.now() + this.t.idleMs;
    if (this.timer === undefined || this.dueAt > dueBy) this.arm(this.t.idleMs);
  }

  readStart(): void {
    this.readingSince = this.t.timers.now();
  }

  readEnd(): void {
    this.readingSince = -1;
  }

  /** The request is over, whichever way: no timer stays behind. Idempotent. */
  finish(): void {
    this.phase = "done";
    this.disarm();
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) this.t.timers.clearTimeout(this.timer);
    const delay = Math.max(1, Math.ceil(ms));
    this.dueAt = this.t.timers.now() + delay;
    this.timer = this.t.timers.setTimeout(this.onTimer, delay);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.t.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.phase === "done") return;
    const now = this.t.timers.now();
    const elapsed = now - this.startedAt;
    if (this.phase === "connecting" && !this.connected) {
      if (elapsed >= this.t.connectMs) return this.expire("connect");
      if (!this.checking) {
        this.checking = true;
        void this.t.connectCheck!(this.base).then((ok) => {
          if (ok) this.connected = true;
        });
      }
      return this.arm(this.t.connectMs - elapsed);
    }
    if (this.phase !== "flowing") {
      if (this.t.firstByteMs === 0) return;
      if (elapsed >= this.t.firstByteMs) return this.expire("first_byte");
      return this.arm(this.t.firstByteMs - elapsed);
    }
    if (this.t.idleMs === 0) return;
    // Not reading: the client has not asked for more yet; that is not the upstream's silence.
    if (this.readingSince < 0) return this.arm(this.t.idleMs);
    const silent = now - this.readingSince;
    if (silent >= this.t.idleMs) return this.expire("idle");
    this.arm(this.t.idleMs - silent);
  }

  private expire(kind: TimeoutKind): void {
    this.expired = kind;
    this.phase = "done";
    this.abort.abort();
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(3))} s`;
}

const WHAT: Record<TimeoutKind, { setting: keyof TimeoutSettings; flag: string; says: (d: string) => string }> = {
  connect: { setting: "connectMs", flag: "--connect-timeout", says: (d) => `could not connect within ${d}` },
  first_byte: { setting: "firstByteMs", flag: "--first-byte-timeout", says: (d) => `sent nothing within ${d}` },
  idle: { setting: "idleMs", flag: "--idle-timeout", says: (d) => `went silent mid-answer for ${d}` },
};

/** What a client is told: which participant, which deadline, and the hub flag that sets it (never a secret: label and durations only). */
export function timeoutMessage(kind: TimeoutKind, label: string, settings: TimeoutSettings): string {
  const w = WHAT[kind];
  return `${label} ${w.says(formatDuration(settings[w.setting]))} (${kind.replace("_", "-")} timeout; gambi hub ${w.flag})`;
}

/** Before the first byte: a 504 in OpenAI's envelope. */
export function timeoutError(kind: TimeoutKind, label: string, settings: TimeoutSettings): GambiError {
  return new GambiError(504, timeoutMessage(kind, label, settings), { code: "upstream_timeout" });
}
