/**
 * The Messages API's answer, `{"type":"message"}` (https://docs.anthropic.com/en/api/messages),
 * as an adapter builds it (the object itself, its usage, and the stop reason: messages-via-*) or
 * reads it (its stop reason and usage in chat's terms: chat-via-messages). Key order is
 * Anthropic's own (fixtures/messages/anthropic-text.json): `id, type, role, model, content,
 * stop_reason, stop_sequence, usage`.
 */
import { isObject, type Json } from "../json.ts";

/**
 * `max_tokens` for a Messages participant when neither the client nor the room's defaults give
 * one (the Messages API requires it; chat and Responses clients may leave it out): 4096, the
 * largest output every Claude model still served accepts (Claude 3 Haiku's), and far more than
 * most answers need. A client that needs more says so.
 */
export const MESSAGES_DEFAULT_MAX_TOKENS = 4096;

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal" | "pause_turn";

export interface MessageFields {
  id: string;
  model: unknown;
  content: Json[];
  stopReason: StopReason | null;
  stopSequence: string | null;
  usage: Json;
}

export function messageObject(m: MessageFields): Json {
  return {
    id: m.id,
    type: "message",
    role: "assistant",
    model: m.model,
    content: m.content,
    stop_reason: m.stopReason,
    stop_sequence: m.stopSequence,
    usage: m.usage,
  };
}

/** A fresh message id, `msg_` and the context's random hex (dashes of a UUID dropped). */
export function messageId(newId: () => string): string {
  return `msg_${newId().replace(/-/g, "")}`;
}

/** The usage of a message whose token counts are not known (yet): zeros, as the API's type wants numbers. */
export function emptyUsage(): Json {
  return { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
}

/**
 * Chat `finish_reason` → `stop_reason`:
 * - `length` → `max_tokens`;
 * - `tool_calls`, `function_call`, or any end of an answer that made tool calls (some servers
 *   say `stop` there) → `tool_use`;
 * - `content_filter`, or an answer that carried a `refusal` → `refusal`;
 * - `stop` → `stop_sequence` when the participant names the stop string it hit and it is one of
 *   the request's `stop_sequences` (vLLM's `choice.stop_reason`), else `end_turn`: chat says
 *   "stop" for both a natural end and a stop sequence;
 * - anything else (`eos`, `eos_token`, none) → `end_turn`.
 */
export function stopReasonOf(
  finishReason: unknown,
  seen: { toolUse: boolean; refusal: boolean; matchedStop?: unknown },
  stopSequences: unknown,
): { stopReason: StopReason; stopSequence: string | null } {
  if (finishReason === "length") return { stopReason: "max_tokens", stopSequence: null };
  if (finishReason === "content_filter" || seen.refusal) return { stopReason: "refusal", stopSequence: null };
  if (finishReason === "tool_calls" || finishReason === "function_call" || seen.toolUse) return { stopReason: "tool_use", stopSequence: null };
  const matched = seen.matchedStop;
  if (typeof matched === "string" && Array.isArray(stopSequences) && stopSequences.includes(matched)) return { stopReason: "stop_sequence", stopSequence: matched };
  return { stopReason: "end_turn", stopSequence: null };
}

const n = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * Chat `usage` → Messages `usage`; undefined when it has no token counts. Anthropic counts the
 * prompt in three parts that add up (`input_tokens` + `cache_creation_input_tokens` +
 * `cache_read_input_tokens`), chat's `prompt_tokens` is the whole prompt with the cached part
 * inside it: so `cache_read_input_tokens` = `prompt_tokens_details.cached_tokens` (or
 * DeepSeek's `prompt_cache_hit_tokens`), `input_tokens` = `prompt_tokens` less that;
 * `cache_creation_input_tokens` is 0 (chat servers cache without saying so, and bill nothing
 * for it); `output_tokens` = `completion_tokens` (reasoning included, as Anthropic counts
 * thinking). Found on any chunk (the last wins), or in Groq's `x_groq.usage`.
 */
export function messagesUsageFromChat(u: unknown): Json | undefined {
  if (!isObject(u)) return undefined;
  const prompt = n(u.prompt_tokens);
  const completion = n(u.completion_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cached = n(details.cached_tokens) ?? n(u.prompt_cache_hit_tokens) ?? 0;
  return {
    input_tokens: Math.max(0, (prompt ?? 0) - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: completion ?? 0,
  };
}

/** The usage a chat chunk carries, if any. */
export function messagesUsageOfChunk(chunk: Json): Json | undefined {
  return messagesUsageFromChat(chunk.usage) ?? (isObject(chunk.x_groq) ? messagesUsageFromChat(chunk.x_groq.usage) : undefined);
}

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * `stop_reason` → chat's `finish_reason`:
 * - `max_tokens`, `model_context_window_exceeded` → `length` (this wins over tool calls, as in
 *   chat, where a call cut off by the limit ends with `length`);
 * - `refusal` → `content_filter` (the answer was stopped by Anthropic's classifiers);
 * - `tool_use`, or any other end of an answer that made tool calls → `tool_calls`;
 * - `end_turn`, `stop_sequence` (chat says `stop` for both), `pause_turn` (only server tools
 *   pause, and a chat client asks for none) and anything else → `stop`.
 */
export function chatFinishReasonOf(stopReason: unknown, toolUse: boolean): ChatFinishReason {
  if (stopReason === "max_tokens" || stopReason === "model_context_window_exceeded") return "length";
  if (stopReason === "refusal") return "content_filter";
  if (stopReason === "tool_use" || toolUse) return "tool_calls";
  return "stop";
}

/**
 * Messages `usage` → chat's: `prompt_tokens` is the whole prompt (`input_tokens` +
 * `cache_creation_input_tokens` + `cache_read_input_tokens`, which Anthropic counts apart),
 * `prompt_tokens_details.cached_tokens` the part read from the cache, `completion_tokens` the
 * output (thinking included, as chat counts reasoning), `total_tokens` their sum. Undefined
 * without any count. (`cache_creation`, `service_tier`, `server_tool_use` have no chat field.)
 */
export function chatUsageFromMessages(u: unknown): Json | undefined {
  if (!isObject(u)) return undefined;
  const input = n(u.input_tokens);
  const created = n(u.cache_creation_input_tokens);
  const read = n(u.cache_read_input_tokens);
  const output = n(u.output_tokens);
  if (input === undefined && created === undefined && read === undefined && output === undefined) return undefined;
  const prompt = (input ?? 0) + (created ?? 0) + (read ?? 0);
  const out: Json = { prompt_tokens: prompt, completion_tokens: output ?? 0, total_tokens: prompt + (output ?? 0) };
  if (read !== undefined) out.prompt_tokens_details = { cached_tokens: read };
  return out;
}

/** A `message_delta`'s usage over `message_start`'s: its counts win, the rest stay (some hosts send only `output_tokens` there). */
export function laterUsage(earlier: Json | undefined, later: unknown): Json | undefined {
  if (!isObject(later)) return earlier;
  return earlier ? { ...earlier, ...later } : later;
}
