/**
 * The two 400s an adapter's request mapper raises, in one wording for every direction:
 * `unsupported` for a valid field the participant's protocol cannot honour (code
 * `unsupported_parameter`, naming the field and the protocol the participant speaks), `invalid`
 * for a malformed one (code `invalid_request`). Both name the field in `param` too. On the
 * Messages routes the hub re-shapes them as Anthropic's error (protocol/anthropic/errors.ts).
 */
import { badRequest, type GambiError } from "../openai/errors.ts";

/** The protocol the participant speaks, as the 400 names it. */
export type Speaks = "Chat Completions" | "Responses API" | "Messages API";

export function unsupported(param: string, what: string, speaks: Speaks): GambiError {
  return badRequest(
    `Unsupported parameter '${param}': ${what} cannot be adapted (the participant serving this request only speaks ${speaks}).`,
    "unsupported_parameter",
    param,
  );
}

export function invalid(param: string, what: string): GambiError {
  return badRequest(`Invalid '${param}': ${what}.`, "invalid_request", param);
}
