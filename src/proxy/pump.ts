/**
 * The client-facing body of a relayed stream, shared by relay-passthrough.ts and
 * relay-translated.ts: pull one upstream chunk at a time (the first was read ahead), hand it
 * to the relay, send what the relay returns at once. Nothing is read before the client asks
 * for more (highWaterMark 0), so a slow client slows the upstream instead of filling the hub's
 * memory. An optional watch (timeouts.ts) is told when each read starts and ends, which is all
 * the idle deadline needs.
 */

/** The reader of an upstream body, as far as the pump uses it. */
export interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

export interface PumpHandlers {
  /** Bytes to send for one upstream chunk (pieces sent in order), or undefined to read on. */
  onChunk(chunk: Uint8Array): Uint8Array | Uint8Array[] | undefined;
  /** The upstream ended normally: the last bytes to send, if any. */
  onEnd(): Uint8Array | undefined;
  /** A read failed: the bytes that end the client's stream, or undefined when the client is gone. */
  onBreak(err: unknown): Uint8Array | undefined;
  /** The client cancelled its body. */
  onCancel(): void;
}

/** Marks the time the pump spends waiting on the upstream. */
export interface ReadWatch {
  readStart(): void;
  readEnd(): void;
}

/** Queues what a chunk gave; whether anything was queued. */
function send(controller: ReadableStreamDefaultController<Uint8Array>, out: Uint8Array | Uint8Array[]): boolean {
  if (!Array.isArray(out)) {
    controller.enqueue(out);
    return true;
  }
  for (const piece of out) controller.enqueue(piece);
  return out.length > 0;
}

export function pumpStream(reader: ChunkReader, first: { done: boolean; value?: Uint8Array }, h: PumpHandlers, watch?: ReadWatch): ReadableStream<Uint8Array> {
  let pending = first.done ? undefined : first.value;
  let ended = first.done;
  return new ReadableStream<Uint8Array>(
    {
      // The chunk read ahead is queued before the body is handed to Bun, so it can go out with
      // the response headers instead of waiting for the first pull (time to first token).
      start(controller) {
        if (pending === undefined) return;
        try {
          const out = h.onChunk(pending);
          pending = undefined;
          if (out) send(controller, out);
        } catch (err) {
          pending = undefined;
          ended = true;
          const out = h.onBreak(err);
          if (out !== undefined) controller.enqueue(out);
          controller.close();
        }
      },
      async pull(controller) {
        try {
          for (;;) {
            if (pending === undefined && !ended) {
              watch?.readStart();
              const r = await reader.read();
              watch?.readEnd();
              if (r.done) ended = true;
              else pending = r.value;
            }
            if (pending !== undefined) {
              const out = h.onChunk(pending);
              pending = undefined;
              if (out && send(controller, out)) return;
              continue;
            }
            const out = h.onEnd();
            if (out) controller.enqueue(out);
            controller.close();
            return;
          }
        } catch (err) {
          const out = h.onBreak(err);
          if (out === undefined) return;
          controller.enqueue(out);
          controller.close();
        }
      },
      cancel() {
        h.onCancel();
        reader.cancel().catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
