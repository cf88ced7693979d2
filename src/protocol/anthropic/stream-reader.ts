/**
 * A Messages participant's event stream, read block by block for every adapter that translates
 * one (chat-via-messages, responses-via-messages): each adapter says what it writes for each
 * part of the answer (`MessagesStreamHandler`), this says when those parts come.
 *
 * Events are read by their `event:` line, or their data's `type` (Anthropic sends both):
 * - `message_start` → `start(message)`; its usage kept;
 * - `content_block_start` and `content_block_delta` → `start()` first (a stream without
 *   `message_start` starts at its first content), then by the block's type:
 *   - `text`: its text given whole at its start, and each `text_delta` → `text` (empty ones
 *     skipped), as a JSON string literal in `JSON.stringify`'s form: a delta read by its
 *     template (text-delta-event.ts) is handed on as it came, never parsed nor re-escaped;
 *   - `thinking`: `thinkingBlock()` at its start, then its text (at the start, and each
 *     `thinking_delta`) → `thinking`; its signature (the start's, then every `signature_delta`)
 *     → `signed`, whole, at its `content_block_stop` (none when it stays empty: llama.cpp's
 *     `signature: ""`);
 *   - `redacted_thinking`: it comes whole → `redacted(data)` at its start (not when empty);
 *   - `tool_use` → `toolCall(index, id, name)` at its start (`index` counts calls from 0; an id
 *     the block lacks is `call_<random>`), each non-empty `input_json_delta` → `toolArguments`;
 *     an `input` given whole at the start with no deltas after (not Anthropic's way, a server's
 *     may be) → `toolArguments` with its JSON at the block's stop;
 *   - any other block (Anthropic's own tools: `server_tool_use`, `*_tool_result`; unknown
 *     types) and its deltas (`citations_delta` too) are skipped;
 * - `message_delta` → its `stop_reason` and usage kept (its counts over `message_start`'s);
 * - `message_stop` → `start()`, then `finish(stop reason, usage, whether a tool was called)`;
 * - `ping`, `[DONE]`, empty data and unknown event types → nothing.
 * Failures end the stream with `error(message, type, code)`: an `error` event (its
 * `error.type`, e.g. `overloaded_error`, as type and code), data that is not a JSON object
 * (`upstream_invalid_chunk`), a dropped connection (`fail`: the relay's message, type and code),
 * and a body that ends before `message_stop` with no stop reason seen (`upstream_truncated`: a
 * cut answer must not look complete; after a `message_delta` the end of the body finishes it).
 * Once finished or failed, nothing more is read.
 */
import { isObject, type Json } from "../json.ts";
import { relayedCode, type EnvelopeCode } from "../error-codes.ts";
import type { SseEvent } from "../sse/decode.ts";
import type { StreamFailure } from "../adapters/types.ts";
import { laterUsage } from "./message.ts";
import { TextDeltas } from "./text-delta-event.ts";

export interface MessagesStreamHandler {
  /** The answer has begun: `message_start` (with its message), or any content event; called again on later ones. */
  start(message?: Json): void;
  /** Text, as the JSON string literal `JSON.stringify` writes for it (quotes included, never `""`). */
  text(json: string): void;
  /** A thinking block begins (before any of its text). */
  thinkingBlock(): void;
  thinking(text: string): void;
  /** A thinking block's signature, whole, as the block ends (never empty). */
  signed(signature: string): void;
  /** A `redacted_thinking` block's data (never empty). */
  redacted(data: string): void;
  toolCall(index: number, id: string, name: string): void;
  toolArguments(index: number, fragment: string): void;
  /** The answer ended: its `stop_reason` (undefined if it sent none), its usage so far, whether it called a tool. */
  finish(stopReason: unknown, usage: Json | undefined, toolUse: boolean): void;
  /** The stream failed; nothing follows. `code` is null when the relay had none for a dropped connection. */
  error(message: string, type: string, code: EnvelopeCode | number | null): void;
}

type Block = { kind: "text" } | { kind: "thinking"; signature: string } | { kind: "tool"; index: number; input: unknown; streamed: boolean } | { kind: "other" };

const OTHER: Block = { kind: "other" };

export class MessagesStreamReader {
  private readonly blocks: Block[] = [];
  private done = false;
  private usage: Json | undefined;
  private stopReason: unknown;
  private tools = 0;

  /** Text deltas read by their template (text-delta-event.ts); none when `plainText` is false (a test compares the two readings). */
  private readonly texts: TextDeltas | undefined;

  constructor(
    private readonly on: MessagesStreamHandler,
    private readonly newId: () => string,
    options: { plainText?: boolean } = {},
  ) {
    this.texts = options.plainText === false ? undefined : new TextDeltas();
  }

  get ended(): boolean {
    return this.done;
  }

  push(ev: SseEvent): void {
    if (this.done) return;
    // Most of a stream: text deltas written alike but for their text.
    const texts = this.texts;
    if (texts && (ev.event === "content_block_delta" || ev.event === undefined)) {
      const literal = texts.match(ev.data);
      if (literal !== undefined) {
        this.on.start();
        if (this.blocks[texts.info!]?.kind !== "other" && literal !== '""') this.on.text(literal);
        return;
      }
    }
    if (ev.data === "[DONE]" || ev.data.trim() === "") return;
    let d: unknown;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return this.error(`the participant sent an event that is not JSON: ${ev.data.slice(0, 200)}`, "upstream_error", "upstream_invalid_chunk");
    }
    if (!isObject(d)) return this.error(`the participant sent an event that is not a JSON object: ${ev.data.slice(0, 200)}`, "upstream_error", "upstream_invalid_chunk");
    switch (ev.event ?? d.type) {
      case "error": {
        const e = isObject(d.error) ? d.error : d;
        const kind = typeof e.type === "string" && e.type !== "error" ? e.type : "upstream_error";
        return this.error(typeof e.message === "string" ? e.message : "the participant reported an error", kind, relayedCode(kind));
      }
      case "message_start": {
        const message = isObject(d.message) ? d.message : {};
        this.usage = laterUsage(this.usage, message.usage);
        return this.on.start(message);
      }
      case "content_block_start":
        this.on.start();
        return this.blockStart(d);
      case "content_block_delta":
        this.on.start();
        this.blockDelta(d);
        if (texts && isObject(d.delta) && d.delta.type === "text_delta") texts.learn(ev.data);
        return;
      case "content_block_stop":
        return this.blockStop(d);
      case "message_delta":
        if (isObject(d.delta) && d.delta.stop_reason !== undefined && d.delta.stop_reason !== null) this.stopReason = d.delta.stop_reason;
        this.usage = laterUsage(this.usage, d.usage);
        return;
      case "message_stop":
        return this.finish();
    }
  }

  /** The body ended (with or without `message_stop`). */
  end(): void {
    if (this.done) return;
    if (this.stopReason !== undefined) return this.finish();
    this.error("the participant's stream ended before the message was complete (no message_stop)", "upstream_error", "upstream_truncated");
  }

  /** The connection dropped mid-stream. */
  fail(f: StreamFailure): void {
    if (!this.done) this.error(f.message, f.type ?? "upstream_error", f.code ?? null);
  }

  private finish(): void {
    this.done = true;
    this.on.start();
    this.on.finish(this.stopReason, this.usage, this.tools > 0);
  }

  private error(message: string, type: string, code: EnvelopeCode | number | null): void {
    this.done = true;
    this.on.error(message, type, code);
  }

  private blockStart(d: Json): void {
    const b = isObject(d.content_block) ? d.content_block : {};
    const index = typeof d.index === "number" ? d.index : this.blocks.length;
    switch (b.type) {
      case "text":
        this.blocks[index] = { kind: "text" };
        if (typeof b.text === "string" && b.text !== "") this.on.text(JSON.stringify(b.text));
        return;
      case "thinking":
        this.blocks[index] = { kind: "thinking", signature: typeof b.signature === "string" ? b.signature : "" };
        this.on.thinkingBlock();
        if (typeof b.thinking === "string" && b.thinking !== "") this.on.thinking(b.thinking);
        return;
      case "redacted_thinking":
        this.blocks[index] = OTHER;
        if (typeof b.data === "string" && b.data !== "") this.on.redacted(b.data);
        return;
      case "tool_use": {
        const tool = this.tools++;
        this.blocks[index] = { kind: "tool", index: tool, input: b.input, streamed: false };
        const id = typeof b.id === "string" && b.id !== "" ? b.id : `call_${this.newId().replace(/-/g, "")}`;
        return this.on.toolCall(tool, id, typeof b.name === "string" ? b.name : "");
      }
      default:
        this.blocks[index] = OTHER;
    }
  }

  private blockDelta(d: Json): void {
    const delta = isObject(d.delta) ? d.delta : {};
    const block = typeof d.index === "number" ? this.blocks[d.index] : undefined;
    switch (delta.type) {
      case "text_delta":
        if (block?.kind !== "other" && typeof delta.text === "string" && delta.text !== "") this.on.text(JSON.stringify(delta.text));
        return;
      case "thinking_delta":
        if (block?.kind !== "other" && typeof delta.thinking === "string" && delta.thinking !== "") this.on.thinking(delta.thinking);
        return;
      case "signature_delta":
        if (block?.kind === "thinking" && typeof delta.signature === "string") block.signature += delta.signature;
        return;
      case "input_json_delta":
        if (block?.kind === "tool" && typeof delta.partial_json === "string" && delta.partial_json !== "") {
          block.streamed = true;
          this.on.toolArguments(block.index, delta.partial_json);
        }
        return;
    }
  }

  private blockStop(d: Json): void {
    const block = typeof d.index === "number" ? this.blocks[d.index] : undefined;
    if (block?.kind === "tool" && !block.streamed && isObject(block.input) && Object.keys(block.input).length > 0) {
      this.on.toolArguments(block.index, JSON.stringify(block.input));
    }
    // The signature, whole, once its block is done (it may come in several deltas).
    if (block?.kind === "thinking" && block.signature !== "") this.on.signed(block.signature);
  }
}
