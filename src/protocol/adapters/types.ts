/**
 * The contract between the hub and a protocol adapter (one direction per folder; index.ts
 * picks the folder for a request):
 *
 * - `mapRequest`  : client-protocol request body → upstream-protocol body (pure; throws a 400
 *                   GambiError naming the field for anything the target cannot honour);
 * - `mapResponse` : upstream non-streaming JSON → client-protocol JSON (pure);
 * - `createStreamMapper`: a state machine from decoded upstream SSE events to client SSE
 *                   events. It is `push`/`end`/`fail` rather than a bare TransformStream
 *                   because the hub must also tell it about a dropped connection (`fail`),
 *                   which a TransformStream has no channel for; `toTransformStream` wraps it.
 *
 * SSE is decoded once and encoded once, by the relay (proxy/relay-translated.ts), at the
 * edges: mappers take `SseEvent`s and return `SseEvent`s whose `data` is already the JSON text
 * (or `[DONE]`).
 */
import type { EnvelopeCode } from "../error-codes.ts";
import type { SseEvent } from "../sse/decode.ts";

/** Injected so adapters stay pure and tests deterministic. */
export interface AdapterContext {
  /** A fresh random id (hex or uuid); adapters add the protocol's prefix (resp_, msg_, fc_, rs_, chatcmpl-). */
  newId: () => string;
  /** Milliseconds since the epoch. */
  now: () => number;
  /**
   * The participant the request goes to (its id), where the hub knows it: encrypted reasoning
   * goes back only to the participant that wrote it (protocol/anthropic/thinking.ts).
   */
  participant?: string;
}

/** An error the upstream reported, or the hub noticed (dropped connection), in OpenAI's fields. */
export interface StreamFailure {
  message: string;
  type?: string;
  /** The hub's own code, or an upstream's (a number from some providers: OpenRouter). */
  code?: EnvelopeCode | number | null;
}

export interface StreamMapper {
  /** One decoded upstream event → zero or more client events. */
  push(event: SseEvent): SseEvent[];
  /** The upstream stream ended (with or without its terminator). */
  end(): SseEvent[];
  /** The upstream connection failed mid-stream; end the client's stream with a proper error. */
  fail(error: StreamFailure): SseEvent[];
}

/** Wraps a mapper as a TransformStream (upstream events in, client events out). */
export function toTransformStream(mapper: StreamMapper): TransformStream<SseEvent, SseEvent> {
  return new TransformStream<SseEvent, SseEvent>({
    transform(event, controller) {
      for (const out of mapper.push(event)) controller.enqueue(out);
    },
    flush(controller) {
      for (const out of mapper.end()) controller.enqueue(out);
    },
  });
}
