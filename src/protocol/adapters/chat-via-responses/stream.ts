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
 *
 * This file reads the events (one handler per event type); chunk-stream.ts holds what was
 * emitted so far and writes the chunks.
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { upstreamFailure } from "./errors.ts";
import { ChunkStream, str } from "./chunk-stream.ts";

export function createStreamMapper(request: Json, ctx: AdapterContext): StreamMapper {
  const chunks = new ChunkStream(request, ctx);
  return {
    push(ev: SseEvent): SseEvent[] {
      if (chunks.ended || ev.data === "[DONE]") return [];
      let d: unknown;
      try {
        d = JSON.parse(ev.data);
      } catch {
        return []; // not an event we can read (a keep-alive, a stray line): nothing to translate
      }
      if (!isObject(d)) return [];
      const type = typeof d.type === "string" ? d.type : str(ev.event);
      return onEvent(chunks, d, type);
    },
    end(): SseEvent[] {
      if (chunks.ended) return [];
      return chunks.error({ message: "the participant's stream ended before the response was complete", type: "upstream_error", code: "upstream_truncated" });
    },
    fail(error: StreamFailure): SseEvent[] {
      if (chunks.ended) return [];
      return chunks.error({ message: error.message, type: error.type ?? "upstream_error", code: error.code ?? null });
    },
  };
}

/** The item an event is about: its output index, else its item id (see chunk-stream.ts for keys). */
const itemKey = (d: Json): string =>
  typeof d.output_index === "number" ? `o${d.output_index}` : `i${str(d.item_id) || str(isObject(d.item) ? d.item.id : "")}`;

/** Event families that name an item: the terminal response does not repeat what they carried. */
const namesItem = (type: string) =>
  type.startsWith("response.output_") || type.startsWith("response.content_part") || type.startsWith("response.function_call") || type.startsWith("response.re");

/** One decoded Responses event → the chunks it completes. */
function onEvent(chunks: ChunkStream, d: Json, type: string): SseEvent[] {
  const out: SseEvent[] = [];
  const key = itemKey(d);
  if (namesItem(type)) chunks.seen.add(key);
  switch (type) {
    case "response.created":
    case "response.in_progress":
    case "response.queued":
      chunks.start(out, d.response);
      return out;
    case "response.output_text.delta":
      chunks.text(out, "content", `${key}:t${d.content_index ?? 0}`, str(d.delta));
      return out;
    case "response.output_text.done":
      chunks.catchUp(out, "content", `${key}:t${d.content_index ?? 0}`, d.text);
      return out;
    case "response.refusal.delta":
      chunks.text(out, "refusal", `${key}:r${d.content_index ?? 0}`, str(d.delta));
      return out;
    case "response.refusal.done":
      chunks.catchUp(out, "refusal", `${key}:r${d.content_index ?? 0}`, d.refusal);
      return out;
    case "response.reasoning_text.delta":
      chunks.text(out, "reasoning", `${key}:c${d.content_index ?? 0}`, str(d.delta));
      return out;
    case "response.reasoning_text.done":
      chunks.catchUp(out, "reasoning", `${key}:c${d.content_index ?? 0}`, d.text);
      return out;
    case "response.reasoning_summary_text.delta":
      chunks.text(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, str(d.delta));
      return out;
    case "response.reasoning_summary_text.done":
      chunks.catchUp(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, d.text);
      return out;
    case "response.reasoning_summary_part.done":
      if (isObject(d.part)) chunks.catchUp(out, "reasoning", `${key}:s${d.summary_index ?? 0}`, d.part.text);
      return out;
    case "response.content_part.done":
      onContentPartDone(chunks, out, key, d);
      return out;
    case "response.output_item.added":
      onItemAdded(chunks, out, key, d);
      return out;
    case "response.function_call_arguments.delta":
      chunks.args(out, chunks.call(key), str(d.delta));
      return out;
    case "response.function_call_arguments.done":
      chunks.argsCatchUp(out, chunks.call(key), d.arguments);
      return out;
    case "response.output_item.done":
      if (isObject(d.item)) chunks.settleItem(out, key, d.item);
      return out;
    case "response.completed":
      return chunks.finish(out, isObject(d.response) ? d.response : {}, "completed");
    case "response.incomplete":
      return chunks.finish(out, isObject(d.response) ? d.response : {}, "incomplete");
    case "response.failed":
      return chunks.error(upstreamFailure(isObject(d.response) ? d.response.error : undefined, "the participant's response failed"));
    case "error":
      return chunks.error(upstreamFailure(d, "the participant reported an error"));
    default:
      return out;
  }
}

/** A finished content part: whatever of its text the deltas missed. */
function onContentPartDone(chunks: ChunkStream, out: SseEvent[], key: string, d: Json): void {
  const p = isObject(d.part) ? d.part : {};
  const j = d.content_index ?? 0;
  if (p.type === "output_text") chunks.catchUp(out, "content", `${key}:t${j}`, p.text);
  else if (p.type === "refusal") chunks.catchUp(out, "refusal", `${key}:r${j}`, p.refusal);
  else if (p.type === "reasoning_text") chunks.catchUp(out, "reasoning", `${key}:c${j}`, p.text);
}

/** A new output item: a function call is announced at once (with any arguments it already has); anything else starts the stream. */
function onItemAdded(chunks: ChunkStream, out: SseEvent[], key: string, d: Json): void {
  if (isObject(d.item) && d.item.type === "function_call") {
    const call = chunks.call(key, d.item);
    call.args = str(d.item.arguments) || call.args;
    if (call.index === undefined) chunks.announce(out, call);
  } else {
    chunks.start(out);
  }
}
