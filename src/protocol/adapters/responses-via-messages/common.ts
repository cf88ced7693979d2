/**
 * What a Messages answer's end says in Responses terms, for the stream and the whole answer alike.
 *
 * `stop_reason` → the Response's status (responses-via-chat/common.ts `EndState`):
 * - `max_tokens`, `model_context_window_exceeded` → `incomplete`, reason `max_output_tokens`;
 * - `refusal` → `incomplete`, reason `content_filter`;
 * - `end_turn`, `stop_sequence`, `tool_use`, `pause_turn`, none and anything else → `completed`.
 * Usage → the Response's: `input_tokens` the whole prompt (`input_tokens` +
 * `cache_creation_input_tokens` + `cache_read_input_tokens`, which Anthropic counts apart),
 * `input_tokens_details.cached_tokens` the cache reads, `output_tokens` (thinking included),
 * `output_tokens_details.reasoning_tokens` 0 (Anthropic does not count thinking apart),
 * `total_tokens` their sum; undefined without any count. The same numbers as chat's usage of
 * the same answer (anthropic/message.ts), in the Responses shape (responses-via-chat/usage.ts).
 */
import type { Json } from "../../json.ts";
import { chatUsageFromMessages } from "../../anthropic/message.ts";
import type { EndState } from "../responses-via-chat/common.ts";
import { responsesUsageFromChat } from "../responses-via-chat/usage.ts";

export function endStateOfStop(stopReason: unknown): EndState {
  if (stopReason === "max_tokens" || stopReason === "model_context_window_exceeded") return { status: "incomplete", incompleteReason: "max_output_tokens" };
  if (stopReason === "refusal") return { status: "incomplete", incompleteReason: "content_filter" };
  return { status: "completed" };
}

export function responsesUsageOf(usage: unknown): Json | undefined {
  return responsesUsageFromChat(chatUsageFromMessages(usage));
}
