/**
 * The joiner's own send buffer: what its WebSocket holds that the kernel has not taken yet
 * (`bufferedAmount`). Credit (protocol/tunnel/credit.ts) bounds each request by a window, but
 * not the socket as a whole: a slow uplink with many requests in flight could otherwise hold a
 * window for each of them here. Body frames therefore go only while the buffer is under
 * `HIGH_WATER`; above it, the requests that want to send wait until it is back under
 * `LOW_WATER` (their upstream reads stop meanwhile, so the endpoint is slowed, not buffered).
 * Bun's client WebSocket has no drain event, so the buffer is polled, and only while someone
 * waits: the common path is one read of `bufferedAmount`.
 */

/** Above this many buffered bytes, body frames wait (4 windows). */
export const HIGH_WATER = 1024 * 1024;
/** Waiting body frames go again once the buffer is down to this. */
export const LOW_WATER = 256 * 1024;
const POLL_MS = 2;

export class SendBuffer {
  private waiters: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly socket: Pick<WebSocket, "bufferedAmount">) {}

  /** Undefined when a body frame may go now, else a promise that resolves when it may (or the socket is gone). */
  writable(): Promise<void> | undefined {
    if (this.closed || this.socket.bufferedAmount <= HIGH_WATER) return undefined;
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.timer ??= setTimeout(this.poll, POLL_MS);
    });
  }

  /** The socket is gone: nobody waits any more. */
  close(): void {
    this.closed = true;
    this.release();
  }

  private readonly poll = () => {
    this.timer = undefined;
    if (this.closed || this.socket.bufferedAmount <= LOW_WATER) this.release();
    else this.timer = setTimeout(this.poll, POLL_MS);
  };

  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
