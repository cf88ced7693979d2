/**
 * One upstream request over a tunnel, hub side: the promise of its Response (settled by the
 * joiner's `head`, or by its failure before one) and the Response's body, a ReadableStream fed
 * by `body` frames. The stream pulls: a chunk is handed on only when the reader (the relay, on
 * behalf of the client) asks for one, and only then is it counted as consumed and credit given
 * back (protocol/tunnel/credit.ts), so a client that stops reading stops its stream at the
 * joiner after one window, and holds no more than that here.
 */
import { ReceiveCredit } from "../../protocol/tunnel/credit.ts";
import type { HeaderPairs } from "../../protocol/tunnel/frames.ts";

/** A Response with one of these statuses may not have a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

export interface ExchangeHooks {
  /** Tell the joiner it may send `bytes` more. */
  credit(id: number, bytes: number): void;
  /** Tell the joiner to stop (the reader cancelled the body, or the caller's signal fired). */
  cancel(id: number): void;
  /** The exchange is over, whichever way: forget its id. */
  done(id: number): void;
}

export class TunnelExchange {
  private resolveHead!: (res: Response) => void;
  private rejectHead!: (err: unknown) => void;
  readonly response: Promise<Response>;
  private headed = false;
  private finished = false;
  private ended = false;
  private failure: unknown;
  private readonly queue: Uint8Array[] = [];
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Resolves a pull waiting for the next chunk (or the end). */
  private wake: (() => void) | undefined;
  private readonly credit: ReceiveCredit;
  private readonly onAbort = () => this.abort();

  constructor(
    readonly id: number,
    window: number,
    private readonly hooks: ExchangeHooks,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.credit = new ReceiveCredit(window);
    this.response = new Promise<Response>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Bytes received and not yet handed to the reader. */
  get buffered(): number {
    let n = 0;
    for (const c of this.queue) n += c.length;
    return n;
  }

  get hasHead(): boolean {
    return this.headed;
  }

  /** The joiner's `head`; `whole`: the entire body came with it. False when it comes twice (a protocol error). */
  head(status: number, statusText: string, headers: HeaderPairs, whole?: Uint8Array): boolean {
    if (this.headed) return false;
    this.headed = true;
    if (status < 200 || status > 599) {
      this.fail(new Error(`the endpoint answered with status ${status}, which the hub does not relay`));
      return true;
    }
    if (whole) {
      // The message's buffer may be reused by the socket once this returns: keep a copy.
      this.resolveHead(new Response(NULL_BODY.has(status) ? null : whole.slice(), { status, statusText, headers }));
      this.finish();
      return true;
    }
    const noBody = NULL_BODY.has(status);
    const body = noBody
      ? null
      : new ReadableStream<Uint8Array>(
          {
            start: (c) => {
              this.controller = c;
            },
            pull: (c) => this.pull(c),
            cancel: () => this.abort(),
          },
          { highWaterMark: 0 },
        );
    this.resolveHead(new Response(body, { status, statusText, headers }));
    if (noBody) this.finish();
    return true;
  }

  /** A `body` chunk: false when it is past the credit granted (a protocol error). */
  body(bytes: Uint8Array): boolean {
    if (!this.headed) return false;
    if (!this.credit.received(bytes.length)) return false;
    if (this.finished) return true;
    // The message's buffer may be reused by the socket once this returns: keep a copy.
    const chunk = bytes.slice();
    const wake = this.takeWake();
    if (wake) {
      this.deliver(this.controller!, chunk);
      wake();
    } else this.queue.push(chunk);
    return true;
  }

  /** The joiner's `end`: false before a head (a protocol error). */
  end(): boolean {
    if (!this.headed) return false;
    if (this.finished) return true;
    this.ended = true;
    const wake = this.takeWake();
    if (wake) {
      this.finish();
      this.controller!.close();
      wake();
    }
    return true;
  }

  /** The request failed: before the head, `fetch` rejects with it; after, the body errors with it (once what came before is read). */
  fail(err: unknown): void {
    if (this.finished) return;
    if (!this.headed) {
      this.finish();
      this.rejectHead(err);
      return;
    }
    if (this.queue.length > 0) {
      this.failure = err;
      return;
    }
    this.finish();
    this.controller?.error(err);
    this.takeWake()?.();
  }

  /** Asked for a chunk: one from the queue, the end, or a wait for the next frame (which then delivers). */
  private pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> | void {
    const next = this.queue.shift();
    if (next) return this.deliver(c, next);
    if (this.failure !== undefined) {
      this.finish();
      return c.error(this.failure);
    }
    if (this.ended) {
      this.finish();
      return c.close();
    }
    if (this.finished) return;
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private deliver(c: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array): void {
    c.enqueue(chunk);
    const grant = this.credit.consume(chunk.length);
    if (grant > 0 && !this.ended && !this.finished) this.hooks.credit(this.id, grant);
  }

  private takeWake(): (() => void) | undefined {
    const wake = this.wake;
    this.wake = undefined;
    return wake;
  }

  /** The caller's signal fired, or the reader cancelled the body: the joiner is told to stop. */
  private abort(): void {
    if (this.finished) return;
    this.hooks.cancel(this.id);
    const reason = this.signal?.aborted ? this.signal.reason : new DOMException("The operation was aborted.", "AbortError");
    if (!this.headed) {
      this.finish();
      this.rejectHead(reason);
      return;
    }
    this.finish();
    this.queue.length = 0;
    try {
      this.controller?.error(reason);
    } catch {
      // Already closed or errored by its reader.
    }
    this.takeWake()?.();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    this.hooks.done(this.id);
  }
}
