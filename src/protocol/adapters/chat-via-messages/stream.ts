/**
 * A Messages event stream → `chat.completion.chunk`s (chunks.ts writes them) and `data: [DONE]`.
 * Events are read by their `event:` line, or their data's `type` (Anthropic sends both):
 * - `message_start` → the first chunk, `delta: {role: "assistant", content: ""}`; the model
 *   (the message's, else the request's) and the usage so far;
 * - a `text` block's `text_delta`s → `delta.content`; a `thinking` block's `thinking_delta`s →
 *   `delta.reasoning_content` (a blank line between two thinking blocks, as the non-streaming
 *   answer joins them); a block's text given whole in its `content_block_start` is sent as one
 *   delta;
 * - a `tool_use` block → `{index, id, type: "function", function: {name, arguments: ""}}` at its
 *   start (`index` counts tool calls from 0), then each non-empty `input_json_delta` →
 *   `{index, function: {arguments}}`; a block whose `input` came whole at its start and no
 *   deltas after (not Anthropic's way, but a server's may be) sends that input at its stop;
 * - a thinking block's signature (its `signature_delta`s, or its start's) and `redacted_thinking`
 *   blocks: with `reasoningDetails` a chunk `delta: {reasoning_details: [entry]}` at the block's
 *   stop (at the start of a redacted one: it comes whole) (protocol/anthropic/thinking.ts:
 *   responses-via-messages turns it into the reasoning item's `encrypted_content`), else nothing;
 * - `message_delta` → its `stop_reason` and usage (over `message_start`'s); `message_stop` →
 *   the finish chunk (`finish_reason` from the stop reason, anthropic/message.ts), the usage
 *   chunk when `stream_options.include_usage` was asked, `[DONE]`.
 * Ignored: `ping`, `content_block_stop` (besides the whole-input case), `citations_delta`, the
 * blocks of Anthropic's own tools and their deltas (`server_tool_use`, `*_tool_result`: a chat
 * client never asks for them), unknown event types.
 * Failures end the stream with one chunk `{"error": {message, type, code, param: null}}` and
 * nothing after it (no finish chunk, no `[DONE]`), the shape the other adapters end a chat
 * stream with: an `error` event (its `error.type`, e.g. `overloaded_error`, as both type and
 * code), data that is not JSON (`upstream_invalid_chunk`), a dropped connection (`fail`: the
 * relay's code), and a body that ends before `message_stop` with no stop reason seen
 * (`upstream_truncated`: a cut answer must not look complete; after a `message_delta` the end
 * of the body will do).
 */
import { isObject, type Json } from "../../json.ts";
import { relayedCode } from "../../error-codes.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { chatFinishReasonOf, chatUsageFromMessages, laterUsage } from "../../anthropic/message.ts";
import { detailOfBlock } from "../../anthropic/thinking.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import type { ChatAnswerOptions } from "./response.ts";
import { ChunkWriter } from "./chunks.ts";

type Block = { kind: "text" } | { kind: "thinking"; signature: string } | { kind: "tool"; index: number; input: unknown; streamed: boolean } | { kind: "other" };

const OTHER: Block = { kind: "other" };

export function createStreamMapper(request: Json, ctx: AdapterContext, opts: ChatAnswerOptions = {}): StreamMapper {
  const includeUsage = isObject(request.stream_options) && request.stream_options.include_usage === true;
  const chunks = new ChunkWriter(`chatcmpl-${ctx.newId()}`, includeUsage);
  const blocks: Block[] = [];
  let started = false;
  let ended = false;
  let usage: Json | undefined;
  let stopReason: unknown;
  let tools = 0;
  let thoughts = 0;

  const start = (out: SseEvent[], message?: Json) => {
    if (started) return;
    started = true;
    const model = message && typeof message.model === "string" && message.model !== "" ? message.model : String(request.model ?? "");
    chunks.start(Math.floor(ctx.now() / 1000), model, opts.reasoningDetails === true);
    out.push(chunks.delta('{"role":"assistant","content":""}'));
  };

  const error = (message: string, type: string, code: unknown): SseEvent[] => {
    ended = true;
    return [{ data: JSON.stringify({ error: { message, type, code: code ?? null, param: null } }) }];
  };

  const finish = (out: SseEvent[]): SseEvent[] => {
    start(out);
    ended = true;
    out.push(chunks.finish(chatFinishReasonOf(stopReason, tools > 0)));
    const chatUsage = includeUsage ? chatUsageFromMessages(usage) : undefined;
    if (chatUsage) out.push(chunks.usage(chatUsage));
    out.push({ data: "[DONE]" });
    return out;
  };

  const thinkingText = (out: SseEvent[], text: string) => {
    if (text !== "") out.push(chunks.reasoning(text));
  };

  const detail = (out: SseEvent[], block: Json) => {
    const d = opts.reasoningDetails ? detailOfBlock(block) : undefined;
    if (d && (d.signature !== undefined || d.data !== undefined)) out.push(chunks.delta(`{"reasoning_details":[${JSON.stringify(d)}]}`));
  };

  const blockStart = (out: SseEvent[], d: Json) => {
    const b = isObject(d.content_block) ? d.content_block : {};
    const index = typeof d.index === "number" ? d.index : blocks.length;
    switch (b.type) {
      case "text":
        blocks[index] = { kind: "text" };
        if (typeof b.text === "string" && b.text !== "") out.push(chunks.content(b.text));
        return;
      case "thinking": {
        // A blank line between two thinking blocks, as the whole answer joins them; not when each
        // becomes a reasoning item of its own (reasoningDetails), whose text must stay its block's.
        if (thoughts++ > 0 && !opts.reasoningDetails) out.push(chunks.reasoning("\n\n"));
        blocks[index] = { kind: "thinking", signature: typeof b.signature === "string" ? b.signature : "" };
        if (typeof b.thinking === "string") thinkingText(out, b.thinking);
        return;
      }
      case "redacted_thinking":
        blocks[index] = OTHER;
        return detail(out, b);
      case "tool_use": {
        const tool = tools++;
        blocks[index] = { kind: "tool", index: tool, input: b.input, streamed: false };
        const id = typeof b.id === "string" && b.id !== "" ? b.id : `call_${ctx.newId().replace(/-/g, "")}`;
        out.push(chunks.toolCall(tool, id, typeof b.name === "string" ? b.name : ""));
        return;
      }
      default:
        blocks[index] = OTHER;
    }
  };

  const blockDelta = (out: SseEvent[], d: Json) => {
    const delta = isObject(d.delta) ? d.delta : {};
    const block = typeof d.index === "number" ? blocks[d.index] : undefined;
    switch (delta.type) {
      case "text_delta":
        if (block?.kind !== "other" && typeof delta.text === "string" && delta.text !== "") out.push(chunks.content(delta.text));
        return;
      case "thinking_delta":
        if (block?.kind !== "other" && typeof delta.thinking === "string") thinkingText(out, delta.thinking);
        return;
      case "signature_delta":
        if (block?.kind === "thinking" && typeof delta.signature === "string") block.signature += delta.signature;
        return;
      case "input_json_delta":
        if (block?.kind === "tool" && typeof delta.partial_json === "string" && delta.partial_json !== "") {
          block.streamed = true;
          out.push(chunks.toolArguments(block.index, delta.partial_json));
        }
        return;
    }
  };

  const blockStop = (out: SseEvent[], d: Json) => {
    const block = typeof d.index === "number" ? blocks[d.index] : undefined;
    if (block?.kind === "tool" && !block.streamed && isObject(block.input) && Object.keys(block.input).length > 0) {
      out.push(chunks.toolArguments(block.index, JSON.stringify(block.input)));
    }
    // The signature, whole, once its block is done (it may come in several deltas).
    if (block?.kind === "thinking" && block.signature !== "") detail(out, { type: "thinking", thinking: "", signature: block.signature });
  };

  const onEvent = (ev: SseEvent): SseEvent[] => {
    if (ev.data === "[DONE]" || ev.data.trim() === "") return [];
    let d: unknown;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return error(`the participant sent an event that is not JSON: ${ev.data.slice(0, 200)}`, "upstream_error", "upstream_invalid_chunk");
    }
    if (!isObject(d)) return error(`the participant sent an event that is not a JSON object: ${ev.data.slice(0, 200)}`, "upstream_error", "upstream_invalid_chunk");
    const out: SseEvent[] = [];
    const type = ev.event ?? d.type;
    if (type === "error") {
      const e = isObject(d.error) ? d.error : d;
      const kind = typeof e.type === "string" && e.type !== "error" ? e.type : "upstream_error";
      return error(typeof e.message === "string" ? e.message : "the participant reported an error", kind, relayedCode(kind));
    }
    switch (type) {
      case "message_start": {
        const message = isObject(d.message) ? d.message : {};
        usage = laterUsage(usage, message.usage);
        start(out, message);
        return out;
      }
      case "content_block_delta":
        start(out);
        blockDelta(out, d);
        return out;
      case "content_block_start":
        start(out);
        blockStart(out, d);
        return out;
      case "content_block_stop":
        blockStop(out, d);
        return out;
      case "message_delta":
        if (isObject(d.delta) && d.delta.stop_reason !== undefined && d.delta.stop_reason !== null) stopReason = d.delta.stop_reason;
        usage = laterUsage(usage, d.usage);
        return out;
      case "message_stop":
        return finish(out);
      default:
        return out;
    }
  };

  return {
    push: (ev) => (ended ? [] : onEvent(ev)),
    end: () => {
      if (ended) return [];
      if (stopReason !== undefined) return finish([]);
      return error("the participant's stream ended before the message was complete (no message_stop)", "upstream_error", "upstream_truncated");
    },
    fail: (f: StreamFailure) => (ended ? [] : error(f.message, f.type ?? "upstream_error", f.code ?? null)),
  };
}
