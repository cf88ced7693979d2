/**
 * Same-protocol relaying (forward.ts decides when). The client receives the upstream's bytes as they are: streams are
 * forwarded chunk by chunk with no re-encoding (only held back to the end of the last complete
 * event, see sse/boundary.ts), non-streaming bodies are passed through whole. Beside the bytes
 * an SSE decoder feeds `observe.ts`, which is how the hub learns TTFT, usage and response ids.
 *
 * Failure modes:
 * - upstream unreachable → 502 (UpstreamUnreachable from upstream.ts);
 * - upstream HTTP error → same status, body passed on if already OpenAI-shaped, wrapped if not;
 * - upstream dies before the first byte → 502; after it → a protocol error event, then the end;
 * - client leaves → the upstream fetch is aborted at once.
 */
import { GambiError } from "./openai/errors.ts";
import { describeNetworkError } from "./upstream.ts";
import type { ForwardOptions, Outcome } from "./forward.ts";
import { clientResponseHeaders, SSE_HEADERS } from "./headers.ts";
import { SseDecoder } from "./sse/decode.ts";
import { encodeSse } from "./sse/encode.ts";
import { concatBytes, eventRangesContaining, lastEventEnd, nextEventEnd } from "./sse/boundary.ts";
import { observeEvent, observeJsonBody, type Observation } from "./observe.ts";
import type { Protocol } from "./protocol.ts";
import { pumpStream } from "./pump.ts";
import { shapeUpstreamError } from "./upstream-error.ts";

export async function readBody(res: Response, signal: AbortSignal): Promise<Uint8Array | GambiError> {
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (signal.aborted) throw err;
    return new GambiError(502, `upstream closed the connection before the body was complete: ${describeNetworkError(err)}`, {
      code: "upstream_disconnected",
    });
  }
}

export async function relayBody(res: Response, opts: ForwardOptions): Promise<Response> {
  const bytes = await readBody(res, opts.signal);
  if (bytes instanceof GambiError) {
    opts.onFinish({ status: bytes.status, observation: {}, error: bytes.message });
    return bytes.toResponse();
  }
  let observation: Observation = {};
  if ((res.headers.get("content-type") ?? "").includes("json")) {
    observation = observeJsonBody(opts.protocol, parseJson(bytes));
    if (observation.responseId) opts.onResponseId?.(observation.responseId);
  }
  opts.onFinish({ status: res.status, observation });
  const redact = opts.target.redactBytes;
  return new Response(redact ? redact(bytes) : bytes, { status: res.status, headers: clientResponseHeaders(res.headers, opts.headers ?? {}) });
}

export function parseJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Upstream 4xx/5xx: keep the provider's own OpenAI-shaped body, wrap anything else. */
export async function relayError(res: Response, opts: Pick<ForwardOptions, "signal" | "target" | "headers" | "onFinish">): Promise<Response> {
  const bytes = await readBody(res, opts.signal);
  const text = bytes instanceof GambiError ? "" : new TextDecoder().decode(bytes);
  const shaped = shapeUpstreamError(res.status, text, opts.target.label, Object.values(opts.target.authHeaders));
  const headers = clientResponseHeaders(res.headers, opts.headers ?? {});
  headers.set("content-type", "application/json");
  opts.onFinish({ status: res.status, observation: {}, error: shaped.message });
  return new Response(shaped.body, { status: res.status, headers });
}


/**
 * Reads ahead to the first chunk: a stream that dies before its first byte is still an HTTP
 * error (returned as a Response); a client that left meanwhile rethrows.
 */
export async function readFirstChunk<Chunk>(
  read: () => Promise<Chunk>,
  opts: Pick<ForwardOptions, "signal" | "target" | "headers">,
  finish: (outcome: { error: string; aborted: boolean }) => void,
): Promise<Chunk | Response> {
  try {
    return await read();
  } catch (err) {
    const aborted = opts.signal.aborted;
    const error = `upstream closed the stream before sending anything: ${describeNetworkError(err)}`;
    finish({ error, aborted });
    if (aborted) throw err;
    return new GambiError(502, `${opts.target.label}: ${error}`, { code: "upstream_disconnected" }).toResponse(opts.headers);
  }
}

/** The error event a client of each protocol understands, appended when the upstream dies mid-stream. */
export function streamErrorEvent(protocol: Protocol, message: string, code: string): Uint8Array {
  if (protocol === "chat") {
    return encodeSse({ data: JSON.stringify({ error: { message, type: "upstream_error", code, param: null } }) });
  }
  return encodeSse({ event: "error", data: JSON.stringify({ type: "error", code, message, param: null }) });
}

/**
 * After the first content event, an event can only change what the hub reports if it carries
 * usage, an error or a terminal Responses event. A byte search for those markers is far
 * cheaper than decoding every event of a long stream (`"usage":null`, which OpenAI puts in
 * every chat chunk, does not match).
 */
const NEEDLES: Record<Protocol, Buffer[]> = {
  chat: ['"usage":{', '"usage": {', '"error"'].map((s) => Buffer.from(s)),
  responses: ["response.completed", "response.incomplete", "response.failed", '"error"', '"usage":{', '"usage": {'].map((s) => Buffer.from(s)),
};

export async function relayStream(res: Response, upstreamAbort: AbortController, opts: ForwardOptions): Promise<Response> {
  const reader = res.body!.getReader();
  const decoder = new SseDecoder();
  const observation: Observation = {};
  let held: Uint8Array = new Uint8Array(0);
  // A provider that echoes the key in an in-band error must not leak it to the client.
  const redact = opts.target.redactBytes ?? ((b: Uint8Array) => b);
  let finished = false;
  let reportedId = false;

  const finish = (outcome: Omit<Outcome, "observation" | "status">) => {
    if (finished) return;
    finished = true;
    opts.onFinish({ status: 200, observation, ...outcome });
  };
  const needles = NEEDLES[opts.protocol];
  const see = (bytes: Uint8Array, at: number) => {
    for (const ev of decoder.push(bytes)) observeEvent(opts.protocol, observation, ev, at);
  };
  /** Decodes event by event until the first content, then only events that can still matter (see NEEDLES). */
  const observe = (bytes: Uint8Array) => {
    const at = opts.now();
    let offset = 0;
    while (observation.firstContentAt === undefined && offset < bytes.length) {
      const end = nextEventEnd(bytes, offset);
      see(bytes.subarray(offset, end), at);
      offset = end;
    }
    const rest = offset === 0 ? bytes : bytes.subarray(offset);
    if (rest.length > 0) for (const [from, to] of eventRangesContaining(rest, needles)) see(rest.subarray(from, to), at);
    if (!reportedId && observation.responseId) {
      reportedId = true;
      opts.onResponseId?.(observation.responseId);
    }
  };
  /** Forwardable bytes of this chunk (up to the last complete event); the rest is held. */
  const take = (chunk: Uint8Array): Uint8Array | undefined => {
    const all = concatBytes(held, chunk);
    const cut = lastEventEnd(all);
    if (cut === all.length) {
      held = new Uint8Array(0);
      return redact(all);
    }
    held = all.slice(cut);
    return cut > 0 ? redact(all.subarray(0, cut)) : undefined;
  };

  const first = await readFirstChunk(() => reader.read(), opts, finish);
  if (first instanceof Response) return first;

  const headers = clientResponseHeaders(res.headers, { ...SSE_HEADERS, ...opts.headers });
  const body = pumpStream(reader, first, {
    onChunk(chunk) {
      const out = take(chunk);
      // Whole events only, so skipping one piece never leaves the decoder mid-event.
      if (out) observe(out);
      return out;
    },
    onEnd() {
      // Upstream ended normally: flush whatever tail it left (TGI ends without a blank line).
      let tail: Uint8Array | undefined;
      if (held.length > 0) {
        tail = redact(held);
        // The tail holds no complete event (that is why it was held): end() dispatches it.
        decoder.push(tail);
      }
      for (const ev of decoder.end()) observeEvent(opts.protocol, observation, ev, opts.now());
      finish({ error: observation.error });
      return tail;
    },
    onBreak(err) {
      if (opts.signal.aborted) {
        finish({ aborted: true, error: "client disconnected" });
        return undefined;
      }
      const error = `upstream stream broke off: ${describeNetworkError(err)}`;
      observation.error = error;
      finish({ error });
      return streamErrorEvent(opts.protocol, `${opts.target.label}: ${error}`, "upstream_disconnected");
    },
    onCancel() {
      upstreamAbort.abort();
      finish({ aborted: true, error: "client disconnected" });
    },
  });
  return new Response(body, { status: 200, headers });
}
