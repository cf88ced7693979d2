/**
 * The two kinds of 400 the chat-via-responses request mapper raises:
 * - `unsupported(param, why)`: a valid Chat Completions field the participant cannot honour
 *   because it only speaks the Responses API (code `unsupported_parameter`, like OpenAI's own);
 * - `invalid(param, why)`: a malformed request (code `invalid_request`).
 * Both name the field in `param` and in the message, so a client can tell what to change.
 * And `upstreamFailure` (protocol/openai/responses-stream-reader.ts, which reads the stream's
 * errors): the message/type/code of an error the participant reported, for mapResponse's 502.
 */
import { badRequest, type GambiError } from "../../openai/errors.ts";

const ONLY_RESPONSES = "the participant serving this request only speaks the Responses API";

export function unsupported(param: string, why: string): GambiError {
  return badRequest(`Unsupported parameter '${param}': ${why} (${ONLY_RESPONSES}).`, "unsupported_parameter", param);
}

export function invalid(param: string, why: string): GambiError {
  return badRequest(`Invalid '${param}': ${why}.`, "invalid_request", param);
}

export { upstreamFailure, type UpstreamFailure } from "../../openai/responses-stream-reader.ts";
