/**
 * One participant's capacity: how many requests the hub may have in flight to it, and when it
 * may get the next one. Its models share it (one endpoint, one GPU or one API key).
 *
 * - `max`: the participant's `maxConcurrency` (1–1024, common/max-concurrency.ts): declared by
 *   its joiner, else learned at the join or a default for its kind of server
 *   (protocol/concurrency.ts). The hub never has more in flight.
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
import { MAX_CONCURRENCY, MIN_CONCURRENCY } from "../../common/max-concurrency.ts";

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
