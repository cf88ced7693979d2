/**
 * `chat.completion.chunk` events → a Messages event stream, in the API's exact grammar:
 * `message_start` → (`content_block_start` → deltas → `content_block_stop`)* → `message_delta`
 * → `message_stop`, block indexes 0, 1, 2… (block-stream.ts); an `event:` line on every event,
 * as Anthropic sends (fixtures/messages/*.sse); no `[DONE]`; no `ping` (allowed, not needed).
 *
 * `message_start` goes out with the first upstream event, so a 200 is never an empty body: its
 * message has `content: []`, null stop reason and zero usage (a chat participant reports tokens
 * only at the end). The end comes when the upstream says it is done — `[DONE]`, or the end of
 * the body after a `finish_reason` (TGI sends no `[DONE]`) — not at `finish_reason`, because the
 * usage chunk follows it: then the open block is closed, `message_delta` carries the stop
 * reason (protocol/anthropic/message.ts) and the usage (input, cache read, output: cumulative,
 * as Anthropic's), and `message_stop` ends it.
 *
 * Chunk quirks handled as in responses-via-chat: usage on any chunk (last wins) or in
 * `x_groq.usage`; `finish_reason` twice (the last wins); `role`/`content: ""` on every delta;
 * reasoning in `reasoning_content`, `reasoning` or `reasoning_details`; `refusal` deltas (text,
 * stop reason `refusal`); only choice 0; texts passed on as they are.
 *
 * Failures after HTTP 200 — a chunk with `error` (OpenRouter), an `event: error` (Groq), a
 * dropped connection (`fail`), an unparsable chunk, interleaved tool calls, a body that ends
 * with neither `[DONE]` nor a `finish_reason` — end the stream with one `event: error`
 * (`{"type":"error","error":{"type","message"}}`, protocol/anthropic/errors.ts), as the API
 * does mid-stream; nothing follows it. Its type comes from the code the other adapters would
 * send (`upstream_invalid_chunk`, `upstream_protocol_error`, `upstream_incomplete`, the
 * relay's `upstream_disconnected` / `upstream_timeout`, a provider's own), which the message
 * ends with: `… (code: upstream_incomplete)`.
 */
import { deltaReasoning } from "../../openai/chat-reasoning.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { readChatStreamEvent } from "../../openai/chat-stream-event.ts";
import { TextChunks } from "../../openai/chat-text-chunk.ts";
import { isObject, type Json } from "../../json.ts";
import { relayedCode, type EnvelopeCode } from "../../error-codes.ts";
import { errorEvent, streamErrorType } from "../../anthropic/errors.ts";
import { emptyUsage, messageId, messageObject, messagesUsageOfChunk, stopReasonOf } from "../../anthropic/message.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { BlockStream, ProtocolProblem } from "./block-stream.ts";

/**
 * `plainText: false` reads every chunk with `JSON.parse`, for the test that compares the two
 * readings byte for byte; by default chunks that only carry text, written alike, are read by
 * openai/chat-text-chunk.ts and their text spliced into the `text_delta` as JSON text.
 */
export interface StreamOptions {
  plainText?: boolean;
}

export function createStreamMapper(request: Json, ctx: AdapterContext, options: StreamOptions = {}): StreamMapper {
  const texts = options.plainText === false ? undefined : new TextChunks();
  const id = messageId(ctx.newId);
  const blocks = new BlockStream(ctx);
  let started = false;
  let finished = false;
  let usage: Json | undefined;
  let finishReason: unknown;
  let matchedStop: unknown;
  let refusal = false;

  const emit = (type: string, fields: Json) => blocks.out.push({ event: type, data: JSON.stringify({ type, ...fields }) });

  const start = () => {
    if (started) return;
    started = true;
    emit("message_start", { message: messageObject({ id, model: request.model, content: [], stopReason: null, stopSequence: null, usage: emptyUsage() }) });
  };

  const complete = () => {
    blocks.flushNameless();
    blocks.close();
    finished = true;
    const end = stopReasonOf(finishReason, { toolUse: blocks.toolUse, refusal, matchedStop }, request.stop_sequences);
    emit("message_delta", { delta: { stop_reason: end.stopReason, stop_sequence: end.stopSequence }, usage: usage ?? emptyUsage() });
    emit("message_stop", {});
  };

  /** The hub's code (or the provider's, relayed) picks the error's type and is said in its message: the shape has no field for it. */
  const failWith = (code: EnvelopeCode | number, message: string) => {
    finished = true;
    blocks.out.push(errorEvent(streamErrorType(code), `${message} (code: ${code})`));
  };

  const chunk = (ev: SseEvent) => {
    // Most of a stream: chunks of text alike but for it (chat-text-chunk.ts).
    if (texts && ev.event === undefined) {
      const text = texts.match(ev.data);
      if (text !== undefined) {
        if (text !== '""') blocks.textJson(text);
        return;
      }
    }
    const read = readChatStreamEvent(ev);
    if (read.kind === "done") return complete();
    if (read.kind === "empty") return;
    if (read.kind === "unreadable") return failWith("upstream_invalid_chunk", read.message);
    const data = read.data;
    usage = messagesUsageOfChunk(data) ?? usage;
    if (read.error) {
      const code = read.error.code;
      return failWith(code === undefined || code === null ? "upstream_error" : typeof code === "number" ? code : relayedCode(String(code)), read.error.message);
    }
    const choices = Array.isArray(data.choices) ? data.choices : [];
    const choice = choices.length === 1 ? choices[0] : choices.find((c: unknown) => isObject(c) && (c.index ?? 0) === 0);
    if (!isObject(choice)) return;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = deltaReasoning(delta);
    if (reasoning) blocks.thinking(reasoning);
    if (typeof delta.content === "string" && delta.content !== "") {
      blocks.text(delta.content);
      // Only text: the shape the next ones may share.
      if (texts && !reasoning && choices.length === 1 && delta.refusal == null && delta.tool_calls == null && choice.finish_reason == null && data.usage == null && ev.event === undefined) texts.learn(ev.data);
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") {
      refusal = true;
      blocks.text(delta.refusal);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        if (!isObject(tc)) continue;
        const fn = isObject(tc.function) ? tc.function : {};
        blocks.toolCall(typeof tc.index === "number" ? tc.index : undefined, tc.id, fn.name, fn.arguments);
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined && choice.finish_reason !== "") {
      finishReason = choice.finish_reason;
      if (choice.stop_reason !== undefined && choice.stop_reason !== null) matchedStop = choice.stop_reason;
    }
  };

  const run = (f: () => void): SseEvent[] => {
    if (finished) return [];
    blocks.out = [];
    start();
    try {
      f();
    } catch (err) {
      if (!(err instanceof ProtocolProblem)) throw err;
      failWith("upstream_protocol_error", err.message);
    }
    return blocks.out;
  };

  return {
    push: (ev) => run(() => chunk(ev)),
    end: () =>
      run(() => {
        // [DONE] has completed the message already; without it a finish_reason (TGI) will do.
        if (finishReason !== undefined) complete();
        else failWith("upstream_incomplete", "the participant's stream ended before the answer was finished (no finish_reason, no [DONE])");
      }),
    fail: (error: StreamFailure) => run(() => failWith(error.code ?? "server_error", error.message)),
  };
}
