/**
 * Per-request flow control: the joiner may have at most a window of answer bytes (frames.ts,
 * 256 KiB) that the hub has not passed on to its client yet. Two pure counters, one per side:
 * the sender's `SendCredit` (what it may still send; a `credit` frame adds to it) and the
 * receiver's `ReceiveCredit` (what it has accepted and handed on, and when to say so). A stalled
 * client therefore holds at most one window in the hub and stops its own stream at the joiner,
 * and never another: credit is per request, not per socket.
 */

/** The sender's side: bytes it may send now. */
export class SendCredit {
  constructor(private available: number) {}

  get bytes(): number {
    return this.available;
  }

  /** How many of `wanted` bytes may go now (0: wait for a grant), already counted as sent. */
  take(wanted: number): number {
    const n = Math.min(wanted, this.available);
    this.available -= n;
    return n;
  }

  grant(bytes: number): void {
    this.available += bytes;
  }
}

/**
 * The receiver's side. Credit is returned in batches of at least `batch` bytes (a quarter of
 * the window by default), so a stream of small SSE events costs one `credit` frame per 64 KiB,
 * not one per event; `received` refuses bytes beyond what was granted (a peer breaking the rule).
 */
export class ReceiveCredit {
  /** Bytes the sender may still send before the next grant. */
  private open: number;
  /** Bytes handed on and not yet granted back. */
  private consumed = 0;
  private readonly batch: number;

  constructor(window: number, batch = Math.max(1, Math.floor(window / 4))) {
    this.open = window;
    this.batch = batch;
  }

  /** Bytes arrived: false when they are more than the sender was allowed. */
  received(bytes: number): boolean {
    if (bytes > this.open) return false;
    this.open -= bytes;
    return true;
  }

  /** Bytes were handed on (the client read them): how many to grant now (0: not yet worth a frame). */
  consume(bytes: number): number {
    this.consumed += bytes;
    if (this.consumed < this.batch) return 0;
    const grant = this.consumed;
    this.consumed = 0;
    this.open += grant;
    return grant;
  }
}
