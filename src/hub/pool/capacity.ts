/**
 * One participant's capacity: how many requests the hub may have in flight to it, and when it
 * may get the next one. Its models share it (one endpoint, one GPU or one API key).
 *
 * - `max`: what the participant declared (`maxConcurrency`, 1–1024), or the default for its
 *   kind of endpoint (`defaultMaxConcurrency`). The hub never has more in flight.
 * - the effective limit: AIMD, as TCP does with its window. A 429 halves it (never below 1), each
 *   success adds 1/window (so about +1 per window's worth of successes), never above `max`. A
 *   429 of a request sent before the previous decrease says nothing new (the same burst) and
 *   lowers nothing: `epoch` tells them apart, as TCP counts one loss per window.
 * - the cooldown: after a 429 routing skips the participant until `cooldownUntil`: the wait the
 *   upstream asked for (retry-after.ts), capped at `maxCooldownMs`; without a hint an exponential
 *   backoff from `baseBackoffMs`, doubled by each new 429 up to `maxBackoffMs`, reset by a success.
 *
 * Requests already in flight are never recalled: after a decrease `inFlight` may exceed the
 * limit for a while; no new one is sent until it is below. Times are on the scheduler's
 * monotonic clock. No timers here: whoever asks `free(now)` passes the time.
 */

export interface CapacitySettings {
  /** The first wait after a 429 that named none. */
  baseBackoffMs: number;
  /** The longest wait without a hint. */
  maxBackoffMs: number;
  /** The longest wait a hint may impose (a daily quota's "retry tomorrow" is re-asked after this). */
  maxCooldownMs: number;
  /** Multiplicative decrease on a 429. */
  decrease: number;
}

export const DEFAULT_CAPACITY: CapacitySettings = { baseBackoffMs: 1000, maxBackoffMs: 60_000, maxCooldownMs: 300_000, decrease: 0.5 };

export const MIN_CONCURRENCY = 1;
export const MAX_CONCURRENCY = 1024;

/** What a participant's endpoint is, as far as the join probe can tell. */
export type EndpointKind = "llama.cpp" | "ollama" | "batching" | "hosted" | "local";

/**
 * The default `maxConcurrency` of a participant that declared none:
 * - llama.cpp: its `/props` `total_slots`, what the server itself runs in parallel (more would
 *   wait inside llama.cpp, where the room's fairness and failover cannot reach them);
 * - Ollama: 1. Its parallelism (OLLAMA_NUM_PARALLEL, 1 by default in current releases) is not
 *   visible over the API; whoever raised it declares it;
 * - a batching server (vLLM, SGLang, TGI: continuous batching, hundreds of sequences): 32;
 * - a hosted provider (a public https API): 16. It scales out, and its limits are requests and
 *   tokens per minute, which AIMD and the cooldowns learn from its 429s; 16 bounds how hard one
 *   room's burst hits one API key before the first 429 arrives;
 * - anything else (a laptop's LM Studio, an unknown local server): 1. Too low costs throughput
 *   and shows (inFlight at the limit, a queue) until the joiner passes --max-concurrency; too
 *   high hides a queue inside the server, where TTFT, fairness and deadlines go wrong unseen.
 */
export function defaultMaxConcurrency(kind: EndpointKind, totalSlots?: number): number {
  switch (kind) {
    case "llama.cpp":
      return totalSlots !== undefined && Number.isInteger(totalSlots) ? clampConcurrency(totalSlots) : 1;
    case "batching":
      return 32;
    case "hosted":
      return 16;
    case "ollama":
    case "local":
      return 1;
  }
}

export function clampConcurrency(n: number): number {
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, Math.floor(n)));
}

export class Capacity {
  inFlight = 0;
  /** Monotonic ms before which no new request is sent; 0: none. */
  cooldownUntil = 0;
  /** Bumped by each decrease; a lease remembers the epoch it started in. */
  epoch = 0;
  private window: number;
  private backoffMs: number;

  constructor(
    private maxConcurrency: number,
    private readonly settings: CapacitySettings = DEFAULT_CAPACITY,
  ) {
    this.maxConcurrency = clampConcurrency(maxConcurrency);
    this.window = this.maxConcurrency;
    this.backoffMs = settings.baseBackoffMs;
  }

  get max(): number {
    return this.maxConcurrency;
  }

  /** The effective limit: what AIMD allows now, 1 to max. */
  get limit(): number {
    return Math.max(MIN_CONCURRENCY, Math.floor(this.window));
  }

  /** Whether one more request may be sent at `now`. */
  free(now: number): boolean {
    return this.inFlight < this.limit && now >= this.cooldownUntil;
  }

  /** A re-join may declare another max: a window that was at the old max follows it, a reduced one stays reduced. */
  setMax(n: number): void {
    const next = clampConcurrency(n);
    this.window = this.window >= this.maxConcurrency ? next : Math.min(this.window, next);
    this.maxConcurrency = next;
  }

  succeeded(): void {
    this.window = Math.min(this.maxConcurrency, this.window + 1 / this.window);
    this.backoffMs = this.settings.baseBackoffMs;
  }

  /**
   * A 429 for a request sent in `epoch`. `hintMs`: the wait its headers asked for, if any.
   * Returns the cooldown it imposed, in ms from `now`.
   */
  rateLimited(now: number, hintMs: number | undefined, epoch: number): number {
    const fresh = epoch === this.epoch;
    if (fresh) {
      this.window = Math.max(MIN_CONCURRENCY, this.window * this.settings.decrease);
      this.epoch++;
    }
    let wait: number;
    if (hintMs !== undefined) wait = Math.min(Math.max(0, hintMs), this.settings.maxCooldownMs);
    else {
      wait = this.backoffMs;
      if (fresh) this.backoffMs = Math.min(this.backoffMs * 2, this.settings.maxBackoffMs);
    }
    this.cooldownUntil = Math.max(this.cooldownUntil, now + wait);
    return wait;
  }
}
