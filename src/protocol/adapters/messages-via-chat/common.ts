/**
 * The 400s of the messages-via-chat adapter, in the same words as the other adapters':
 * `unsupported` for a valid Messages field the participant's protocol cannot honour (code
 * `unsupported_parameter`, naming the field and that protocol), `invalid` for a malformed one.
 * The hub re-shapes both into Anthropic's error body on the Messages routes
 * (protocol/anthropic/errors.ts).
 */
import { badRequest, type GambiError } from "../../openai/errors.ts";

/** The protocol the participant speaks, as the 400 names it. */
export type Speaks = "Chat Completions" | "Responses API";

export function unsupported(param: string, what: string, speaks: Speaks = "Chat Completions"): GambiError {
  return badRequest(
    `Unsupported parameter '${param}': ${what} cannot be adapted (the participant serving this request only speaks ${speaks}).`,
    "unsupported_parameter",
    param,
  );
}

export function invalid(param: string, what: string): GambiError {
  return badRequest(`Invalid '${param}': ${what}.`, "invalid_request", param);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
