/**
 * Small shared pieces of the responses-via-chat adapter: JSON guards, the 400 for anything a
 * Chat Completions participant cannot honour, and the finish_reason → status map (item ids:
 * protocol/openai/responses-items.ts).
 *
 * finish_reason → Response status (https://platform.openai.com/docs/api-reference/responses/object):
 * - `length` → `incomplete`, `incomplete_details.reason: "max_output_tokens"`;
 * - `content_filter` → `incomplete`, reason `content_filter`;
 * - `stop`, `tool_calls`, `function_call`, and non-standard ones (Together `eos`, TGI
 *   `eos_token`, anything else) → `completed`: the model ended its turn.
 */
import type { GambiError } from "../../openai/errors.ts";
import { unsupported as rejected, type Speaks } from "../rejections.ts";

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * The 400 for a valid Responses field a chat-only participant cannot honour (code
 * `unsupported_parameter`, like OpenAI's own); `param` is the request path (`tools[1].type`).
 * The wording every adapter shares (adapters/rejections.ts); `speaks` is Chat Completions unless
 * the request goes on to another protocol (responses-via-messages maps through this adapter).
 */
export function unsupported(param: string, what: string, speaks: Speaks = "Chat Completions"): GambiError {
  return rejected(param, what, speaks);
}

export { invalid } from "../rejections.ts";

/** The state a Response ends in, from the chat `finish_reason` (the map above). */
export interface EndState {
  status: "completed" | "incomplete";
  incompleteReason?: "max_output_tokens" | "content_filter";
}

export function endStateOf(finishReason: unknown): EndState {
  if (finishReason === "length") return { status: "incomplete", incompleteReason: "max_output_tokens" };
  if (finishReason === "content_filter") return { status: "incomplete", incompleteReason: "content_filter" };
  return { status: "completed" };
}

export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export { deltaReasoning } from "../../openai/chat-reasoning.ts";
