/**
 * A Response's end state → a chat `finish_reason`.
 * - `incomplete` with `max_output_tokens` → `length`, with `content_filter` → `content_filter`,
 *   with any other (or no) reason → `length`: the answer was cut short either way. This wins
 *   over tool calls, as in Chat Completions, where a call cut off by the token limit ends
 *   with `length` and its arguments may be partial JSON;
 * - otherwise `tool_calls` when the output has function calls, else `stop` (a refusal also
 *   ends with `stop`, as OpenAI's chat endpoint does, see fixtures/chat/openai-refusal.sse).
 */
export type ChatFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export function chatFinishReason(status: unknown, incompleteReason: unknown, hasToolCalls: boolean): ChatFinishReason {
  if (status === "incomplete") return incompleteReason === "content_filter" ? "content_filter" : "length";
  return hasToolCalls ? "tool_calls" : "stop";
}
