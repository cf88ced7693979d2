/**
 * The Response object and its output items, shaped like OpenAI's own (key order included:
 * compare test/fixtures/responses/openai-text.json), shared by response.ts and stream.ts.
 *
 * Echoed request parameters, with the API's defaults when the request left them out:
 * `instructions` (null), `max_output_tokens` (null), `max_tool_calls` (null),
 * `parallel_tool_calls` (true), `frequency_penalty`/`presence_penalty` (0),
 * `previous_response_id` (null), `prompt_cache_key` (null), `prompt_cache_retention` (null),
 * `reasoning` ({effort, summary}: null), `safety_identifier` (null), `store` (true),
 * `temperature`/`top_p` (1), `text` ({format: {type:"text"}, verbosity: "medium"}),
 * `tool_choice` ("auto"), `tools` ([]; function tools with description/parameters/strict
 * filled with null when absent), `top_logprobs` (0), `truncation` ("disabled"), `user` (null),
 * `metadata` ({}), `moderation` (null: the field is rejected). `service_tier` is always
 * "default" (the tier the request actually ran at); `background` false. `model` is the request's (the model the hub routed to, known from
 * `response.created` on). `output_text` is not sent: it is an SDK convenience, not on the wire.
 */
import { isObject, type Json } from "../../json.ts";

export interface ResponseState {
  id: string;
  createdAt: number;
  status: "in_progress" | "completed" | "incomplete" | "failed";
  completedAt?: number;
  output: Json[];
  usage?: Json;
  error?: { code: string; message: string };
  incompleteReason?: string;
}

const or = <T>(v: unknown, fallback: T): unknown => (v === undefined || v === null ? fallback : v);

export function responseObject(request: Json, s: ResponseState): Json {
  const reasoning = isObject(request.reasoning) ? request.reasoning : {};
  const text = isObject(request.text) ? request.text : {};
  return {
    id: s.id,
    object: "response",
    created_at: s.createdAt,
    status: s.status,
    background: false,
    completed_at: s.completedAt ?? null,
    error: s.error ?? null,
    frequency_penalty: or(request.frequency_penalty, 0),
    incomplete_details: s.incompleteReason ? { reason: s.incompleteReason } : null,
    instructions: or(request.instructions, null),
    max_output_tokens: or(request.max_output_tokens, null),
    max_tool_calls: or(request.max_tool_calls, null),
    model: request.model,
    moderation: null,
    output: s.output,
    parallel_tool_calls: or(request.parallel_tool_calls, true),
    presence_penalty: or(request.presence_penalty, 0),
    previous_response_id: or(request.previous_response_id, null),
    prompt_cache_key: or(request.prompt_cache_key, null),
    prompt_cache_retention: or(request.prompt_cache_retention, null),
    reasoning: { effort: or(reasoning.effort, null), summary: or(reasoning.summary, null) },
    safety_identifier: or(request.safety_identifier, null),
    service_tier: "default",
    store: or(request.store, true),
    temperature: or(request.temperature, 1),
    text: { format: or(text.format, { type: "text" }), verbosity: or(text.verbosity, "medium") },
    tool_choice: or(request.tool_choice, "auto"),
    tools: echoTools(request.tools),
    top_logprobs: or(request.top_logprobs, 0),
    top_p: or(request.top_p, 1),
    truncation: or(request.truncation, "disabled"),
    usage: s.usage ?? null,
    user: or(request.user, null),
    metadata: or(request.metadata, {}),
  };
}

function echoTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObject).map((t) =>
    t.type === "function"
      ? { type: "function", description: or(t.description, null), name: t.name, parameters: or(t.parameters, null), strict: or(t.strict, null) }
      : t,
  );
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export function messageItem(id: string, status: ItemStatus, content: Json[]): Json {
  return { id, type: "message", status, content, role: "assistant" };
}

export function textPart(text: string, logprobs: Json[] = []): Json {
  return { type: "output_text", annotations: [], logprobs, text };
}

export function refusalPart(refusal: string): Json {
  return { type: "refusal", refusal };
}

/** `encrypted`: a thinking block's signature or redacted data, as the item's `encrypted_content` (protocol/anthropic/thinking.ts); absent otherwise. */
export function reasoningItem(id: string, text: string | undefined, encrypted?: string): Json {
  const item: Json = { id, type: "reasoning", summary: [], content: text === undefined ? [] : [reasoningPart(text)] };
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}

export function reasoningPart(text: string): Json {
  return { type: "reasoning_text", text };
}

export function functionCallItem(id: string, status: ItemStatus, callId: string, name: string, args: string): Json {
  return { id, type: "function_call", status, arguments: args, call_id: callId, name };
}
