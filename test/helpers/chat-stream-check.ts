/**
 * Chat Completions stream grammar: a strict validator for the streams gambi produces, a lenient
 * mode for what real providers send, and an assembler that reduces a stream to its result.
 *
 * Strict (our output must look exactly like OpenAI's chat stream, fixtures/chat/openai-*.sse):
 * - no `event:` lines; every data is JSON except a final `[DONE]`;
 * - every chunk has the same non-empty `id`, `object: "chat.completion.chunk"`, `created`, `model`;
 * - a choice chunk has exactly one choice `{index: 0, delta, finish_reason, logprobs: null}`,
 *   no usage (`usage` absent or null); the first one's delta has `role: "assistant"`, later ones none;
 * - tool calls: the first delta for an `index` carries `id`, `type: "function"`, `function.name`
 *   (new indexes count up from 0); later deltas for it carry only `index` + `function.arguments`;
 * - `finish_reason` set exactly once, on the last choice chunk, whose delta is empty;
 * - then at most one usage chunk (`choices: []` + `usage`), then `[DONE]`, last;
 * - or: a single error chunk `{"error":{message,type,code,param}}` ends the stream (no [DONE]).
 *
 * Lenient (the recordings in test/fixtures/chat): identity fields are compared only when
 * non-empty (Azure's first chunk has `id:""`, `created:0`; TGI sends `id:""` and
 * `object:"text_completion"` throughout) and `created` is not compared (llama.cpp stamps each
 * chunk with the current second); role may repeat (Ollama, TGI, OpenRouter) or be
 * missing; finish_reason may repeat (OpenRouter) and take any value (`eos`, `eos_token`);
 * usage may ride on any chunk (Hyperbolic, Groq, DeepSeek); continuation tool-call deltas may
 * repeat `id:""`/the same id, `type` and the same name (Alibaba, OpenRouter); `[DONE]` may be
 * missing (TGI) or follow an error (OpenRouter); the error may be a named `event: error` (Groq).
 * Grammar that breaks meaning is still an error in lenient mode: unparsable JSON, a tool-call
 * delta without `index`, a continuation that changes a call's id or name, events after `[DONE]`.
 */
import type { SseEvent } from "../../src/protocol/sse/decode.ts";

type Json = Record<string, any>;

export interface ChatCheckOptions {
  /** Accept real-world provider quirks (see above). Default false: our own output. */
  lenient?: boolean;
  /** Strict only: true = a usage chunk must be present, false = must be absent, undefined = either. */
  usage?: boolean;
}

export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatUsage {
  input: number;
  output: number;
  total: number;
  cached?: number;
  reasoningTokens?: number;
}

export interface ChatStreamError {
  message: string;
  type?: string;
  code?: string | number | null;
}

export interface AssembledChat {
  text: string;
  reasoning: string;
  refusal: string;
  toolCalls: ChatToolCall[];
  usage: ChatUsage | null;
  finishReason: string | null;
  error?: ChatStreamError;
}

const FINISH_REASONS = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseChunk(ev: SseEvent, i: number): Json {
  let v: unknown;
  try {
    v = JSON.parse(ev.data);
  } catch {
    throw new Error(`chat stream event #${i}: data is not JSON: ${ev.data.slice(0, 200)}`);
  }
  if (!isObject(v)) throw new Error(`chat stream event #${i}: data is not a JSON object: ${ev.data.slice(0, 200)}`);
  return v;
}

/** Throws a message naming the event index and the rule it breaks; returns nothing on success. */
export function checkChatStream(events: SseEvent[], opts: ChatCheckOptions = {}): void {
  const lenient = opts.lenient === true;
  const fail = (i: number, why: string): never => {
    const data = events[i]?.data ?? "";
    throw new Error(`chat stream event #${i}: ${why}${data ? ` — data: ${data.slice(0, 300)}` : ""}`);
  };
  if (events.length === 0) throw new Error("chat stream: no events at all");

  const identity: { id?: string; object?: string; created?: number; model?: string } = {};
  let choiceChunks = 0;
  let finishAt = -1;
  let usageChunks = 0;
  let done = false;
  let ended = false; // [DONE] or error seen
  const calls = new Map<number, { id: string; name: string }>();

  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (done) fail(i, "event after [DONE]");
    if (ended && !lenient) fail(i, "event after the error chunk");
    if (ev.event !== undefined && !lenient) fail(i, `strict chat streams carry no 'event:' field (got '${ev.event}')`);
    if (ev.data === "[DONE]") {
      if (!lenient && !ended && finishAt === -1) fail(i, "[DONE] before any finish_reason");
      if (!lenient && opts.usage === true && usageChunks === 0) fail(i, "[DONE] without the usage chunk (include_usage was requested)");
      done = true;
      continue;
    }
    const chunk = parseChunk(ev, i);

    if (ev.event === "error" || chunk.error !== undefined) {
      const err = chunk.error;
      if (!isObject(err) || typeof err.message !== "string") fail(i, "an error chunk needs error.message (a string)");
      if (!lenient) {
        const keys = Object.keys(chunk);
        if (keys.length !== 1) fail(i, `a strict error chunk holds only 'error' (has ${keys.join(", ")})`);
        for (const k of ["type", "code", "param"]) if (!(k in err)) fail(i, `error chunk lacks error.${k}`);
        if (typeof err.type !== "string") fail(i, "error.type must be a string");
      }
      ended = true;
      continue;
    }

    // Identity: the same id/object/created/model on every chunk.
    const same = (key: "id" | "object" | "created" | "model", v: unknown, ok: boolean) => {
      if (!ok) {
        if (!lenient) fail(i, `'${key}' missing or of the wrong type`);
        return;
      }
      const empty = v === "" || v === 0;
      if (lenient && (empty || key === "created")) return;
      if (!lenient && empty) fail(i, `'${key}' is empty`);
      if (identity[key] === undefined) (identity as Json)[key] = v;
      else if (identity[key] !== v) fail(i, `'${key}' changed from ${JSON.stringify(identity[key])} to ${JSON.stringify(v)}`);
    };
    same("id", chunk.id, typeof chunk.id === "string");
    same("created", chunk.created, typeof chunk.created === "number");
    same("model", chunk.model, typeof chunk.model === "string");
    if (!lenient) {
      if (chunk.object !== "chat.completion.chunk") fail(i, `object must be 'chat.completion.chunk' (got ${JSON.stringify(chunk.object)})`);
    } else if (chunk.object !== undefined && typeof chunk.object !== "string") fail(i, "object must be a string");

    if (!Array.isArray(chunk.choices)) fail(i, "'choices' must be an array");
    const choices = chunk.choices as unknown[];
    const hasUsage = isObject(chunk.usage);
    if (chunk.usage !== undefined && chunk.usage !== null && !hasUsage) fail(i, "'usage' must be an object or null");

    if (choices.length === 0) {
      if (hasUsage) {
        usageChunks++;
        if (!lenient) {
          if (usageChunks > 1) fail(i, "a second usage chunk");
          if (finishAt === -1) fail(i, "usage chunk before the finish_reason chunk");
          if (opts.usage === false) fail(i, "usage chunk although include_usage was not requested");
          checkUsage(chunk.usage, (why) => fail(i, why));
        }
      } else if (!lenient) {
        fail(i, "a chunk with empty choices must carry usage");
      }
      continue;
    }

    if (!lenient) {
      if (hasUsage) fail(i, "usage on a choice chunk (it belongs in its own chunk with choices: [])");
      if (choices.length !== 1) fail(i, `exactly one choice expected (got ${choices.length})`);
      if (finishAt !== -1) fail(i, "a choice chunk after the finish_reason chunk");
      if (usageChunks > 0) fail(i, "a choice chunk after the usage chunk");
    }
    for (const c of choices) {
      if (!isObject(c)) fail(i, "a choice must be an object");
      const choice = c as Json;
      if (typeof choice.index !== "number") fail(i, "choice.index missing");
      if (!lenient) {
        if (choice.index !== 0) fail(i, `choice.index must be 0 (got ${choice.index})`);
        if (!("finish_reason" in choice)) fail(i, "choice.finish_reason missing (must be null or a reason)");
        if (choice.logprobs !== null) fail(i, "choice.logprobs must be null");
      }
      if (choice.index !== 0) continue; // n>1 streams: only choice 0 is checked further
      if (!isObject(choice.delta)) fail(i, "choice.delta must be an object");
      const delta = choice.delta as Json;
      const first = choiceChunks === 0;
      choiceChunks++;
      if (delta.role !== undefined && delta.role !== null && delta.role !== "assistant") fail(i, `delta.role must be 'assistant' (got ${JSON.stringify(delta.role)})`);
      if (!lenient) {
        if (first && delta.role !== "assistant") fail(i, "the first delta must carry role: 'assistant'");
        if (!first && "role" in delta) fail(i, "role repeated after the first delta");
      }
      for (const k of ["content", "refusal", "reasoning_content"]) {
        if (delta[k] !== undefined && delta[k] !== null && typeof delta[k] !== "string") fail(i, `delta.${k} must be a string or null`);
      }
      if (delta.tool_calls !== undefined && delta.tool_calls !== null) {
        if (!Array.isArray(delta.tool_calls)) fail(i, "delta.tool_calls must be an array");
        for (const tc of delta.tool_calls as unknown[]) checkToolDelta(tc, calls, lenient, (why) => fail(i, why));
      }
      const fr = choice.finish_reason;
      if (fr !== null && fr !== undefined) {
        if (typeof fr !== "string") fail(i, "finish_reason must be a string or null");
        if (!lenient) {
          if (finishAt !== -1) fail(i, "finish_reason set a second time");
          if (!FINISH_REASONS.has(fr)) fail(i, `finish_reason '${fr}' is not one of ${[...FINISH_REASONS].join(", ")}`);
          if (Object.keys(delta).length !== 0) fail(i, "the finish_reason chunk must have an empty delta");
        }
        finishAt = i;
      }
    }
  }
  if (lenient) return;
  const last = events.length - 1;
  if (!done && !ended) fail(last, "the stream ends without [DONE] or an error chunk");
  if (!ended && choiceChunks === 0) fail(last, "no choice chunk at all");
  if (!ended && finishAt === -1) fail(last, "no finish_reason");
}

function checkUsage(u: Json, fail: (why: string) => never): void {
  for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"]) {
    if (typeof u[k] !== "number") fail(`usage.${k} must be a number`);
  }
}

function checkToolDelta(tc: unknown, calls: Map<number, { id: string; name: string }>, lenient: boolean, fail: (why: string) => never): void {
  if (!isObject(tc)) return fail("a tool_calls entry must be an object");
  if (typeof tc.index !== "number") fail("tool call delta without a numeric index");
  const fn = tc.function;
  if (fn !== undefined && !isObject(fn)) fail("tool_calls[].function must be an object");
  if (fn?.arguments !== undefined && typeof fn.arguments !== "string") fail("function.arguments must be a string");
  const known = calls.get(tc.index);
  if (!known) {
    if (typeof tc.id !== "string" || tc.id === "") fail(`the first delta of tool call ${tc.index} needs an id`);
    if (tc.type !== "function") fail(`the first delta of tool call ${tc.index} needs type: 'function'`);
    if (typeof fn?.name !== "string" || fn.name === "") fail(`the first delta of tool call ${tc.index} needs function.name`);
    if (!lenient && tc.index !== calls.size) fail(`tool call index ${tc.index} skips ahead (expected ${calls.size})`);
    calls.set(tc.index, { id: tc.id, name: fn!.name });
    return;
  }
  if (!lenient) {
    const extra = Object.keys(tc).filter((k) => k !== "index" && k !== "function");
    if (extra.length > 0) fail(`continuation delta of tool call ${tc.index} repeats ${extra.join(", ")}`);
    if (fn && Object.keys(fn).some((k) => k !== "arguments")) fail(`continuation delta of tool call ${tc.index} may only carry function.arguments`);
    return;
  }
  if (typeof tc.id === "string" && tc.id !== "" && tc.id !== known.id) fail(`tool call ${tc.index} changed id from ${known.id} to ${tc.id}`);
  if (typeof fn?.name === "string" && fn.name !== "" && fn.name !== known.name) fail(`tool call ${tc.index} changed name from ${known.name} to ${fn.name}`);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function readUsage(u: unknown): ChatUsage | null {
  if (!isObject(u)) return null;
  const input = num(u.prompt_tokens);
  const output = num(u.completion_tokens);
  if (input === undefined && output === undefined) return null;
  const out: ChatUsage = { input: input ?? 0, output: output ?? 0, total: num(u.total_tokens) ?? (input ?? 0) + (output ?? 0) };
  // DeepSeek reports prompt_cache_hit_tokens (and, lately, prompt_tokens_details too).
  const cached = num(u.prompt_tokens_details?.cached_tokens) ?? num(u.prompt_cache_hit_tokens);
  if (cached !== undefined) out.cached = cached;
  const reasoning = num(u.completion_tokens_details?.reasoning_tokens);
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  return out;
}

function readError(e: unknown, fallback: string): ChatStreamError {
  if (isObject(e) && typeof e.message === "string") {
    const out: ChatStreamError = { message: e.message };
    if (typeof e.type === "string") out.type = e.type;
    if (e.code !== undefined) out.code = e.code as string | number | null;
    return out;
  }
  return { message: typeof e === "string" ? e : fallback };
}

/** The reasoning text of one delta: one field only (OpenRouter sends `reasoning` and `reasoning_details` with the same text). */
function deltaReasoning(d: Json): string {
  if (typeof d.reasoning_content === "string") return d.reasoning_content;
  if (typeof d.reasoning === "string") return d.reasoning;
  if (Array.isArray(d.reasoning_details)) {
    return d.reasoning_details.map((r: unknown) => (isObject(r) && typeof r.text === "string" ? r.text : "")).join("");
  }
  return "";
}

/** Reduces a chat stream (ours or a provider's) to its result. Does not validate: run checkChatStream first. */
export function assembleChat(events: SseEvent[]): AssembledChat {
  const out: AssembledChat = { text: "", reasoning: "", refusal: "", toolCalls: [], usage: null, finishReason: null };
  const byIndex = new Map<number, ChatToolCall>();
  for (const ev of events) {
    if (ev.data === "[DONE]") continue;
    let chunk: unknown;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      continue;
    }
    if (!isObject(chunk)) continue;
    if (ev.event === "error" || chunk.error !== undefined) {
      out.error ??= readError(chunk.error ?? chunk, "error event");
    }
    const usage = readUsage(chunk.usage) ?? readUsage(chunk.x_groq?.usage);
    if (usage) out.usage = usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((c: unknown) => isObject(c) && (c.index ?? 0) === 0) as Json | undefined;
    if (!choice) continue;
    const d = isObject(choice.delta) ? choice.delta : {};
    if (typeof d.content === "string") out.text += d.content;
    if (typeof d.refusal === "string") out.refusal += d.refusal;
    out.reasoning += deltaReasoning(d);
    if (Array.isArray(d.tool_calls)) {
      for (const tc of d.tool_calls) {
        if (!isObject(tc)) continue;
        const index = typeof tc.index === "number" ? tc.index : byIndex.size;
        let call = byIndex.get(index);
        if (!call) {
          call = { id: "", name: "", arguments: "" };
          byIndex.set(index, call);
        }
        // Alibaba repeats `id: ""` on continuations: an empty id never overwrites the real one.
        if (typeof tc.id === "string" && tc.id !== "") call.id = tc.id;
        if (typeof tc.function?.name === "string" && tc.function.name !== "" && call.name === "") call.name = tc.function.name;
        if (typeof tc.function?.arguments === "string") call.arguments += tc.function.arguments;
      }
    }
    if (typeof choice.finish_reason === "string" && choice.finish_reason !== "") out.finishReason = choice.finish_reason;
  }
  out.toolCalls = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  return out;
}
