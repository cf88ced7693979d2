/**
 * The two kinds of 400 the chat-via-responses request mapper raises:
 * - `unsupported(param, why)`: a valid Chat Completions field the participant cannot honour
 *   because it only speaks the Responses API (code `unsupported_parameter`, like OpenAI's own);
 * - `invalid(param, why)`: a malformed request (code `invalid_request`).
 * Both name the field in `param` and in the message, so a client can tell what to change.
 * And `upstreamFailure`: the message/type/code of an error the participant reported, for the
 * 502 of mapResponse and the error chunk of the stream mapper.
 */
import { relayedCode, type EnvelopeCode } from "../../error-codes.ts";
import { badRequest, type GambiError } from "../../openai/errors.ts";

const ONLY_RESPONSES = "the participant serving this request only speaks the Responses API";

export function unsupported(param: string, why: string): GambiError {
  return badRequest(`Unsupported parameter '${param}': ${why} (${ONLY_RESPONSES}).`, "unsupported_parameter", param);
}

export function invalid(param: string, why: string): GambiError {
  return badRequest(`Invalid '${param}': ${why}.`, "invalid_request", param);
}

/** What an upstream said went wrong: a Responses `error` event (flat, or nested in `error` as
 * OpenAI sends it, fixtures/responses/openai-error-quota.sse) or a failed response's `error`. */
export interface UpstreamFailure {
  message: string;
  type: string;
  /** The upstream's code as it came (a number stays a number), or the hub's own. */
  code: EnvelopeCode | number | null;
}

export function upstreamFailure(err: unknown, fallback: string): UpstreamFailure {
  const e = typeof err === "object" && err !== null ? (err as Record<string, unknown>) : {};
  const inner = typeof e.error === "object" && e.error !== null ? (e.error as Record<string, unknown>) : e;
  const message = typeof inner.message === "string" && inner.message !== "" ? inner.message : fallback;
  // An `error` event's own `type` is "error" (the event name), not an error type.
  const type = typeof inner.type === "string" && inner.type !== "error" && inner.type !== "" ? inner.type : "upstream_error";
  const code = typeof inner.code === "string" ? relayedCode(inner.code) : typeof inner.code === "number" ? inner.code : null;
  return { message, type, code };
}
