/**
 * Reads what the hub reports about a response (time to first content, token usage, the
 * Responses `id` for lifecycle routing, an in-band error) *beside* the byte stream, never in
 * it: the client gets the upstream's bytes untouched. JSON is parsed only for the few events
 * that can carry those facts, so long streams cost a substring test per event.
 */
import { SseDecoder, type SseEvent } from "./sse/decode.ts";
import type { Protocol } from "./protocols.ts";
import { isObject, type Json } from "./json.ts";

/** Token counts as the hub reports them (event metrics, the chat client's stats), whichever protocol they came in. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

export interface Observation {
  firstEventAt?: number;
  firstContentAt?: number;
  usage?: Usage;
  responseId?: string;
  error?: string;
  /**
   * The final Response object of a Responses answer: the JSON body, or the `response` of the
   * terminal event (`response.completed`, `.incomplete`, `.failed`). Both are parsed anyway (for
   * the id and usage); the hub keeps it for a participant that keeps nothing (hub/responses/).
   */
  response?: Json;
  /**
   * For the hub's token estimate when an answer reports no usage (hub/ledger/estimate.ts):
   * the bytes of the answer the relay read (a stream's counted per read, never per event; a
   * body's whole), and for a stream, where its first content event began in them and how long
   * that event was. Set by the relays; nothing else reads them.
   */
  bytes?: number;
  contentStartBytes?: number;
  contentEventBytes?: number;
}

/**
 * Whether `"usage": {` is in the text (JSON whitespace around the colon): a byte search and a
 * few characters after each hit, a fifth of the time of the regex it replaced on every chunk.
 */
function mayHaveUsage(data: string): boolean {
  for (let at = data.indexOf('"usage"'); at !== -1; at = data.indexOf('"usage"', at + 7)) {
    let i = at + 7;
    while (isJsonSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) !== 58 /* : */) continue;
    i++;
    while (isJsonSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) === 123 /* { */) return true;
  }
  return false;
}

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

function parse(data: string): Json | undefined {
  try {
    const v = JSON.parse(data);
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Zero is a real count (Ollama reports prompt_tokens: 0 for a cached prompt). */
function usageIfAny(usage: Usage): Usage | undefined {
  return usage.inputTokens !== undefined || usage.outputTokens !== undefined || usage.totalTokens !== undefined ? usage : undefined;
}

/** A Chat Completions `usage` object → Usage (the adapters convert between the two protocols' own shapes). */
export function usageFromChat(usage: unknown): Usage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const u = usage as Json;
  return usageIfAny({ inputTokens: num(u.prompt_tokens), outputTokens: num(u.completion_tokens), totalTokens: num(u.total_tokens) });
}

/**
 * A Messages `usage` object → Usage. Anthropic counts the prompt in three parts that add up
 * (`input_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`); the hub reports
 * the whole prompt, as chat's `prompt_tokens` counts it, so the ledger means the same whatever
 * protocol answered. A `message_delta`'s usage (only `output_tokens` on some hosts) is laid over
 * `message_start`'s by the caller.
 */
export function usageFromMessages(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const input = num(usage.input_tokens);
  const created = num(usage.cache_creation_input_tokens);
  const read = num(usage.cache_read_input_tokens);
  const prompt = input === undefined && created === undefined && read === undefined ? undefined : (input ?? 0) + (created ?? 0) + (read ?? 0);
  const output = num(usage.output_tokens);
  return usageIfAny({ inputTokens: prompt, outputTokens: output, totalTokens: prompt !== undefined && output !== undefined ? prompt + output : undefined });
}

/** A Responses `usage` object → Usage. */
export function usageFromResponses(usage: unknown): Usage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const u = usage as Json;
  return usageIfAny({ inputTokens: num(u.input_tokens), outputTokens: num(u.output_tokens), totalTokens: num(u.total_tokens) });
}

function errorMessage(e: unknown): string {
  if (typeof e === "string") return e;
  const message = e && typeof e === "object" ? (e as Json).message : undefined;
  if (typeof message === "string") return message;
  return "upstream reported an error";
}

function nonEmpty(v: unknown): boolean {
  return (typeof v === "string" && v.length > 0) || (Array.isArray(v) && v.length > 0);
}

function chatHasContent(chunk: Json): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices) {
    const d = c?.delta;
    if (d && (nonEmpty(d.content) || nonEmpty(d.reasoning_content) || nonEmpty(d.reasoning) || nonEmpty(d.refusal) || nonEmpty(d.tool_calls))) {
      return true;
    }
  }
  return false;
}

export function observeChatEvent(obs: Observation, ev: SseEvent, at: number): void {
  obs.firstEventAt ??= at;
  const data = ev.data;
  if (data === "[DONE]") return;
  if (ev.event === "error") {
    obs.error = errorMessage(parse(data)?.error ?? data);
    return;
  }
  const needContent = obs.firstContentAt === undefined;
  const maybeUsage = mayHaveUsage(data);
  const maybeError = data.includes('"error"');
  if (!needContent && !maybeUsage && !maybeError) return;
  const chunk = parse(data);
  if (!chunk) return;
  if (needContent && chatHasContent(chunk)) obs.firstContentAt = at;
  const usage = usageFromChat(chunk.usage);
  if (usage) obs.usage = usage;
  if (chunk.error) obs.error = errorMessage(chunk.error);
}

const TYPE_FIELD = /"type"\s*:\s*"([^"]+)"/;
const RESPONSE_EVENTS_TO_READ = new Set(["response.created", "response.completed", "response.incomplete", "response.failed", "error"]);

export function observeResponsesEvent(obs: Observation, ev: SseEvent, at: number): void {
  obs.firstEventAt ??= at;
  if (ev.data === "[DONE]") return;
  // OpenRouter sends data-only events; the event's own `type` is its first field.
  const type = ev.event ?? TYPE_FIELD.exec(ev.data)?.[1];
  if (!type) return;
  if (obs.firstContentAt === undefined && (type.endsWith(".delta") || type === "response.function_call_arguments.done")) {
    obs.firstContentAt = at;
  }
  // Most events are deltas: told apart before the set (a decoded name is a fresh string to hash).
  if (type.endsWith(".delta") || !RESPONSE_EVENTS_TO_READ.has(type)) return;
  const payload = parse(ev.data);
  if (payload) observeResponsesPayload(obs, type, payload);
}

/** What a Responses event the hub reads says, once its JSON is parsed (by observeResponsesEvent, or by whoever parsed it already). */
export function observeResponsesPayload(obs: Observation, type: string, payload: Json): void {
  if (type === "error") {
    obs.error = errorMessage(payload.error ?? payload);
    return;
  }
  const response = payload.response as Json | undefined;
  if (response && typeof response.id === "string") obs.responseId ??= response.id;
  if (isObject(response) && type !== "response.created") obs.response = response;
  const usage = usageFromResponses(response?.usage);
  if (usage) obs.usage = usage;
  if (type === "response.failed") obs.error ??= errorMessage(response?.error);
}

/**
 * A Messages stream (https://docs.anthropic.com/en/docs/build-with-claude/streaming): content
 * starts with the first `content_block_delta` (text, thinking or a tool's input); usage is
 * `message_start`'s, with `message_delta`'s laid over it (its `output_tokens` is the answer's
 * total; Anthropic repeats the input counts there, other hosts do not); an `error` event is the
 * stream's error. Only those three events are parsed; a `content_block_delta` is told by its
 * `event:` line (or its data's first field) alone.
 */
export function observeMessagesEvent(obs: Observation, ev: SseEvent, at: number): void {
  obs.firstEventAt ??= at;
  const type = ev.event ?? TYPE_FIELD.exec(ev.data)?.[1];
  if (!type) return;
  if (obs.firstContentAt === undefined && type === "content_block_delta") obs.firstContentAt = at;
  // Compared, not looked up: a decoded name is a fresh string, which a Set would hash each event.
  if (type !== "message_start" && type !== "message_delta" && type !== "error") return;
  const payload = parse(ev.data);
  if (!payload) return;
  if (type === "error") {
    obs.error = errorMessage(payload.error ?? payload);
    return;
  }
  const usage = usageFromMessages(type === "message_start" ? (payload.message as Json | undefined)?.usage : payload.usage);
  if (!usage) return;
  if (type === "message_start" || !obs.usage) obs.usage = usage;
  else {
    const inputTokens = usage.inputTokens ?? obs.usage.inputTokens;
    const outputTokens = usage.outputTokens ?? obs.usage.outputTokens;
    obs.usage = { inputTokens, outputTokens, totalTokens: inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined };
  }
}

export function observeEvent(protocol: Protocol, obs: Observation, ev: SseEvent, at: number): void {
  if (protocol === "chat") observeChatEvent(obs, ev, at);
  else if (protocol === "messages") observeMessagesEvent(obs, ev, at);
  else observeResponsesEvent(obs, ev, at);
}

/** A non-streaming body: usage and (Responses) id. */
export function observeJsonBody(protocol: Protocol, body: Json | undefined): Observation {
  if (!body) return {};
  if (protocol === "chat") return { usage: usageFromChat(body.usage) };
  if (protocol === "messages") return { usage: usageFromMessages(body.usage) };
  if (typeof body.id !== "string") return { usage: usageFromResponses(body.usage), responseId: undefined };
  return { usage: usageFromResponses(body.usage), responseId: body.id, response: body };
}

const ERROR_BYTES = Buffer.from("error");

/**
 * The error a stream opens with: its first event (comments aside) when that is an error —
 * chat: `{"error": …}` or `event: error`; Responses: `error` or `response.failed`; Messages:
 * `error` (its code is the error's type, `overloaded_error`) — with the error's message and code. Undefined when the first event is anything else or is not complete
 * in `bytes` (a stream's first chunk). Costs a byte search when the chunk has no "error" in it.
 */
export function leadingError(protocol: Protocol, bytes: Uint8Array): { message: string; code?: string } | undefined {
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(ERROR_BYTES) === -1) return undefined;
  const first = new SseDecoder().push(bytes)[0];
  if (!first || first.data === "[DONE]") return undefined;
  const payload = parse(first.data);
  let error: unknown;
  if (protocol === "chat") {
    if (first.event === "error") error = payload?.error ?? payload ?? first.data;
    else if (payload?.error !== undefined && payload.error !== null) error = payload.error;
  } else if (protocol === "messages") {
    const type = first.event ?? (typeof payload?.type === "string" ? payload.type : undefined);
    // An error event, or chat's error shape from a server answering /v1/messages with it (llama.cpp's errors are).
    if (type === "error" || (type === undefined && payload?.error !== undefined && payload.error !== null)) error = payload?.error ?? payload ?? first.data;
  } else {
    const type = first.event ?? (typeof payload?.type === "string" ? payload.type : undefined);
    if (type === "error") error = payload?.error ?? payload ?? first.data;
    else if (type === "response.failed") error = (payload?.response as Json | undefined)?.error ?? "the response failed";
    // A server answering /v1/responses with chat's error shape (no event type at all).
    else if (type === undefined && payload?.error !== undefined && payload.error !== null) error = payload.error;
  }
  if (error === undefined) return undefined;
  const e = error && typeof error === "object" ? (error as Json) : undefined;
  const code = e?.code ?? (protocol === "messages" ? e?.type : undefined);
  return { message: errorMessage(error), code: typeof code === "string" || typeof code === "number" ? String(code) : undefined };
}
