/**
 * How fast a participant has served one model lately: exponentially weighted moving averages
 * of time to first token and of output tokens per second, fed by the results of its requests
 * (a lease's release, scheduler.ts). Per participant and model, since one participant's models
 * can differ tenfold. Pure: no clock (a sample's weight is the same whenever it comes).
 */

/** Weight of the newest sample: the last ~7 results dominate (1 − 0.75^7 ≈ 0.87). */
export const SPEED_ALPHA = 0.25;

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

  add(sample: SpeedSample, alpha = SPEED_ALPHA): void {
    const { ttftMs, tokensPerSecond } = sample;
    const ttftOk = ttftMs !== undefined && Number.isFinite(ttftMs) && ttftMs >= 0;
    const tpsOk = tokensPerSecond !== undefined && Number.isFinite(tokensPerSecond) && tokensPerSecond > 0;
    if (ttftOk) this.ttftMs = this.ttftMs === undefined ? ttftMs : this.ttftMs + alpha * (ttftMs - this.ttftMs);
    if (tpsOk) this.tokensPerSecond = this.tokensPerSecond === undefined ? tokensPerSecond : this.tokensPerSecond + alpha * (tokensPerSecond - this.tokensPerSecond);
    if (ttftOk || tpsOk) this.samples++;
  }

  /**
   * Expected ms to serve a `REFERENCE_TOKENS` answer (first token, then the rest at the observed
   * rate), lower is better; the part not yet observed counts 0. Undefined before any sample: an
   * unknown participant ranks first among equals, so it gets a request and is measured.
   */
  score(): number | undefined {
    if (this.samples === 0) return undefined;
    return (this.ttftMs ?? 0) + (this.tokensPerSecond ? (REFERENCE_TOKENS * 1000) / this.tokensPerSecond : 0);
  }
}
