/**
 * The content side of the Messages stream mapper: opens and closes content blocks as chat
 * deltas arrive and writes their events (https://docs.anthropic.com/en/docs/build-with-claude/streaming).
 * One block is open at a time, and block indexes count up from 0 with no gap:
 * - reasoning deltas → a `thinking` block (`content_block_start` with `{thinking: "",
 *   signature: ""}`, `thinking_delta`s; a `signature_delta` only when the adapter has one to
 *   give: a chat participant signs nothing, a Responses participant's encrypted reasoning is
 *   carried as one, messages-via-responses);
 * - content and refusal deltas → a `text` block (`text_delta`s); text after another block
 *   opens a new one;
 * - tool-call deltas → a `tool_use` block per chat `index` (`{id, name, input: {}}`, then
 *   `input_json_delta`s with the argument fragments as the model wrote them), opened once the
 *   call's name is known (fragments before it are sent as its first delta); a new index closes
 *   the call before it (providers stream parallel calls one after the other); a fragment for a
 *   call already closed cannot be expressed in a Messages stream and is a protocol error; a
 *   continuation's `id: ""` or a repeated id/name changes nothing; a call without an id gets
 *   `toolu_<random>`.
 * The hot events (the three deltas) are written as JSON text directly: they are most of a
 * stream, and building an object per event to stringify it cost measurably more.
 */
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext } from "../types.ts";
import { toolUseId } from "./response.ts";

interface Call {
  id?: string;
  name?: string;
  args: string;
  index: number;
  started: boolean;
  closed: boolean;
}

type Open = { kind: "thinking" | "text"; index: number } | { kind: "tool_use"; index: number; call: Call };

export class ProtocolProblem extends Error {}

export class BlockStream {
  /** Whether any tool_use block was opened (the stop reason is then `tool_use`). */
  toolUse = false;
  private next = 0;
  private open: Open | undefined;
  private readonly calls = new Map<number, Call>();
  private lastChatIndex = -1;

  /** The events written since the mapper last took them (stream.ts swaps in a new array per upstream event). */
  out: SseEvent[] = [];

  constructor(private readonly ctx: AdapterContext) {}

  thinking(delta: string): void {
    this.thinkingJson(JSON.stringify(delta));
  }

  /** A thinking delta given as JSON string text (quotes included), as `JSON.stringify` writes it. */
  thinkingJson(literal: string): void {
    const index = this.ensure("thinking", '{"type":"thinking","thinking":"","signature":""}');
    this.delta(index, `{"type":"thinking_delta","thinking":${literal}}`);
  }

  text(delta: string): void {
    this.textJson(JSON.stringify(delta));
  }

  /** A text delta given as JSON string text (quotes included), as `JSON.stringify` writes it. */
  textJson(literal: string): void {
    const index = this.ensure("text", '{"type":"text","text":""}');
    this.delta(index, `{"type":"text_delta","text":${literal}}`);
  }

  /** One entry of a chunk's `delta.tool_calls`. */
  toolCall(chatIndex: number | undefined, id: unknown, name: unknown, args: unknown): void {
    const index = chatIndex ?? this.indexFor(id);
    let call = this.calls.get(index);
    if (!call) {
      call = { args: "", index: -1, started: false, closed: false };
      this.calls.set(index, call);
    }
    this.lastChatIndex = index;
    if (typeof id === "string" && id !== "" && call.id === undefined) call.id = id;
    if (typeof name === "string" && name !== "" && call.name === undefined) call.name = name;
    const fragment = typeof args === "string" ? args : args !== undefined && args !== null ? JSON.stringify(args) : "";
    if (call.closed) {
      if (fragment !== "") throw new ProtocolProblem(`the participant sent more arguments for tool call ${index} after another block had started; a Messages stream cannot carry interleaved tool calls`);
      return;
    }
    if (!call.started) {
      call.args += fragment;
      if (call.name === undefined) return; // arguments before the name: held until the name comes
      this.close();
      call.started = true;
      call.id ??= toolUseId(this.ctx);
      call.index = this.next++;
      this.toolUse = true;
      this.open = { kind: "tool_use", index: call.index, call };
      this.start(call.index, JSON.stringify({ type: "tool_use", id: call.id, name: call.name, input: {} }));
      if (call.args !== "") this.delta(call.index, `{"type":"input_json_delta","partial_json":${JSON.stringify(call.args)}}`);
      return;
    }
    if (fragment !== "") this.delta(call.index, `{"type":"input_json_delta","partial_json":${JSON.stringify(fragment)}}`);
  }

  /** The kind of the open block, if any. */
  get openKind(): "thinking" | "text" | "tool_use" | undefined {
    return this.open?.kind;
  }

  /** Closes an open thinking block, so that the next thinking opens a block of its own (messages-via-responses: one per reasoning item). */
  closeThinking(): void {
    if (this.open?.kind === "thinking") this.close();
  }

  /** A thinking block's signature (into the open thinking block, else a new one with no text). */
  signature(signature: string): void {
    const index = this.ensure("thinking", '{"type":"thinking","thinking":"","signature":""}');
    this.delta(index, `{"type":"signature_delta","signature":${JSON.stringify(signature)}}`);
  }

  /** Closes the open block, if any. */
  close(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === "tool_use") open.call.closed = true;
    this.out.push({ event: "content_block_stop", data: `{"type":"content_block_stop","index":${open.index}}` });
  }

  /** Calls whose name never came: opened now with name "", so that their arguments are not lost. */
  flushNameless(): void {
    for (const [index, call] of this.calls) {
      if (!call.started && !call.closed) {
        call.name = "";
        this.toolCall(index, undefined, undefined, undefined);
      }
    }
  }

  private ensure(kind: "thinking" | "text", block: string): number {
    if (this.open?.kind === kind) return this.open.index;
    this.close();
    const index = this.next++;
    this.open = { kind, index };
    this.start(index, block);
    return index;
  }

  private start(index: number, block: string): void {
    this.out.push({ event: "content_block_start", data: `{"type":"content_block_start","index":${index},"content_block":${block}}` });
  }

  private delta(index: number, delta: string): void {
    this.out.push({ event: "content_block_delta", data: `{"type":"content_block_delta","index":${index},"delta":${delta}}` });
  }

  /** A tool-call delta without `index`: a new id starts a new call, else it continues the last one. */
  private indexFor(id: unknown): number {
    if (typeof id === "string" && id !== "") {
      for (const [index, call] of this.calls) if (call.id === id) return index;
      return this.calls.size === 0 ? 0 : Math.max(...this.calls.keys()) + 1;
    }
    return this.lastChatIndex >= 0 ? this.lastChatIndex : 0;
  }
}
