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
 * protocol/openai/responses-stream-reader.ts reads the events (which count, catch-up, what a
 * failure is); chunk-stream.ts writes the chunks.
 */
import type { Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { ResponsesStreamReader } from "../../openai/responses-stream-reader.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { ChunkStream } from "./chunk-stream.ts";

/** `plainText: false`: every Responses event parsed, text deltas too (for the test that compares the two readings). */
export function createStreamMapper(request: Json, ctx: AdapterContext, options: { plainText?: boolean } = {}): StreamMapper {
  const chunks = new ChunkStream(request, ctx);
  const reader = new ResponsesStreamReader(chunks, options);
  const run = (f: () => void): SseEvent[] => {
    if (reader.ended) return [];
    chunks.out = [];
    f();
    return chunks.out;
  };
  return {
    push: (ev) => run(() => reader.push(ev)),
    end: () => run(() => reader.end()),
    fail: (f: StreamFailure) => run(() => reader.fail(f)),
  };
}
