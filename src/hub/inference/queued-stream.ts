/**
 * A streaming request that has waited `QUEUED_ANSWER_AFTER_MS` (1 s) for a slot in its room:
 * the hub answers it now, HTTP 200 with SSE headers, so neither the client's first-byte timeout
 * nor a proxy's idle one ends it while it waits. Until a participant takes it the stream
 * carries only comments, `: queued position=N` at once and every `QUEUED_COMMENT_EVERY_MS`
 * (5 s); every SSE client ignores them. Then:
 *
 * - the answer, a 200 stream: its bytes, as they come (read only when the client wants more,
 *   as pump.ts does, so a slow client still slows the participant);
 * - a failure, whatever it was (the queue's deadline, every attempt failing, an HTTP error of
 *   the participant's): the error event(s) of the client's protocol (proxy/failures.ts
 *   `streamFailureEvents`), with the code and message the HTTP answer would have had.
 *
 * Its response has no `x-gambi-participant` nor `x-gambi-attempts` header: they are not known
 * when it starts (the room's events say them). A client that leaves cancels it: the answer
 * being read is cancelled (which aborts the participant's request), a wait ends through the
 * request's own signal (dispatch.ts), and `gone` tells dispatch not to start anything more.
 * Only such waiting streams get a timer: one, re-armed for each comment.
 */
import { relayedCode } from "../../protocol/error-codes.ts";
import { GambiError, type ErrorType } from "../../protocol/openai/errors.ts";
import type { Json } from "../../protocol/json.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import { encodeSseComment } from "../../protocol/sse/encode.ts";
import { SSE_HEADERS } from "../../proxy/headers.ts";
import { streamFailureEvents } from "../../proxy/failures.ts";
import type { Timers } from "../../proxy/timeouts.ts";

/** A stream that has waited this long gets its 200 and the queue's comments. */
export const QUEUED_ANSWER_AFTER_MS = 1000;
export const QUEUED_COMMENT_EVERY_MS = 5000;

type ChunkReader = { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };

export class QueuedStream {
  readonly response: Response;
  /** The client left. */
  gone = false;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;
  private reader: ChunkReader | undefined;
  private position: (() => number) | undefined;
  private timer: unknown;
  /** Settles when there is something to read from (the answer) or nothing more to send. */
  private readonly ready = Promise.withResolvers<void>();

  constructor(
    private readonly protocol: Protocol,
    private readonly request: Json,
    private readonly timers: Timers,
    private readonly now: () => number,
    headers: Record<string, string>,
  ) {
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: async (controller) => {
          await this.ready.promise;
          const reader = this.reader;
          if (this.ended || !reader) return;
          try {
            const r = await reader.read();
            if (r.done) this.close();
            else controller.enqueue(r.value!);
          } catch {
            // The relay ends a broken answer with its own error event; a read that throws is the client's cancel.
            this.close();
          }
        },
        cancel: () => {
          this.gone = true;
          this.stopComments();
          this.ended = true;
          this.reader?.cancel().catch(() => undefined);
          this.ready.resolve();
        },
      },
      { highWaterMark: 0 },
    );
    this.response = new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
  }

  /** Waiting (again) for a slot: a comment now and every 5 s, with its place in the queue. */
  waiting(position: () => number, commentNow: boolean): void {
    this.position = position;
    if (commentNow) this.comment();
    else this.armComment();
  }

  /** A participant took it: no more comments. */
  dispatched(): void {
    this.stopComments();
    this.position = undefined;
  }

  /** The answer: a stream is passed on as it comes; an HTTP error becomes the protocol's error event. */
  async answer(res: Response): Promise<void> {
    this.dispatched();
    if (this.ended) {
      await res.body?.cancel().catch(() => undefined);
      return;
    }
    if (res.status >= 400) return this.fail(await errorOf(res));
    if (!res.body) return this.close();
    this.reader = res.body.getReader();
    this.ready.resolve();
  }

  /** It failed before any answer: the error event(s) of the client's protocol, then the end. */
  fail(err: unknown): void {
    this.dispatched();
    if (this.ended) return;
    const e = err instanceof GambiError ? err : new GambiError(500, "internal hub error; see the hub's log", { code: "internal_error", type: "server_error" });
    this.send(streamFailureEvents(this.protocol, { message: e.message, code: e.code, type: e.type, status: e.status }, this.request, this.now()));
    this.close();
  }

  private comment(): void {
    const position = this.position;
    if (!position || this.ended) return;
    this.send(encodeSseComment(`queued position=${position()}`));
    this.armComment();
  }

  private armComment(): void {
    this.stopComments();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.comment();
    }, QUEUED_COMMENT_EVERY_MS);
  }

  private stopComments(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private send(bytes: Uint8Array): void {
    if (this.ended) return;
    try {
      this.controller.enqueue(bytes);
    } catch {
      this.ended = true;
    }
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopComments();
    try {
      this.controller.close();
    } catch {
      // already closed by a cancel
    }
    this.ready.resolve();
  }
}

/** An error answer's envelope (the hub's, or a participant's relayed one) as a GambiError. */
async function errorOf(res: Response): Promise<GambiError> {
  let fields: { message?: unknown; code?: unknown; type?: unknown } | undefined;
  try {
    fields = ((await res.json()) as { error?: typeof fields }).error;
  } catch {
    fields = undefined;
  }
  const message = typeof fields?.message === "string" ? fields.message : `HTTP ${res.status}`;
  // The code and type as the participant (or the hub) gave them: the error event keeps them.
  const code = typeof fields?.code === "string" ? relayedCode(fields.code) : undefined;
  return new GambiError(res.status, message, { code, type: typeof fields?.type === "string" ? (fields.type as ErrorType) : undefined });
}
