/**
 * Responses stream events → `chat.completion.chunk`s, as OpenAI's chat endpoint streams them
 * (fixtures/chat/openai-*.sse). Dispatch is on the data's `type` (OpenRouter sends no `event:`
 * lines, fixtures/responses/openrouter-reasoning-text.sse); an upstream `[DONE]` is swallowed.
 *
 * Every chunk: one `id` (`chatcmpl-…`), `object`, `created` (the response's `created_at`),
 * `model` (the response's), `choices: [{index: 0, delta, logprobs: null, finish_reason}]`,
 * plus `usage: null` when `stream_options.include_usage` (as OpenAI does). Emitted:
 * - a first chunk `delta: {role: "assistant", content: ""}` (on `response.created`, or before
 *   the first delta when a provider skips it);
 * - `response.output_text.delta` → `delta.content`; `response.refusal.delta` → `delta.refusal`;
 * - `response.reasoning_text.delta` and `response.reasoning_summary_text.delta` →
 *   `delta.reasoning_content`, with a blank line between two reasoning parts (summary parts,
 *   reasoning items), as mapResponse joins them;
 * - a `function_call` item's `output_item.added` → `{index, id: call_id, type: "function",
 *   function: {name, arguments: ""}}` (index counts function calls from 0), then each
 *   `function_call_arguments.delta` → `{index, function: {arguments}}`;
 * - catch-up: a `.done` event, `content_part.done` or `output_item.done` whose full text or
 *   arguments extend what the deltas carried emits the rest (LM Studio sends the arguments only
 *   in `function_call_arguments.done`, fixtures/responses/lmstudio-reasoning-function-call.sse);
 *   an item the terminal response lists but no event announced is emitted whole;
 * - `response.completed` / `response.incomplete` → an empty-delta chunk with `finish_reason`
 *   (finish-reason.ts), then a `choices: []` chunk with `usage` when include_usage was asked
 *   and the upstream reported usage, then `[DONE]`.
 * Errors: an `error` event or `response.failed` → one chunk `{"error": {message, type, code,
 * param: null}}` and nothing after it (no `[DONE]`), the shape the hub uses for a chat stream
 * that breaks (proxy/failures.ts `streamErrorEvent`); `fail()` (the connection dropped) → the same;
 * `end()` before a terminal event → the same with code `upstream_truncated`: a cut stream
 * must not look like a complete answer.
 * Ignored: events for other item types and non-text details (annotations, logprobs,
 * `response.queued`/`in_progress`, keep-alives); data that is not JSON.
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { upstreamFailure, type UpstreamFailure } from "./errors.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatUsageFromResponses } from "./usage.ts";

type TextKind = "content" | "refusal" | "reasoning";

interface Call {
  index?: number;
  callId: string;
  name: string;
  args: string; // arguments emitted so far (or held back until the call is announced)
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function createStreamMapper(request: Json, ctx: AdapterContext): StreamMapper {
  const id = `chatcmpl-${ctx.newId()}`;
  const includeUsage = isObject(request.stream_options) && request.stream_options.include_usage === true;
  let created = 0;
  let model = "";
  let started = false;
  let ended = false;
  let lastReasoningKey: string | undefined;
  const emitted = new Map<string, string>(); // text part key → text emitted so far
  const calls = new Map<string, Call>(); // item key → function call
  const seen = new Set<string>(); // item keys any event named
  let toolCount = 0;

  const itemKey = (d: Json): string =>
    typeof d.output_index === "number" ? `o${d.output_index}` : `i${str(d.item_id) || str(isObject(d.item) ? d.item.id : "")}`;

  function chunk(delta: Json, finishReason: string | null = null): SseEvent {
    const c: Json = { id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
    if (includeUsage) c.usage = null;
    return { data: JSON.stringify(c) };
  }

  function start(out: SseEvent[], resp?: unknown): void {
    if (started) return;
    started = true;
    const r = isObject(resp) ? resp : {};
    created = typeof r.created_at === "number" ? Math.floor(r.created_at) : Math.floor(ctx.now() / 1000);
    model = typeof r.model === "string" && r.model !== "" ? r.model : str(request.model);
    out.push(chunk({ role: "assistant", content: "" }));
  }

  function emitText(out: SseEvent[], kind: TextKind, key: string, text: string): void {
    if (text === "") return;
    start(out);
    emitted.set(key, (emitted.get(key) ?? "") + text);
    if (kind === "reasoning") {
      const sep = lastReasoningKey !== undefined && lastReasoningKey !== key ? "\n\n" : "";
      lastReasoningKey = key;
      out.push(chunk({ reasoning_content: sep + text }));
    } else {
      out.push(chunk({ [kind]: text }));
    }
  }

  /** A full text that extends what the deltas carried: emit the rest (deltas stay the truth otherwise). */
  function catchUp(out: SseEvent[], kind: TextKind, key: string, full: unknown): void {
    if (typeof full !== "string") return;
    const have = emitted.get(key) ?? "";
    if (full.length > have.length && full.startsWith(have)) emitText(out, kind, key, full.slice(have.length));
  }

  function announce(out: SseEvent[], call: Call): void {
    start(out);
    call.index = toolCount++;
    out.push(chunk({ tool_calls: [{ index: call.index, id: call.callId, type: "function", function: { name: call.name, arguments: "" } }] }));
    const held = call.args;
    call.args = "";
    emitArgs(out, call, held);
  }

  function emitArgs(out: SseEvent[], call: Call, fragment: string): void {
    if (fragment === "") return;
    call.args += fragment;
    if (call.index !== undefined) out.push(chunk({ tool_calls: [{ index: call.index, function: { arguments: fragment } }] }));
  }

  function callOf(key: string, item?: Json): Call {
    let call = calls.get(key);
    if (!call) {
      call = { callId: "", name: "", args: "" };
      calls.set(key, call);
    }
    if (item) {
      if (call.callId === "") call.callId = str(item.call_id) || str(item.id);
      if (call.name === "") call.name = str(item.name);
    }
    return call;
  }

  function argsCatchUp(out: SseEvent[], call: Call, full: unknown): void {
    if (typeof full !== "string") return;
    if (call.index === undefined) {
      if (full.length > call.args.length) call.args = full;
    } else if (full.length > call.args.length && full.startsWith(call.args)) {
      emitArgs(out, call, full.slice(call.args.length));
    }
  }

  /** An item in its final form (output_item.done, or listed by the terminal response). */
  function settleItem(out: SseEvent[], key: string, item: Json): void {
    if (item.type === "message") {
      list(item.content).forEach((p, j) => {
        if (p.type === "output_text") catchUp(out, "content", `${key}:t${j}`, p.text);
        else if (p.type === "refusal") catchUp(out, "refusal", `${key}:r${j}`, p.refusal);
      });
    } else if (item.type === "reasoning") {
      list(item.content).forEach((p, j) => p.type === "reasoning_text" && catchUp(out, "reasoning", `${key}:c${j}`, p.text));
      list(item.summary).forEach((p, j) => catchUp(out, "reasoning", `${key}:s${j}`, p.text));
    } else if (item.type === "function_call") {
      const call = callOf(key, item);
      argsCatchUp(out, call, item.arguments);
      if (call.index === undefined) announce(out, call);
    }
  }

  function errorChunk(f: UpstreamFailure): SseEvent[] {
    ended = true;
    return [{ data: JSON.stringify({ error: { message: f.message, type: f.type, code: f.code, param: null } }) }];
  }

  function finish(out: SseEvent[], resp: Json, status: string): SseEvent[] {
    start(out, resp);
    list(resp.output).forEach((item, i) => {
      const key = `o${i}`;
      if (!seen.has(key) && !(typeof item.id === "string" && seen.has(`i${item.id}`))) settleItem(out, key, item);
    });
    const reason = isObject(resp.incomplete_details) ? resp.incomplete_details.reason : undefined;
    out.push(chunk({}, chatFinishReason(status, reason, toolCount > 0)));
    const usage = chatUsageFromResponses(resp.usage);
    if (includeUsage && usage) out.push({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage }) });
    out.push({ data: "[DONE]" });
    ended = true;
    return out;
  }

  function handle(d: Json, type: string): SseEvent[] {
    const out: SseEvent[] = [];
    const key = itemKey(d);
    if (type.startsWith("response.output_") || type.startsWith("response.content_part") || type.startsWith("response.function_call") || type.startsWith("response.re")) {
      seen.add(key);
    }
    switch (type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        start(out, d.response);
        return out;
      case "response.output_text.delta":
        emitText(out, "content", `${key}:t${d.content_index ?? 0}`, str(d.delta));
        return out;
      case "response.output_text.done":
        catchUp(out, "content", `${key}:t${d.content_index ?? 0}`, d.text);
        return out;
      case "response.refusal.delta":
        emitText(out, "refusal", `${key}:r${d.content_index ?? 0}`, str(d.delta));
        return out;
      case "response.refusal.done":
        catchUp(out, "refusal", `${key}:r${d.content_index ?? 0}`, d.refusal);
        return out;
      case "response.reasoning_text.delta":
        emitText(out, "reasoning", `${key}:c${d.content_index ?? 0}`, str(d.delta));
        return out;
      case "response.reasoning_text.done":
        catchUp(out, "reasoning", `${key}:c${d.content_index ?? 0}`, d.text);
        return out;
      case "response.reasoning_summary_text.delta":
        emitText(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, str(d.delta));
        return out;
      case "response.reasoning_summary_text.done":
        catchUp(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, d.text);
        return out;
      case "response.reasoning_summary_part.done":
        if (isObject(d.part)) catchUp(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, d.part.text);
        return out;
      case "response.content_part.done": {
        const p = isObject(d.part) ? d.part : {};
        const j = d.content_index ?? 0;
        if (p.type === "output_text") catchUp(out, "content", `${key}:t${j}`, p.text);
        else if (p.type === "refusal") catchUp(out, "refusal", `${key}:r${j}`, p.refusal);
        else if (p.type === "reasoning_text") catchUp(out, "reasoning", `${key}:c${j}`, p.text);
        return out;
      }
      case "response.output_item.added":
        if (isObject(d.item) && d.item.type === "function_call") {
          const call = callOf(key, d.item);
          call.args = str(d.item.arguments) || call.args;
          if (call.index === undefined) announce(out, call);
        } else {
          start(out);
        }
        return out;
      case "response.function_call_arguments.delta":
        emitArgs(out, callOf(key), str(d.delta));
        return out;
      case "response.function_call_arguments.done":
        argsCatchUp(out, callOf(key), d.arguments);
        return out;
      case "response.output_item.done":
        if (isObject(d.item)) settleItem(out, key, d.item);
        return out;
      case "response.completed":
        return finish(out, isObject(d.response) ? d.response : {}, "completed");
      case "response.incomplete":
        return finish(out, isObject(d.response) ? d.response : {}, "incomplete");
      case "response.failed":
        return errorChunk(upstreamFailure(isObject(d.response) ? d.response.error : undefined, "the participant's response failed"));
      case "error":
        return errorChunk(upstreamFailure(d, "the participant reported an error"));
      default:
        return out;
    }
  }

  return {
    push(ev: SseEvent): SseEvent[] {
      if (ended || ev.data === "[DONE]") return [];
      let d: unknown;
      try {
        d = JSON.parse(ev.data);
      } catch {
        return []; // not an event we can read (a keep-alive, a stray line): nothing to translate
      }
      if (!isObject(d)) return [];
      const type = typeof d.type === "string" ? d.type : str(ev.event);
      return handle(d, type);
    },
    end(): SseEvent[] {
      if (ended) return [];
      return errorChunk({ message: "the participant's stream ended before the response was complete", type: "upstream_error", code: "upstream_truncated" });
    },
    fail(error: StreamFailure): SseEvent[] {
      if (ended) return [];
      return errorChunk({ message: error.message, type: error.type ?? "upstream_error", code: error.code ?? null });
    },
  };
}
