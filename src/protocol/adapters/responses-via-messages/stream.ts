/**
 * A Messages event stream → the Responses event stream the hub writes for a chat participant
 * (responses-via-chat/response-stream.ts: the same lifecycle, items and grammar), straight from
 * the Messages events as protocol/anthropic/stream-reader.ts reads them:
 * - the start (`message_start`, or the first content event) → `response.created`,
 *   `response.in_progress`;
 * - text → a `message` item's `output_text` part (`logprobs: []`: Messages has none);
 * - each thinking block → a `reasoning` item of its own: its text as `reasoning_text` deltas, its
 *   signature (known at the block's end) as `encrypted_content: "anthropic.thinking:<signature>"`
 *   in the item's `output_item.done`; a block without one (llama.cpp's `signature: ""`) gets none;
 * - a `redacted_thinking` block → a `reasoning` item with no text and `encrypted_content:
 *   "anthropic.redacted_thinking:<data>"`, added and done at once (protocol/anthropic/thinking.ts);
 * - a `tool_use` block → a `function_call` item (`call_id` the block's id), its input's fragments
 *   as `function_call_arguments.delta`s;
 * - the end → `response.completed`, or `response.incomplete` for `max_tokens`
 *   (`max_output_tokens`) and `refusal` (`content_filter`) (common.ts), with the usage
 *   (`message_delta`'s counts over `message_start`'s; the whole prompt as `input_tokens`, the
 *   cache reads as `cached_tokens`);
 * - a failure (an `error` event, data that is not JSON, a dropped connection, a body cut before
 *   any stop reason) → `error` (its code: the Anthropic error type, `upstream_invalid_chunk`,
 *   the relay's, `upstream_truncated`) then `response.failed` with the output so far.
 * Until this mapper, the answer went through the chat shape (chat-via-messages, then
 * responses-via-chat); it writes what that chain wrote, event for event (checked against it on
 * every recording, cut and dropped after every event, before the chain's stream path was
 * removed), but for one thing: each thinking block is an item of its own, where the chain merged
 * unsigned blocks in a row and put a signature on whatever unsigned item was open.
 */
import type { Json } from "../../json.ts";
import { relayedCode } from "../../error-codes.ts";
import { MessagesStreamReader, type MessagesStreamHandler } from "../../anthropic/stream-reader.ts";
import { carriedRedacted, carriedSignature } from "../../anthropic/thinking.ts";
import type { AdapterContext, StreamFailure } from "../types.ts";
import { ResponseStream } from "../responses-via-chat/response-stream.ts";
import type { ResponsesStreamMapper } from "../responses-via-chat/stream.ts";
import { endStateOfStop, responsesUsageOf } from "./common.ts";

/** `plainText: false`: every Messages event parsed, text deltas too (for the test that compares the two readings). */
export function createStreamMapper(request: Json, ctx: AdapterContext, opts: { responseId: string; plainText?: boolean }): ResponsesStreamMapper {
  const stream = new ResponseStream(request, ctx, opts.responseId);
  const output = stream.output;
  const handler: MessagesStreamHandler = {
    start: () => stream.start(),
    text: (json) => output.textJson("output_text", json),
    thinkingBlock: () => output.reasoningBlock(),
    thinking: (text) => output.reasoning(text),
    signed: (signature) => output.signed(carriedSignature(signature)),
    redacted: (data) => output.redacted(carriedRedacted(data)),
    toolCall: (index, id, name) => output.toolCall(index, id, name, ""),
    toolArguments: (index, fragment) => output.toolCall(index, undefined, undefined, fragment),
    finish(stopReason, usage) {
      stream.usage = responsesUsageOf(usage);
      stream.complete(endStateOfStop(stopReason));
    },
    error(message, type, code) {
      stream.start();
      // A dropped connection the relay gave no code for: its type is the code.
      stream.failWith(code ?? relayedCode(type), message);
    },
  };
  const reader = new MessagesStreamReader(handler, ctx.newId, { plainText: opts.plainText });
  return {
    push: (ev) => stream.run(() => reader.push(ev)),
    end: () => stream.run(() => reader.end()),
    fail: (f: StreamFailure) => stream.run(() => reader.fail(f)),
    result: () => stream.result(),
  };
}
