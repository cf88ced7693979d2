/**
 * `chat.completion.chunk` events → a Responses event stream, with `sequence_number` counting
 * from 0 and an `event:` line on every event, like OpenAI's (fixtures/responses/openai-text.sse).
 *
 * Lifecycle: `response.created` and `response.in_progress` (status `in_progress`, `output: []`)
 * come with the first upstream event; items follow (output-stream.ts); the terminal event
 * comes when the upstream says it is done — `[DONE]`, or the end of the body (TGI sends no
 * `[DONE]`) — not at `finish_reason`, because usage (OpenAI, OpenRouter, vLLM …) and errors
 * (OpenRouter) may still follow it. Then `response.completed`, or `response.incomplete` for
 * `length` / `content_filter`, with the full response and usage. No `[DONE]` is sent: OpenAI's
 * Responses streams have none.
 *
 * The Response's lifecycle and grammar (created, in_progress, the terminal events, sequence
 * numbers) are response-stream.ts's, shared with responses-via-messages.
 *
 * Chunk quirks handled: a first chunk with `choices: []` and `id: ""` (Azure); usage on the
 * finish chunk, on a `choices: []` chunk, on every chunk as running totals (Hyperbolic: the
 * last wins), in `x_groq.usage` (usage.ts); `finish_reason` twice (OpenRouter: the last wins);
 * non-standard finish reasons (`eos`, `eos_token` → completed); `role`/`content: ""` repeated
 * on every delta; reasoning in `reasoning_content` (DeepSeek, llama.cpp), `reasoning` (Ollama,
 * Groq, OpenRouter) or `reasoning_details[].text` (OpenRouter: it repeats `reasoning`, so the
 * first non-empty of the three is used per delta); `refusal` deltas; `<think>` tags stay text.
 * Only choice 0 is read (the adapter never asks for `n`). Texts are passed on byte for byte.
 *
 * Failures after HTTP 200 — a chunk with `error` (OpenRouter), an `event: error` (Groq), a
 * dropped connection (`fail`), an unparsable chunk, a body that ends with neither `[DONE]` nor a
 * `finish_reason` (cut off: the answer may be partial, so it is not reported as completed) —
 * become an `error` event `{type:"error", code, message, param:null}` then `response.failed`
 * (`error: {code, message}`, the output so far, open item marked `incomplete`); then nothing
 * more (what the upstream sends after is ignored).
 */
import { relayedCode } from "../../error-codes.ts";
import type { SseEvent } from "../../sse/decode.ts";
import { readChatStreamEvent } from "../../openai/chat-stream-event.ts";
import { TextChunks } from "../../openai/chat-text-chunk.ts";
import { isObject, type Json } from "../../json.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../types.ts";
import { deltaReasoning, endStateOf } from "./common.ts";
import { ResponseStream } from "./response-stream.ts";
import { responsesUsageOfChunk } from "./usage.ts";

export interface ResponsesStreamMapper extends StreamMapper {
  /** The final Response object once the stream completed, was incomplete or failed. */
  result(): Json | undefined;
}

/** `plainText: false`: every chunk parsed, text-only ones too (for the test that compares the two readings). */
export function createStreamMapper(request: Json, ctx: AdapterContext, opts: { responseId: string; plainText?: boolean }): ResponsesStreamMapper {
  const stream = new ResponseStream(request, ctx, opts.responseId);
  const output = stream.output;
  const texts = opts.plainText === false ? undefined : new TextChunks({ readsLogprobs: true });
  let finishReason: unknown;

  const complete = () => stream.complete(endStateOf(finishReason));

  const chunk = (ev: SseEvent) => {
    // Most of a stream: chunks of text alike but for it (openai/chat-text-chunk.ts), their text
    // spliced into the output_text.delta as the JSON text it came as.
    if (texts && ev.event === undefined) {
      const text = texts.match(ev.data);
      if (text !== undefined) {
        if (text !== '""') output.textJson("output_text", text);
        return;
      }
    }
    const read = readChatStreamEvent(ev);
    if (read.kind === "done") return complete();
    if (read.kind === "empty") return;
    if (read.kind === "unreadable") return stream.failWith("upstream_invalid_chunk", read.message);
    const data = read.data;
    stream.usage = responsesUsageOfChunk(data) ?? stream.usage;
    if (read.error) {
      const code = read.error.code;
      return stream.failWith(code === undefined || code === null ? "upstream_error" : relayedCode(String(code)), read.error.message);
    }
    const choices = Array.isArray(data.choices) ? data.choices : [];
    const choice = choices.find((c: unknown) => isObject(c) && (c.index ?? 0) === 0);
    if (!isObject(choice)) return;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = deltaReasoning(delta);
    if (reasoning) output.reasoning(reasoning);
    if (typeof delta.content === "string" && delta.content !== "") {
      const logprobs = isObject(choice.logprobs) && Array.isArray(choice.logprobs.content) ? choice.logprobs.content : [];
      output.text("output_text", delta.content, logprobs);
      // Only text: the shape the next ones may share.
      if (texts && !reasoning && choices.length === 1 && choice.logprobs == null && delta.refusal == null && delta.tool_calls == null && choice.finish_reason == null && data.usage == null && ev.event === undefined) texts.learn(ev.data);
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") output.text("refusal", delta.refusal);
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        if (!isObject(tc)) continue;
        const fn = isObject(tc.function) ? tc.function : {};
        output.toolCall(typeof tc.index === "number" ? tc.index : undefined, tc.id, fn.name, fn.arguments);
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined && choice.finish_reason !== "") finishReason = choice.finish_reason;
  };

  // Every upstream event starts the Response (created, in_progress), even one that says nothing.
  return {
    push: (ev) => stream.run(() => chunk(ev), true),
    end: () =>
      stream.run(() => {
        // [DONE] has completed the response already; without it a finish_reason (TGI) will do.
        if (finishReason !== undefined) complete();
        else stream.failWith("upstream_incomplete", "the participant's stream ended before the answer was finished (no finish_reason, no [DONE])");
      }, true),
    fail: (error: StreamFailure) => stream.run(() => stream.failWith(error.code ?? "server_error", error.message), true),
    result: () => stream.result(),
  };
}
