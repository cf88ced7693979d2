/**
 * A Responses participant's event stream → a Messages event stream, in one step: the events are
 * read once by protocol/openai/responses-stream-reader.ts (which count, catch-up from `.done`
 * events and the terminal Response, how the stream fails) and written by messages-via-chat's
 * block writer (block-stream.ts), in the API's exact grammar: `message_start` → (
 * `content_block_start` → deltas → `content_block_stop`)* → `message_delta` → `message_stop`,
 * block indexes 0, 1, 2…, one block open at a time, an `event:` line on every event.
 * - the start (the first event the reader counts) → `message_start`: `content: []`, null stop
 *   reason, zero usage (a Responses participant reports tokens at the end), the request's model;
 * - output text and refusals → a `text` block's `text_delta`s (a refusal: stop reason
 *   `refusal`);
 * - each reasoning item → a `thinking` block of its own (`thinking_delta`s: its
 *   `reasoning_text` parts and summary parts, a blank line between two parts); its
 *   `encrypted_content`, once the item is done, → a `signature_delta` carrying it for this
 *   participant's model (`responses.reasoning:<participant>:<model>:…`,
 *   protocol/anthropic/thinking.ts), so that a client sending the block back gives the
 *   participant its reasoning again (an item with no text and only
 *   encrypted content is a thinking block with no text); none without it;
 * - a function call → a `tool_use` block (`id` its `call_id`, `input: {}`), its arguments as
 *   `input_json_delta`s; parallel calls one after the other (a fragment for a call already
 *   closed cannot be expressed: `upstream_protocol_error`);
 * - the end (`response.completed` / `incomplete`) → the open block closed, `message_delta`
 *   with the stop reason (as a body's, response.ts) and the usage (input less cached, cache
 *   reads, output), then `message_stop`.
 * Failures after HTTP 200 — an `error` event, `response.failed`, a dropped connection (`fail`),
 * a body that ends before a terminal event (`upstream_truncated`), interleaved tool arguments —
 * end the stream with one `event: error` (protocol/anthropic/errors.ts), its type from the code
 * (the participant's, else its error type, else `upstream_error`), the message ending with it:
 * `… (code: insufficient_quota)`. Nothing follows.
 * Until this mapper, the answer went through the chat shape (chat-via-responses, then
 * messages-via-chat, chained event by event); it writes what that chain wrote, event for event
 * (checked against it on every recording, cut and dropped after every event, and on seeded
 * random streams, before the chain was removed), but for the thinking: one block per reasoning
 * item, where the chain made one of a run of them, and the signature it could not carry.
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { relayedCode, type EnvelopeCode } from "../../error-codes.ts";
import { errorEvent, streamErrorType } from "../../anthropic/errors.ts";
import { emptyUsage, messageId, messageObject, messagesUsageFromChat, stopReasonOf } from "../../anthropic/message.ts";
import { signatureOfReasoning } from "../../anthropic/thinking.ts";
import { ResponsesStreamReader, type ResponsesStreamHandler } from "../../openai/responses-stream-reader.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { BlockStream, ProtocolProblem } from "../messages-via-chat/block-stream.ts";
import { chatFinishReason } from "../chat-via-responses/finish-reason.ts";
import { chatUsageFromResponses } from "../chat-via-responses/usage.ts";

/** `plainText: false`: every Responses event parsed, text deltas too (for the test that compares the two readings). */
export function createStreamMapper(request: Json, ctx: AdapterContext, options: { plainText?: boolean } = {}): StreamMapper {
  const id = messageId(ctx.newId);
  const blocks = new BlockStream(ctx);
  let started = false;
  let finished = false;
  let refusal = false;
  /** The reasoning item (and its part) the open thinking block holds. */
  let thinkingItem: string | undefined;
  let thinkingPart: string | undefined;

  const emit = (type: string, fields: Json) => blocks.out.push({ event: type, data: JSON.stringify({ type, ...fields }) });
  const start = () => {
    if (started) return;
    started = true;
    emit("message_start", { message: messageObject({ id, model: request.model, content: [], stopReason: null, stopSequence: null, usage: emptyUsage() }) });
  };
  /** The code (the hub's, or the participant's relayed) picks the error's type and is said in its message: the shape has no field for it. */
  const failWith = (code: EnvelopeCode | number, message: string) => {
    finished = true;
    start();
    blocks.out.push(errorEvent(streamErrorType(code), `${message} (code: ${code})`));
  };
  /** The thinking block of `item` (a new one when another block, or another item's, is open). */
  const thinkingOf = (item: string): boolean => {
    if (thinkingItem === item && blocks.openKind === "thinking") return true;
    blocks.closeThinking();
    thinkingItem = item;
    return false;
  };

  const handler: ResponsesStreamHandler = {
    start,
    text(kind, text, literal) {
      if (kind === "refusal") refusal = true;
      if (literal !== undefined) blocks.textJson(literal);
      else blocks.text(text);
    },
    reasoning(text, item, part, literal) {
      // A blank line between two parts of one item, as a body joins them.
      const sep = thinkingOf(item) && thinkingPart !== part;
      thinkingPart = part;
      if (!sep && literal !== undefined) blocks.thinkingJson(literal);
      else blocks.thinking(sep ? `\n\n${text}` : text);
    },
    reasoningDone(item, encrypted) {
      if (encrypted === undefined) return;
      thinkingOf(item);
      blocks.signature(signatureOfReasoning({ model: request.model, participant: ctx.participant }, encrypted));
    },
    toolCall: (index, callId, name) => blocks.toolCall(index, callId, name, ""),
    toolArguments: (index, fragment) => blocks.toolCall(index, undefined, undefined, fragment),
    finish(response, status, calls) {
      const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
      blocks.flushNameless();
      blocks.close();
      finished = true;
      const end = stopReasonOf(chatFinishReason(status, reason, calls > 0), { toolUse: blocks.toolUse, refusal }, request.stop_sequences);
      emit("message_delta", { delta: { stop_reason: end.stopReason, stop_sequence: end.stopSequence }, usage: messagesUsageFromChat(chatUsageFromResponses(response.usage)) ?? emptyUsage() });
      emit("message_stop", {});
    },
    // The participant's code, else its error type (what the chat shape's error chunk carried).
    error: (f) => failWith(f.code === null ? relayedCode(f.type) : f.code, f.message),
  };
  const reader = new ResponsesStreamReader(handler, options);

  /** One upstream event, the end or a failure → the events written for it. */
  const run = (ev: SseEvent | undefined, failure?: StreamFailure): SseEvent[] => {
    if (finished) return [];
    blocks.out = [];
    try {
      if (ev !== undefined) reader.push(ev);
      else if (failure !== undefined) reader.fail(failure);
      else reader.end();
    } catch (err) {
      if (!(err instanceof ProtocolProblem)) throw err;
      failWith("upstream_protocol_error", err.message);
    }
    return blocks.out;
  };

  return {
    push: (ev) => run(ev),
    end: () => run(undefined),
    fail: (f: StreamFailure) => run(undefined, f),
  };
}
