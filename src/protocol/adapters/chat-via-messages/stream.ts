/**
 * A Messages event stream → `chat.completion.chunk`s (chunks.ts writes them) and `data: [DONE]`.
 * The stream is read block by block by protocol/anthropic/stream-reader.ts (which events count,
 * signatures and whole inputs, how it fails); here is what each part becomes:
 * - the start (`message_start`) → the first chunk, `delta: {role: "assistant", content: ""}`; the
 *   model (the message's, else the request's);
 * - text → `delta.content`; thinking → `delta.reasoning_content` (a blank line between two
 *   thinking blocks, as the non-streaming answer joins them);
 * - a `tool_use` block → `{index, id, type: "function", function: {name, arguments: ""}}` at its
 *   start (`index` counts tool calls from 0), then its input's fragments → `{index, function:
 *   {arguments}}`;
 * - a thinking block's signature and `redacted_thinking` blocks: nothing. The non-streaming
 *   answer carries them in `reasoning_details` (response.ts); a stream has no such place that
 *   readers would not take for more thinking text (the hub's own, and OpenRouter-style ones,
 *   read `reasoning_details[].text` as the delta's thoughts when nothing else carries them);
 * - the end (`message_stop`, or the body's end after a `message_delta`) → the finish chunk
 *   (`finish_reason` from the stop reason, anthropic/message.ts), the usage chunk when
 *   `stream_options.include_usage` was asked (`message_delta`'s counts over `message_start`'s),
 *   `[DONE]`.
 * Failures end the stream with one chunk `{"error": {message, type, code, param: null}}` and
 * nothing after it (no finish chunk, no `[DONE]`), the shape the other adapters end a chat
 * stream with: an `error` event (its `error.type`, e.g. `overloaded_error`, as both type and
 * code), data that is not JSON (`upstream_invalid_chunk`), a dropped connection (`fail`: the
 * relay's code), and a body cut before any stop reason (`upstream_truncated`).
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { chatFinishReasonOf, chatUsageFromMessages } from "../../anthropic/message.ts";
import { MessagesStreamReader, type MessagesStreamHandler } from "../../anthropic/stream-reader.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { ChunkWriter } from "./chunks.ts";

/** `plainText: false`: every Messages event parsed, text deltas too (for the test that compares the two readings). */
export function createStreamMapper(request: Json, ctx: AdapterContext, options: { plainText?: boolean } = {}): StreamMapper {
  const includeUsage = isObject(request.stream_options) && request.stream_options.include_usage === true;
  const chunks = new ChunkWriter(`chatcmpl-${ctx.newId()}`, includeUsage);
  let out: SseEvent[] = [];
  let started = false;
  let thoughts = 0;

  const handler: MessagesStreamHandler = {
    start(message) {
      if (started) return;
      started = true;
      const model = message && typeof message.model === "string" && message.model !== "" ? message.model : String(request.model ?? "");
      chunks.start(Math.floor(ctx.now() / 1000), model);
      out.push(chunks.delta('{"role":"assistant","content":""}'));
    },
    text: (json) => out.push(chunks.content(json)),
    thinkingBlock() {
      // A blank line between two thinking blocks, as the whole answer joins them.
      if (thoughts++ > 0) out.push(chunks.reasoning("\n\n"));
    },
    thinking: (text) => out.push(chunks.reasoning(text)),
    signed: () => undefined,
    redacted: () => undefined,
    toolCall: (index, id, name) => out.push(chunks.toolCall(index, id, name)),
    toolArguments: (index, fragment) => out.push(chunks.toolArguments(index, fragment)),
    finish(stopReason, usage, toolUse) {
      out.push(chunks.finish(chatFinishReasonOf(stopReason, toolUse)));
      const chatUsage = includeUsage ? chatUsageFromMessages(usage) : undefined;
      if (chatUsage) out.push(chunks.usage(chatUsage));
      out.push({ data: "[DONE]" });
    },
    error: (message, type, code) => out.push({ data: JSON.stringify({ error: { message, type, code, param: null } }) }),
  };
  const reader = new MessagesStreamReader(handler, ctx.newId, options);

  const run = (f: () => void): SseEvent[] => {
    if (reader.ended) return [];
    out = [];
    f();
    return out;
  };

  return {
    push: (ev) => run(() => reader.push(ev)),
    end: () => run(() => reader.end()),
    fail: (f: StreamFailure) => run(() => reader.fail(f)),
  };
}
