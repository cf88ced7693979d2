/**
 * The `chat.completion.chunk`s chat-via-messages writes, as OpenAI streams them
 * (fixtures/chat/openai-text-usage.sse): the same `id`, `object`, `created` and `model` on
 * every chunk, one choice `{index: 0, delta, logprobs: null, finish_reason}`, and `usage: null`
 * on each when the client asked for the usage chunk (`stream_options.include_usage`), which then
 * comes last before `[DONE]`, with `choices: []`.
 *
 * A stream's chunks differ only in their delta, so each is written as text around it: the part
 * before the delta and the part after are made once per stream (when its model is known), and
 * the hot deltas (reasoning, tool arguments) are one `JSON.stringify` of their text; content
 * comes already as JSON text (stream-reader.ts), so a templated text delta is never re-escaped.
 */
import type { Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";

export class ChunkWriter {
  private head = "";
  private tail = "";
  private last = "";
  private identity = "";

  constructor(
    private readonly id: string,
    private readonly includeUsage: boolean,
  ) {}

  /** The stream's identity, once: its `created` second and `model`. */
  start(created: number, model: string): void {
    this.identity = `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
    this.head = `${this.identity}"choices":[{"index":0,"delta":`;
    const usage = this.includeUsage ? ',"usage":null' : "";
    this.tail = `,"logprobs":null,"finish_reason":null}]${usage}}`;
    this.last = usage;
  }

  /** A chunk whose delta is this JSON text. */
  delta(json: string): SseEvent {
    return { data: this.head + json + this.tail };
  }

  /** A content delta whose text is given as its JSON string literal (the Messages reader hands text on so). */
  content(json: string): SseEvent {
    return this.delta(`{"content":${json}}`);
  }

  reasoning(text: string): SseEvent {
    return this.delta(`{"reasoning_content":${JSON.stringify(text)}}`);
  }

  /** A tool call's first chunk: its index among the calls, id, name, and no arguments yet. */
  toolCall(index: number, id: string, name: string): SseEvent {
    return this.delta(`{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]}`);
  }

  toolArguments(index: number, fragment: string): SseEvent {
    return this.delta(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(fragment)}}}]}`);
  }

  /** The empty-delta chunk with the finish reason. */
  finish(reason: string): SseEvent {
    return { data: `${this.head}{},"logprobs":null,"finish_reason":${JSON.stringify(reason)}}]${this.last}}` };
  }

  /** The usage chunk: no choice, the usage. */
  usage(usage: Json): SseEvent {
    return { data: `${this.identity}"choices":[],"usage":${JSON.stringify(usage)}}` };
  }
}
