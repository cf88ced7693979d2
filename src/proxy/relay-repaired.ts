/**
 * The repairing pass of a passthrough Responses answer (relay-passthrough.ts switches to it
 * when protocol/openai/responses-repair/detect.ts finds the participant's stream or body
 * non-conformant; llama.cpp's `llama-server` is). The stream is decoded once, put through the
 * repair mapper (responses-repair/stream.ts) and encoded once, like a translated stream
 * (relay-translated.ts); the hub observes the repaired events (usage, time to first content,
 * the response id for `onResponseId`, errors), since they are what the client reads.
 *
 * Secrets are redacted from the bytes the client gets, after encoding: the participant's
 * events are re-serialized, so a key it echoed with JSON escapes (`\u0073k-…`) comes out
 * plain and must be caught there, not in its own bytes.
 *
 * Failures keep the passthrough's meaning in the repaired grammar: the connection breaking, a
 * deadline or the hub's shutdown → `fail` (an `error` event and `response.failed`, the code
 * from failures.ts); a clean close in the middle of an event → the same with
 * `upstream_truncated`.
 *
 * A translated stream from a Responses participant (relay-translated.ts) gets the same pass in
 * front of its adapter (`translatedMapper`), judged the same way.
 */
import type { Json } from "../protocol/json.ts";
import { observeResponsesEvent, type Observation } from "../protocol/observe.ts";
import { SseDecoder, type SseEvent } from "../protocol/sse/decode.ts";
import { formatSse } from "../protocol/sse/encode.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../protocol/adapters/types.ts";
import { createRepairMapper } from "../protocol/openai/responses-repair/stream.ts";
import { repairBody } from "../protocol/openai/responses-repair/body.ts";
import { repairInFront } from "../protocol/openai/responses-repair/in-front.ts";
import type { ForwardOptions, Translation } from "./types.ts";

const textEncoder = new TextEncoder();
const identity = (b: Uint8Array) => b;

export interface RepairedStream {
  /** Whole upstream events (bytes up to an event's end) → the repaired bytes to send, if any. */
  push(bytes: Uint8Array): Uint8Array | undefined;
  /** The upstream ended; `tail` is what it left after its last complete event. */
  end(tail: Uint8Array): Uint8Array | undefined;
  /** The upstream broke off: the events that end the client's stream. */
  fail(failure: StreamFailure): Uint8Array;
}

export function contextOf(opts: ForwardOptions): AdapterContext {
  return { newId: opts.newId ?? (() => crypto.randomUUID()), now: opts.now };
}

/** The request as the participant got it: what the repaired Response object echoes (model, tools, …). */
export function requestOf(opts: ForwardOptions): Json {
  try {
    const v = JSON.parse(opts.body);
    const request = v && typeof v === "object" && !Array.isArray(v) ? v : {};
    return opts.echo ? { ...request, ...opts.echo } : request;
  } catch {
    return { ...opts.echo };
  }
}

export function repairedStream(opts: ForwardOptions, observation: Observation): RepairedStream {
  const decoder = new SseDecoder();
  const mapper = createRepairMapper(requestOf(opts), contextOf(opts));
  const redact = opts.target.redactBytes ?? identity;
  let reportedId = false;

  const send = (events: SseEvent[]): Uint8Array | undefined => {
    if (events.length === 0) return undefined;
    const at = opts.now();
    for (const ev of events) observeResponsesEvent(observation, ev, at);
    if (!reportedId && observation.responseId) {
      reportedId = true;
      opts.onResponseId?.(observation.responseId);
    }
    return redact(textEncoder.encode(events.map(formatSse).join("")));
  };
  const map = (events: SseEvent[]) => events.flatMap((ev) => mapper.push(ev));

  return {
    push: (bytes) => send(map(decoder.push(bytes))),
    end(tail) {
      const events = [...decoder.push(tail), ...decoder.end()];
      const whole = events.every((ev) => isWholeEvent(ev.data));
      if (whole) return send([...map(events), ...mapper.end()]);
      // The last event was cut off by a clean close: what came before it stands, the answer does not.
      const message = `${opts.target.label}: the stream ended in the middle of an event`;
      return send([...map(events.filter((ev) => isWholeEvent(ev.data))), ...mapper.fail({ message, code: "upstream_truncated", type: "upstream_error" })]);
    },
    fail: (failure) => send(mapper.fail(failure)) ?? new Uint8Array(0),
  };
}

/** An event a stream could have ended with: `[DONE]`, empty, or whole JSON. Anything else was cut off. */
export function isWholeEvent(data: string): boolean {
  if (data === "[DONE]" || data.trim() === "") return true;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}

/** A non-streaming Response body, repaired, as the bytes to send. */
export function repairedBody(opts: ForwardOptions, body: Json): Uint8Array {
  const out = textEncoder.encode(JSON.stringify(repairBody(body, requestOf(opts), contextOf(opts))));
  return (opts.target.redactBytes ?? identity)(out);
}

/** The translation's stream mapper; for a Responses participant, with the repairing pass in front when its stream needs it. */
export function translatedMapper(opts: ForwardOptions, translation: Translation): StreamMapper {
  const mapper = translation.createStreamMapper();
  if (translation.upstream !== "responses") return mapper;
  return repairInFront(mapper, () => createRepairMapper(requestOf(opts), contextOf(opts)), (reason) => opts.onRepair?.(reason));
}
