/**
 * How fast a participant has served one model lately: exponentially weighted moving averages
 * of time to first token and of output tokens per second, fed by the results of its requests
 * (a lease's release, scheduler.ts). Per participant and model, since one participant's models
 * can differ tenfold. Pure: the caller gives the time (a sample's weight is the same whenever
 * it comes).
 *
 * A measurement goes stale after `SPEED_STALE_MS` without a new sample, and then counts as none:
 * a participant judged slower once (a model loading from disk on its first request) would
 * otherwise never get a lone request again while the faster one keeps up, and so never show
 * that it is fast now. Stale, it gets the next one and is measured again: at most one request
 * per participant and model per `SPEED_STALE_MS` goes to one that is still the slower.
 */

/** Weight of the newest sample: the last ~7 results dominate (1 − 0.75^7 ≈ 0.87). */
export const SPEED_ALPHA = 0.25;

/** How long a measurement counts without a new sample (see above). */
export const SPEED_STALE_MS = 5 * 60_000;

/** The answer length at which speeds are compared: a typical chat reply. */
export const REFERENCE_TOKENS = 256;

export interface SpeedSample {
  ttftMs?: number;
  tokensPerSecond?: number;
}

export class Speed {
  ttftMs: number | undefined;
  tokensPerSecond: number | undefined;
  samples = 0;
  /** When the last sample came (the caller's clock). */
  measuredAt = 0;

  add(sample: SpeedSample, now: number, alpha = SPEED_ALPHA): void {
    const { ttftMs, tokensPerSecond } = sample;
    // A stale measurement counts as none: the new sample starts the averages again.
    if (this.samples > 0 && now - this.measuredAt > SPEED_STALE_MS) {
      this.ttftMs = undefined;
      this.tokensPerSecond = undefined;
      this.samples = 0;
    }
    const ttftOk = ttftMs !== undefined && Number.isFinite(ttftMs) && ttftMs >= 0;
    const tpsOk = tokensPerSecond !== undefined && Number.isFinite(tokensPerSecond) && tokensPerSecond > 0;
    if (ttftOk) this.ttftMs = this.ttftMs === undefined ? ttftMs : this.ttftMs + alpha * (ttftMs - this.ttftMs);
    if (tpsOk) this.tokensPerSecond = this.tokensPerSecond === undefined ? tokensPerSecond : this.tokensPerSecond + alpha * (tokensPerSecond - this.tokensPerSecond);
    if (ttftOk || tpsOk) {
      this.samples++;
      this.measuredAt = now;
    }
  }

  /**
   * Expected ms to serve a `REFERENCE_TOKENS` answer (first token, then the rest at the observed
   * rate), lower is better; the part not yet observed counts 0. Undefined before any sample, or
   * when the last is stale: an unknown participant ranks first among equals, so it gets a
   * request and is measured.
   */
  score(now: number): number | undefined {
    if (this.samples === 0 || now - this.measuredAt > SPEED_STALE_MS) return undefined;
    return (this.ttftMs ?? 0) + (this.tokensPerSecond ? (REFERENCE_TOKENS * 1000) / this.tokensPerSecond : 0);
  }
}
