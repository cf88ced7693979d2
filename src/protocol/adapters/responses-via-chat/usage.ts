/**
 * Chat `usage` → Responses `usage` (https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage).
 *
 * Mapped: `prompt_tokens` → `input_tokens`, `completion_tokens` → `output_tokens`,
 * `total_tokens` (or their sum when missing); `prompt_tokens_details.cached_tokens`, else
 * DeepSeek's `prompt_cache_hit_tokens` → `input_tokens_details.cached_tokens`;
 * `completion_tokens_details.reasoning_tokens` → `output_tokens_details.reasoning_tokens`.
 * Both details objects are always present (0 when the participant did not say): the API's
 * Response type requires them. Provider extras (OpenRouter `cost`, Groq `queue_time`,
 * llama.cpp `timings`) are dropped.
 * Where usage is found in a stream: on any chunk (the last one wins: Hyperbolic sends running
 * totals on every chunk; Groq repeats it on a `choices: []` chunk), else in Groq's `x_groq.usage`.
 */
import { isObject, type Json } from "../../json.ts";
import { num } from "./common.ts";

/** A Chat Completions `usage` → a Responses `usage`; undefined when the chunk or body reported no token counts. */
export function responsesUsageFromChat(u: unknown): Json | undefined {
  if (!isObject(u)) return undefined;
  const input = num(u.prompt_tokens);
  const output = num(u.completion_tokens);
  if (input === undefined && output === undefined) return undefined;
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const outDetails = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  return {
    input_tokens: input ?? 0,
    input_tokens_details: { cached_tokens: num(details.cached_tokens) ?? num(u.prompt_cache_hit_tokens) ?? 0 },
    output_tokens: output ?? 0,
    output_tokens_details: { reasoning_tokens: num(outDetails.reasoning_tokens) ?? 0 },
    total_tokens: num(u.total_tokens) ?? (input ?? 0) + (output ?? 0),
  };
}

/** The usage a chunk carries, if any (top-level `usage`, else Groq's `x_groq.usage`). */
export function responsesUsageOfChunk(chunk: Json): Json | undefined {
  return responsesUsageFromChat(chunk.usage) ?? (isObject(chunk.x_groq) ? responsesUsageFromChat(chunk.x_groq.usage) : undefined);
}
