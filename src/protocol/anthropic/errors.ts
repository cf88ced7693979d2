/**
 * Errors in Anthropic's Messages shape (https://docs.anthropic.com/en/api/errors):
 * `{"type":"error","error":{"type","message"}}` as an HTTP body, and the same JSON as the data
 * of an `event: error` that ends a stream already under way.
 *
 * The hub makes its errors in OpenAI's envelope (openai/errors.ts) and so do the participants
 * it relays (proxy/relay-error.ts); a Messages client gets them re-shaped here, with the same
 * HTTP status and message (the hub's own code, when there is one, is said in the message:
 * Anthropic's shape has no field for it). Status → type:
 * 400, 409, 422 → `invalid_request_error`; 401 → `authentication_error`; 403 →
 * `permission_error`; 404 → `not_found_error`; 413 → `request_too_large`; 429 →
 * `rate_limit_error`; 503 and 529 → `overloaded_error` (the room or the hub cannot take it now:
 * the SDK retries both); any other 5xx → `api_error`.
 */
import { isObject, type Json } from "../json.ts";
import type { SseEvent } from "../sse/decode.ts";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

const TYPE_BY_STATUS: Record<number, AnthropicErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "invalid_request_error",
  413: "request_too_large",
  422: "invalid_request_error",
  429: "rate_limit_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

export function anthropicErrorType(status: number): AnthropicErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

export function anthropicError(type: AnthropicErrorType, message: string): Json {
  return { type: "error", error: { type, message } };
}

/**
 * An error body the hub or a participant made (OpenAI's envelope, or anything else) → the
 * Messages shape, for a response with this status. The message is the envelope's, with its
 * code appended when it has one (`… (code: model_not_found)`); a body that is not an
 * envelope keeps its text (cut at 1000 characters) as the message.
 */
export function anthropicErrorFromBody(status: number, text: string): Json {
  let message = text.slice(0, 1000) || `HTTP ${status}`;
  try {
    const body: unknown = JSON.parse(text);
    const err = isObject(body) ? body.error : undefined;
    if (isObject(body) && body.type === "error" && isObject(err) && typeof err.type === "string" && typeof err.message === "string") return body;
    if (isObject(err) && typeof err.message === "string") {
      const code = typeof err.code === "string" || typeof err.code === "number" ? ` (code: ${err.code})` : "";
      message = `${err.message}${code}`;
    } else if (typeof err === "string") message = err;
  } catch {
    // not JSON: its text is the message
  }
  return anthropicError(anthropicErrorType(status), message);
}

/**
 * The type of a mid-stream error from its code (the hub's, or a provider's relayed one):
 * rate limits → `rate_limit_error`; the hub or room unable to take it (`hub_shutting_down`,
 * `room_busy`, `queue_timeout`, `no_participant_available`, `overloaded`) →
 * `overloaded_error`; a provider's numeric HTTP status → its type; anything else `api_error`.
 */
export function streamErrorType(code: unknown): AnthropicErrorType {
  if (typeof code === "number") return anthropicErrorType(code);
  if (typeof code !== "string") return "api_error";
  if (/^\d{3}$/.test(code)) return anthropicErrorType(Number(code));
  if (code.includes("rate_limit") || code === "insufficient_quota") return "rate_limit_error";
  if (code === "hub_shutting_down" || code === "room_busy" || code === "queue_timeout" || code === "no_participant_available" || code.includes("overloaded")) return "overloaded_error";
  return "api_error";
}

/** The event that ends a Messages stream with an error. */
export function errorEvent(type: AnthropicErrorType, message: string): SseEvent {
  return { event: "error", data: JSON.stringify(anthropicError(type, message)) };
}
