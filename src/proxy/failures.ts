/**
 * What a failed upstream means, shared by the relays (relay-passthrough.ts,
 * relay-translated.ts) and the readers (reading.ts): whether the hub's shutdown cut it
 * (hub/shutdown.ts, code `hub_shutting_down`, no fault of the participant's), which health
 * fault it counts as, why a stream broke off after its first byte, the error event that
 * ends a passthrough client's stream in its own protocol, and the events that end a stream
 * the hub answered itself before any participant did (`streamFailureEvents`).
 */
import { hasCode, type EnvelopeCode, type ErrorCode } from "../protocol/error-codes.ts";
import { anthropicErrorType, errorEvent, streamErrorType } from "../protocol/anthropic/errors.ts";
import { responseObject } from "../protocol/adapters/responses-via-chat/envelope.ts";
import type { Json } from "../protocol/json.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { encodeSse, formatSse } from "../protocol/sse/encode.ts";
import type { Protocol } from "../protocol/protocols.ts";
import { describeNetworkError } from "./upstream.ts";
import { timeoutMessage, type UpstreamWatch } from "./timeouts.ts";
import type { Fault, ForwardOptions } from "./types.ts";

export const SHUTDOWN_MESSAGE = "the hub is shutting down and its grace period for requests in progress is over; try again in a moment";

/** Whether the upstream was aborted by the hub's shutdown rather than by the client. */
export const cutByShutdown = (opts: Pick<ForwardOptions, "signal" | "shutdown">) => !opts.signal.aborted && opts.shutdown?.aborted === true;

export const shutdownError = () => new GambiError(503, SHUTDOWN_MESSAGE, { code: "hub_shutting_down" });

/** What a failed upstream read means for the participant's health (a shutdown is none of its doing). */
export const faultOf = (err: GambiError): Fault | undefined =>
  hasCode(err, "upstream_timeout") ? "timeout" : hasCode(err, "hub_shutting_down") ? undefined : "disconnected";

/** Why a stream broke off after its first byte: the hub's shutdown, a deadline, or the connection. */
export function breakReason(
  err: unknown,
  opts: Pick<ForwardOptions, "signal" | "target" | "timeouts" | "shutdown">,
  watch: UpstreamWatch | undefined,
): { message: string; code: ErrorCode; type: string; fault?: Fault } {
  if (cutByShutdown(opts)) return { message: SHUTDOWN_MESSAGE, code: "hub_shutting_down", type: "service_unavailable" };
  if (watch?.expired) {
    return { message: timeoutMessage(watch.expired, opts.target.label, opts.timeouts!), code: "upstream_timeout", type: "upstream_error", fault: "timeout" };
  }
  return { message: `${opts.target.label}: upstream stream broke off: ${describeNetworkError(err)}`, code: "upstream_disconnected", type: "upstream_error", fault: "disconnected" };
}

/** The error event a client of each protocol understands, appended when the upstream dies mid-stream. */
export function streamErrorEvent(protocol: Protocol, message: string, code: ErrorCode, type = "upstream_error"): Uint8Array {
  if (protocol === "messages") return encodeSse(errorEvent(streamErrorType(code), message));
  if (protocol === "chat") {
    return encodeSse({ data: JSON.stringify({ error: { message, type, code, param: null } }) });
  }
  return encodeSse({ event: "error", data: JSON.stringify({ type: "error", code, message, param: null }) });
}

/**
 * The events that end a stream the hub answered before any participant did (a request that
 * waited in its room's queue, hub/inference/queued-stream.ts): chat, the one `{"error": …}`
 * chunk; Messages, one `event: error` (its type from the HTTP status the answer would have had,
 * else from the code); Responses, `error` then `response.failed`, as a failed Response streams (the Response
 * object built from the request, with a fresh id: no participant ever made one).
 */
export function streamFailureEvents(protocol: Protocol, failure: { message: string; code: EnvelopeCode | null; type: string; status?: number }, request: Json, now: number): Uint8Array {
  if (protocol === "messages") return encodeSse(errorEvent(failure.status ? anthropicErrorType(failure.status) : streamErrorType(failure.code), failure.message));
  if (protocol === "chat") return encodeSse({ data: JSON.stringify({ error: { message: failure.message, type: failure.type, code: failure.code, param: null } }) });
  const code = failure.code ?? "server_error";
  const response = responseObject(request, {
    id: `resp_${crypto.randomUUID().replace(/-/g, "")}`,
    createdAt: Math.floor(now / 1000),
    status: "failed",
    output: [],
    error: { code, message: failure.message },
  });
  const error = formatSse({ event: "error", data: JSON.stringify({ type: "error", sequence_number: 0, code, message: failure.message, param: null }) });
  const failed = formatSse({ event: "response.failed", data: JSON.stringify({ type: "response.failed", sequence_number: 1, response }) });
  return new TextEncoder().encode(error + failed);
}
