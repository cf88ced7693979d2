/**
 * Same-protocol relaying (forward.ts decides when). The client receives the upstream's bytes
 * as they are: streams are forwarded chunk by chunk with no re-encoding (only held back to the
 * end of the last complete event, see protocol/sse/boundary.ts), non-streaming bodies are
 * passed through whole. Beside the bytes an SSE decoder feeds `protocol/observe.ts`, which is
 * how the hub learns TTFT, usage and response ids. One exception to "untouched": a chat stream
 * for which the hub asked usage itself (`opts.dropUsageChunk`, hub/inference/plan.ts: the
 * client did not) loses that one usage-only chunk (`"choices": []`), found among the events the
 * usage needle already picks out (NEEDLES), so it costs nothing per event. The relay also
 * counts the stream's bytes per piece, for the hub's token estimate when no usage comes
 * (hub/ledger/estimate.ts).
 *
 * Responses answers are judged first (protocol/openai/responses-repair/detect.ts): a stream on
 * its first event with data, a body whole. A conformant one goes on as above; one that is not
 * (llama.cpp's `llama-server`) goes through the repairing pass instead (relay-repaired.ts), and
 * `opts.onRepair` is told why. SSE comments before that first event are sent on at once.
 *
 * Failure modes (reading.ts reads under the deadlines, failures.ts names the cause):
 * - upstream unreachable → 502 (forward.ts; UpstreamUnreachable from upstream.ts);
 * - upstream HTTP error → same status, body passed on if already OpenAI-shaped, wrapped if not
 *   (relay-error.ts);
 * - upstream dies before the first byte → 502; after it → a protocol error event, then the end;
 * - a deadline passes (timeouts.ts) before the first byte → 504; after it → the error event;
 * - upstream closes cleanly in the middle of an event → the partial event is dropped (the
 *   client's parser would glue it to whatever came next) and an `upstream_truncated` error
 *   event ends the stream. A complete last event without its blank line (TGI) is sent as is;
 * - upstream sends an event whose data is not JSON → forwarded as is, like every other byte:
 *   the hub relays, it does not validate (the client's SDK reports its own parse error).
 * - client leaves → the upstream fetch is aborted at once; a response the hub keeps cancelled
 *   with POST …/cancel (`opts.abortReason`) → the upstream is aborted and the client's stream
 *   ends with a `response_cancelled` error event.
 * - the hub shuts down and its grace period runs out (`opts.shutdown`, see forward.ts) → the
 *   upstream is aborted; a 503 before the first byte, after it the error event with code
 *   `hub_shutting_down` (not the participant's fault: no health fault is counted).
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { SseDecoder } from "../protocol/sse/decode.ts";
import { concatBytes, eventRangesContaining, nextEventEnd, takeWholeEvents } from "../protocol/sse/boundary.ts";
import { observeEvent, observeJsonBody, observeResponsesPayload, type Observation } from "../protocol/observe.ts";
import { usageInChatBytes, usageInMessagesBytes } from "../protocol/usage-in-bytes.ts";
import type { Protocol } from "../protocol/protocols.ts";
import { clientResponseHeaders } from "./headers.ts";
import { breakReason, faultOf, streamErrorEvent } from "./failures.ts";
import { parseJson, readBody } from "./reading.ts";
import { finishOnce, relaySse } from "./relay-stream.ts";
import { isWholeEvent, repairedBody, repairedStream, type RepairedStream } from "./relay-repaired.ts";
import { bodyRepairReason, streamVerdict } from "../protocol/openai/responses-repair/detect.ts";
import type { ForwardOptions, RelayOutcome, Upstream } from "./types.ts";

export async function relayPassthroughBody(res: Response, opts: ForwardOptions, upstream: Upstream): Promise<Response> {
  const bytes = await readBody(res, opts, upstream.watch);
  if (bytes instanceof GambiError) {
    opts.onFinish({ status: bytes.status, observation: {}, error: bytes.message, fault: faultOf(bytes) });
    return bytes.toResponse(opts.headers);
  }
  let observation: Observation = {};
  let json: Record<string, unknown> | undefined;
  // An embeddings answer is never parsed (thousands of numbers, nothing else the hub needs): its usage is read as chat's is unwatched.
  const wanted = opts.protocol === "responses" || ((opts.protocol === "chat" || opts.protocol === "messages") && opts.wantsObservation?.() !== false);
  if (wanted && (res.headers.get("content-type") ?? "").includes("json")) {
    json = parseJson(bytes);
    observation = observeJsonBody(opts.protocol, json);
    if (observation.responseId) opts.onResponseId?.(observation.responseId);
  } else if (opts.protocol !== "responses" && res.status < 400) {
    // Not parsed (no one watches the room, or embeddings), but the ledger counts its tokens: the
    // usage object alone (embeddings: `prompt_tokens`, `total_tokens`, the same keys as chat's;
    // a Messages body's its own, read as observe.ts reads it).
    observation.usage = opts.protocol === "messages" ? usageInMessagesBytes(bytes) : usageInChatBytes(bytes);
  }
  observation.bytes = bytes.length;
  const repair = opts.protocol === "responses" && json ? bodyRepairReason(json) : undefined;
  if (repair) opts.onRepair?.(repair);
  opts.onFinish({ status: res.status, observation });
  const headers = clientResponseHeaders(res.headers, opts.headers ?? {}, opts.target.redactText);
  if (repair) return new Response(repairedBody(opts, json!), { status: res.status, headers });
  const redact = opts.target.redactBytes;
  return new Response(redact ? redact(bytes) : bytes, { status: res.status, headers });
}

/**
 * After the first content event, an event can only change what the hub reports if it carries
 * usage, an error or a terminal Responses event. A byte search for those markers is far
 * cheaper than decoding every event of a long stream (`"usage":null`, which OpenAI puts in
 * every chat chunk, does not match).
 */
const NEEDLES: Record<Protocol, Buffer[]> = {
  chat: ['"usage":{', '"usage": {', '"error"'].map((s) => Buffer.from(s)),
  // Responses usage is read only off these terminal events (protocol/observe.ts), so no usage needle.
  responses: ["response.completed", "response.incomplete", "response.failed", '"error"'].map((s) => Buffer.from(s)),
  // Embeddings never stream; a participant that streams anyway is observed for errors only.
  embeddings: ['"error"'].map((s) => Buffer.from(s)),
  // Messages: usage on message_delta (message_start comes before the first content, decoded anyway).
  messages: ["message_delta", '"error"'].map((s) => Buffer.from(s)),
};

const EMPTY = new Uint8Array(0);

const CHOICES_EMPTY = ['"choices":[]', '"choices": []'].map((s) => Buffer.from(s));
const USAGE = Buffer.from('"usage"');

/** One whole chat event that is a usage-only chunk (`"choices": []` and `usage`), judged on its bytes. */
function isUsageOnlyChunk(event: Uint8Array): boolean {
  const view = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  return view.indexOf(USAGE) !== -1 && CHOICES_EMPTY.some((n) => view.indexOf(n) !== -1);
}

/** Where the usage-only chunk is among the whole events of `bytes[from, to)`, if there. */
function usageChunkIn(bytes: Uint8Array, from: number, to: number): [number, number] | undefined {
  for (let offset = from; offset < to; ) {
    const end = Math.min(nextEventEnd(bytes, offset), to);
    if (isUsageOnlyChunk(bytes.subarray(offset, end))) return [offset, end];
    offset = end;
  }
  return undefined;
}

export async function relayPassthroughStream(res: Response, upstream: Upstream, opts: ForwardOptions): Promise<Response> {
  const reader = res.body!.getReader();
  const decoder = new SseDecoder();
  const observation: Observation = {};
  let held: Uint8Array = new Uint8Array(0);
  // A provider that echoes the key in an in-band error must not leak it to the client.
  const redact = opts.target.redactBytes ?? ((b: Uint8Array) => b);
  let reportedId = false;

  const finish = finishOnce(opts, observation);
  const needles = NEEDLES[opts.protocol];
  const see = (bytes: Uint8Array, at: number) => {
    for (const ev of decoder.push(bytes)) observeEvent(opts.protocol, observation, ev, at);
  };
  // The usage-only chunk the hub asked for itself (ForwardOptions.dropUsageChunk): dropped once.
  let dropUsage = opts.dropUsageChunk === true && opts.protocol === "chat";
  /**
   * Decodes event by event until the first content, then only events that can still matter
   * (see NEEDLES). Counts the bytes (per piece) for the token estimate, and returns the piece
   * to send: itself, or without the usage chunk the client did not ask for.
   */
  const observe = (bytes: Uint8Array): Uint8Array => {
    const at = opts.now();
    const before = observation.bytes ?? 0;
    observation.bytes = before + bytes.length;
    let offset = 0;
    let cut: [number, number] | undefined;
    while (observation.firstContentAt === undefined && offset < bytes.length) {
      const end = nextEventEnd(bytes, offset);
      see(bytes.subarray(offset, end), at);
      if (observation.firstContentAt !== undefined) {
        observation.contentStartBytes = before + offset;
        observation.contentEventBytes = end - offset;
      } else if (dropUsage && !cut && isUsageOnlyChunk(bytes.subarray(offset, end))) cut = [offset, end];
      offset = end;
    }
    const rest = offset === 0 ? bytes : bytes.subarray(offset);
    if (rest.length > 0) {
      for (const [from, to] of eventRangesContaining(rest, needles)) {
        see(rest.subarray(from, to), at);
        if (dropUsage && !cut) {
          const found = usageChunkIn(rest, from, to);
          if (found) cut = [found[0] + offset, found[1] + offset];
        }
      }
    }
    if (!reportedId && observation.responseId) {
      reportedId = true;
      opts.onResponseId?.(observation.responseId);
    }
    if (!cut) return bytes;
    dropUsage = false;
    return concatBytes(bytes.subarray(0, cut[0]), bytes.subarray(cut[1]));
  };
  // Responses only: the first event with data decides between these bytes and the repairing pass.
  let judged = opts.protocol !== "responses";
  let repaired: RepairedStream | undefined;
  /** Whole events, before the verdict: comments go on as they are; at the first data event, judge. */
  const judge = (bytes: Uint8Array): Uint8Array | undefined => {
    for (let offset = 0; offset < bytes.length; ) {
      const end = nextEventEnd(bytes, offset);
      const probe = new SseDecoder();
      const first = [...probe.push(bytes.subarray(offset, end)), ...probe.end()][0];
      if (first) {
        judged = true;
        const { reason, payload } = streamVerdict(first);
        if (!reason && !opts.echo) {
          // Conformant: its first event (response.created) is observed from the JSON the
          // verdict parsed, the rest as any chunk is.
          observation.firstEventAt ??= opts.now();
          if (payload) observeResponsesPayload(observation, "response.created", payload);
          observe(end === bytes.length ? EMPTY : bytes.subarray(end));
          return bytes;
        }
        // Repaired for the participant's sake (told once), or only to echo what the hub knows.
        if (reason) opts.onRepair?.(reason);
        repaired = repairedStream(opts, observation);
        const out = repaired.push(bytes.subarray(offset));
        return offset === 0 ? out : concatBytes(bytes.subarray(0, offset), out ?? new Uint8Array(0));
      }
      offset = end;
    }
    observe(bytes);
    return bytes;
  };

  /** Whole events on their way to the client: redacted, then judged, repaired or observed. */
  const send = (piece: Uint8Array): Uint8Array | undefined => {
    const out = redact(piece);
    if (repaired) return repaired.push(out);
    if (!judged) return judge(out);
    // Whole events only, so skipping one piece never leaves the decoder mid-event.
    const sent = observe(out);
    return sent.length > 0 ? sent : undefined;
  };

  return relaySse(res, reader, opts, upstream, finish, {
    onChunk(chunk) {
      // Forwardable bytes: up to the chunk's last complete event, in one piece or two; the rest is held.
      const taken = takeWholeEvents(held, chunk);
      held = taken.held;
      const pieces = taken.pieces;
      if (pieces.length === 0) return undefined;
      if (pieces.length === 1) return send(pieces[0]!);
      const out: Uint8Array[] = [];
      for (const piece of pieces) {
        const bytes = send(piece);
        if (bytes) out.push(bytes);
      }
      return out;
    },
    onEnd() {
      if (repaired) {
        const out = repaired.end(held);
        finish({ error: observation.error });
        return out;
      }
      // Upstream ended normally: flush whatever tail it left (TGI ends without a blank line).
      if (held.length === 0) {
        for (const ev of decoder.end()) observeEvent(opts.protocol, observation, ev, opts.now());
        finish({ error: observation.error });
        return undefined;
      }
      const tail = redact(held);
      // The tail holds no complete event (that is why it was held): end() dispatches it.
      const events = [...decoder.push(tail), ...decoder.end()];
      if (events.every((ev) => isWholeEvent(ev.data))) {
        for (const ev of events) observeEvent(opts.protocol, observation, ev, opts.now());
        finish({ error: observation.error });
        return tail;
      }
      const error = `${opts.target.label}: the stream ended in the middle of an event`;
      observation.error = error;
      finish({ error });
      return streamErrorEvent(opts.protocol, error, "upstream_truncated");
    },
    onBreak(err) {
      // A cancel (POST …/cancel) aborts like a client leaving, but the client is there to be told.
      const cancelled = opts.abortReason?.();
      if (cancelled) {
        observation.error = cancelled.message;
        finish({ aborted: true, error: cancelled.message });
        return streamErrorEvent(opts.protocol, cancelled.message, "response_cancelled", cancelled.type);
      }
      if (opts.signal.aborted) {
        finish({ aborted: true, error: "client disconnected" });
        return undefined;
      }
      const why = breakReason(err, opts, upstream.watch);
      observation.error = why.message;
      finish({ error: why.message, fault: why.fault });
      if (repaired) return repaired.fail({ message: why.message, code: why.code, type: why.type });
      return streamErrorEvent(opts.protocol, why.message, why.code, why.type);
    },
  });
}
