/**
 * The 400s of the messages-via-chat adapter (adapters/rejections.ts, the wording every adapter
 * shares): `unsupported` names the field and the participant's protocol, Chat Completions unless
 * said (the Responses adapter maps through this one), `invalid` a malformed field.
 */
import { unsupported as rejected, type Speaks } from "../rejections.ts";
import type { GambiError } from "../../openai/errors.ts";

export { invalid, type Speaks } from "../rejections.ts";

export function unsupported(param: string, what: string, speaks: Speaks = "Chat Completions"): GambiError {
  return rejected(param, what, speaks);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
