/**
 * Relaying an answer translated from the protocol the participant speaks (forward.ts decides
 * when; the request's `Translation`, types.ts, carries the adapter's mappers bound to it): the
 * upstream's events are decoded once, handed to the adapter's stream mapper, and its events
 * encoded once, as they come — one upstream read in, whatever it completes out, nothing
 * buffered beyond an incomplete event. Non-streaming bodies are parsed, mapped, and sent as
 * JSON.
 *
 * Failure modes mirror relay-passthrough.ts: a death before the first byte is an HTTP 502 (a
 * deadline passing, a 504); after it the mapper's `fail` ends the client's stream with its
 * protocol's error events (code `upstream_disconnected` or `upstream_timeout`); a cancel
 * (POST /v1/responses/:id/cancel) ends it the same way, and so does the hub's shutdown past
 * its grace period (code `hub_shutting_down`, see forward.ts); a client that leaves aborts the
 * upstream. Metrics are observed on the upstream's own events. Data that is not JSON, or an
 * event cut off by a clean close, is the mapper's to judge: Responses ← chat fails the
 * response (`upstream_invalid_chunk`), chat ← Responses skips it and ends with
 * `upstream_truncated` unless a terminal event still follows. A Responses participant's
 * non-conformant stream (llama.cpp's) is repaired before the adapter reads it
 * (relay-repaired.ts, `translatedMapper`); metrics are still observed on its own events.
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { SseDecoder, type SseEvent } from "../protocol/sse/decode.ts";
import { formatJsonSse } from "../protocol/sse/encode.ts";
import { observeEvent, observeJsonBody, type Observation } from "../protocol/observe.ts";
import type { Json } from "../protocol/json.ts";
import type { StreamFailure } from "../protocol/adapters/types.ts";
import { clientResponseHeaders } from "./headers.ts";
import { breakReason, faultOf } from "./failures.ts";
import { parseJson, readBody } from "./reading.ts";
import { finishOnce, relaySse } from "./relay-stream.ts";
import { translatedMapper } from "./relay-repaired.ts";
import type { ForwardOptions, RelayOutcome, Translation, Upstream } from "./types.ts";

const identity = (b: Uint8Array) => b;
const textEncoder = new TextEncoder();

export async function relayTranslatedBody(res: Response, opts: ForwardOptions, translation: Translation, upstream: Upstream): Promise<Response> {
  const bytes = await readBody(res, opts, upstream.watch);
  const fail = (err: GambiError, observation: Observation = {}, fault?: RelayOutcome["fault"]) => {
    opts.onFinish({ status: err.status, observation, error: err.message, fault });
    return err.toResponse(opts.headers);
  };
  if (bytes instanceof GambiError) return fail(bytes, {}, faultOf(bytes));
  const json = parseJson(bytes);
  const observation = observeJsonBody(translation.upstream, json);
  if (!json) return fail(new GambiError(502, `${opts.target.label} answered with a body that is not JSON`, { code: "upstream_invalid_response" }), observation);
  let mapped: Json;
  try {
    mapped = translation.mapResponse(json);
  } catch (err) {
    if (err instanceof GambiError) return fail(err, observation);
    throw err;
  }
  observation.bytes = bytes.length;
  opts.onFinish({ status: 200, observation });
  const headers = clientResponseHeaders(res.headers, opts.headers ?? {}, opts.target.redactText);
  headers["content-type"] = "application/json";
  const out = textEncoder.encode(JSON.stringify(mapped));
  return new Response((opts.target.redactBytes ?? identity)(out), { status: 200, headers });
}

export async function relayTranslatedStream(res: Response, upstream: Upstream, opts: ForwardOptions, translation: Translation): Promise<Response> {
  const reader = res.body!.getReader();
  const decoder = new SseDecoder();
  const mapper = translatedMapper(opts, translation);
  const observation: Observation = {};
  const redact = opts.target.redactBytes ?? identity;
  const finish = finishOnce(opts, observation);
  // All events a read completed go out as one write.
  const encode = (events: SseEvent[]): Uint8Array | undefined => {
    if (events.length === 0) return undefined;
    let text = "";
    // A mapper's events are JSON the hub wrote: no line break to look for.
    for (const ev of events) text += formatJsonSse(ev);
    return redact(textEncoder.encode(text));
  };
  /** Upstream events → client events, observing each on the way. */
  const translate = (events: SseEvent[]): SseEvent[] => {
    const at = opts.now();
    const out: SseEvent[] = [];
    for (const ev of events) {
      if (observation.firstContentAt === undefined) {
        observeEvent(translation.upstream, observation, ev, at);
        // The unit of the hub's token estimate (hub/ledger/estimate.ts): this event's size, and where it began.
        if (observation.firstContentAt !== undefined) {
          observation.contentEventBytes = ev.data.length + 8;
          observation.contentStartBytes = observation.bytes ?? 0;
        }
      } else observeEvent(translation.upstream, observation, ev, at);
      out.push(...mapper.push(ev));
    }
    return out;
  };

  return relaySse(res, reader, opts, upstream, finish, {
    onChunk: (chunk) => {
      observation.bytes = (observation.bytes ?? 0) + chunk.length;
      return encode(translate(decoder.push(chunk)));
    },
    onEnd() {
      const out = encode([...translate(decoder.end()), ...mapper.end()]);
      finish({ error: observation.error });
      return out;
    },
    onBreak(err) {
      const cancelled = translation.abortReason?.();
      if (opts.signal.aborted && !cancelled) {
        finish({ aborted: true, error: "client disconnected" });
        return undefined;
      }
      let failure: StreamFailure;
      let fault: RelayOutcome["fault"];
      if (cancelled) failure = cancelled;
      else {
        const why = breakReason(err, opts, upstream.watch);
        failure = { message: why.message, type: why.type, code: why.code };
        fault = why.fault;
      }
      observation.error = failure.message;
      finish({ error: failure.message, aborted: cancelled !== undefined, fault });
      return encode(mapper.fail(failure)) ?? new Uint8Array(0);
    },
  });
}
