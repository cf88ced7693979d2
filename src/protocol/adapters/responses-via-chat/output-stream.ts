/**
 * The output side of the stream mapper: opens and closes Responses output items as the
 * participant's deltas arrive (chat chunks read by stream.ts; Messages blocks read by
 * responses-via-messages/stream.ts), and emits their events (https://platform.openai.com/docs/api-reference/responses-streaming).
 * One item is open at a time, as in OpenAI's own streams (fixtures/responses/openai-*.sse):
 * - reasoning deltas → a `reasoning` item with one `reasoning_text` content part
 *   (`response.reasoning_text.delta`/`.done`, the shape OpenRouter, DeepSeek and LM Studio send);
 * - content deltas → a `message` item with an `output_text` part (`response.output_text.delta`
 *   with the chunk's `logprobs.content`, or `[]`); refusal deltas → a `refusal` part in the same
 *   message (`response.refusal.delta`/`.done`); text after a tool call opens a new message;
 * - tool-call deltas → one `function_call` item per chat `index`, started once its name is
 *   known (arguments that came before are sent as the first delta); a new index closes the
 *   previous call (providers stream parallel calls one after the other; an argument fragment
 *   for an already closed call cannot be expressed and is reported as a protocol error);
 *   a continuation's `id: ""` (Alibaba) or repeated id/name (OpenRouter) changes nothing; a call
 *   without any id gets `call_<random>`.
 * - a thinking block's signature (`signed`) goes on the open reasoning item as its
 *   `encrypted_content` (in `output_item.done`, as OpenAI's own items get theirs at the end) and
 *   seals it: reasoning after it opens a new item (it is another block); a redacted block
 *   (`redacted`) is an item of its own with no text, added and done at once
 *   (protocol/anthropic/thinking.ts; only responses-via-messages sends these), and a new
 *   thinking block (`reasoningBlock`) seals the reasoning item of the one before, signed or not.
 * Closing an item emits its `.done` events with the full text; the last item of an incomplete
 * response (length / content_filter) is closed with status `incomplete`.
 */
import type { Json } from "../../json.ts";
import type { AdapterContext } from "../types.ts";
import { itemId } from "../../openai/responses-items.ts";
import { functionCallItem, messageItem, reasoningItem, reasoningPart, refusalPart, textPart, type ItemStatus } from "./envelope.ts";

export type Emit = (type: string, fields: Json) => void;
/** An event whose JSON the caller wrote, from `{"type":…` up to the value of its last key, `"sequence_number":`. */
export type EmitWritten = (type: string, json: string) => void;

interface Part {
  kind: "output_text" | "refusal";
  /** The text so far as the inside of a JSON string, as `JSON.stringify` escapes it: deltas come as JSON text and are appended as they come, parsed once when the part is done. */
  json: string;
  logprobs: Json[];
  /** A delta event's JSON before its delta, and after it up to its sequence number (without logprobs): made once per part. */
  head: string;
  tail: string;
  /** Its text, once the part is done (closePart). */
  done?: string;
}

/** A part's text (its JSON, parsed). */
const textOf = (p: Part): string => p.done ?? (p.json === "" ? "" : (JSON.parse(`"${p.json}"`) as string));

type Open =
  /** `sealed`: its block has ended (a signature, or another block began): more reasoning opens a new item. */
  | { kind: "reasoning"; index: number; id: string; text: string; encrypted?: string; sealed: boolean }
  | { kind: "message"; index: number; id: string; parts: Part[]; partOpen: boolean }
  | { kind: "call"; index: number; id: string; chatIndex: number };

interface Call {
  callId?: string;
  name?: string;
  args: string;
  started: boolean;
  closed: boolean;
}

export class ProtocolProblem extends Error {}

export class OutputStream {
  /** Closed items, by output_index (the open one is not here until it is closed). */
  readonly items: Json[] = [];
  private open: Open | undefined;
  private readonly calls = new Map<number, Call>();
  private lastChatIndex = -1;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly emit: Emit,
    private readonly written: EmitWritten,
  ) {}

  reasoning(delta: string): void {
    const open = this.openReasoning();
    open.text += delta;
    this.emit("response.reasoning_text.delta", { content_index: 0, delta, item_id: open.id, output_index: open.index });
  }

  /** A thinking block's signature: the open reasoning item's (one opened for a block with no text), which it closes to further text. */
  signed(encrypted: string): void {
    const open = this.openReasoning();
    open.encrypted = encrypted;
    open.sealed = true;
  }

  /** A redacted thinking block: a reasoning item of its own, no text, its data as `encrypted_content`. */
  redacted(encrypted: string): void {
    this.close("completed");
    const index = this.items.length;
    const item = reasoningItem(itemId(this.ctx, "rs"), undefined, encrypted);
    this.emit("response.output_item.added", { item, output_index: index });
    this.done(index, item);
  }

  /** Another thinking block begins (responses-via-messages): the open reasoning item is sealed, so that each block is an item of its own. */
  reasoningBlock(): void {
    if (this.open?.kind === "reasoning") this.open.sealed = true;
  }

  /** The reasoning item deltas go to: the open one unless it is sealed, else a new one. */
  private openReasoning(): Extract<Open, { kind: "reasoning" }> {
    if (this.open?.kind === "reasoning" && !this.open.sealed) return this.open;
    this.close("completed");
    const open: Extract<Open, { kind: "reasoning" }> = { kind: "reasoning", index: this.items.length, id: itemId(this.ctx, "rs"), text: "", sealed: false };
    this.open = open;
    this.emit("response.output_item.added", { item: reasoningItem(open.id, undefined), output_index: open.index });
    this.emit("response.content_part.added", { content_index: 0, item_id: open.id, output_index: open.index, part: reasoningPart("") });
    return open;
  }

  text(kind: Part["kind"], delta: string, logprobs: Json[] = []): void {
    this.textJson(kind, JSON.stringify(delta), logprobs);
  }

  /**
   * A text or refusal delta given as its JSON string literal (`JSON.stringify`'s form: the
   * Messages reader hands a templated delta on as it came). Its event is written as text around
   * it, as `emit` would write it, without building or stringifying an object.
   */
  textJson(kind: Part["kind"], json: string, logprobs: Json[] = []): void {
    if (this.open?.kind !== "message") {
      this.close("completed");
      this.open = { kind: "message", index: this.items.length, id: itemId(this.ctx, "msg"), parts: [], partOpen: false };
      this.emit("response.output_item.added", { item: messageItem(this.open.id, "in_progress", []), output_index: this.open.index });
    }
    const msg = this.open as Extract<Open, { kind: "message" }>;
    let part = msg.partOpen ? msg.parts.at(-1) : undefined;
    if (part && part.kind !== kind) {
      this.closePart(msg);
      part = undefined;
    }
    if (!part) {
      const contentIndex = msg.parts.length;
      const type = kind === "refusal" ? "response.refusal.delta" : "response.output_text.delta";
      const logprobsKey = kind === "refusal" ? "" : '"logprobs":[],';
      part = {
        kind,
        json: "",
        logprobs: [],
        head: `{"type":"${type}","content_index":${contentIndex},"delta":`,
        tail: `,"item_id":${JSON.stringify(msg.id)},${logprobsKey}"output_index":${msg.index},"sequence_number":`,
      };
      msg.parts.push(part);
      msg.partOpen = true;
      this.emit("response.content_part.added", { content_index: contentIndex, item_id: msg.id, output_index: msg.index, part: this.partJson(part) });
    }
    part.json += json.slice(1, -1);
    if (kind === "refusal") return this.written("response.refusal.delta", part.head + json + part.tail);
    if (logprobs.length === 0) return this.written("response.output_text.delta", part.head + json + part.tail);
    part.logprobs.push(...logprobs);
    const tail = `,"item_id":${JSON.stringify(msg.id)},"logprobs":${JSON.stringify(logprobs)},"output_index":${msg.index},"sequence_number":`;
    this.written("response.output_text.delta", part.head + json + tail);
  }

  /** One entry of a chunk's `delta.tool_calls`. */
  toolCall(chatIndex: number | undefined, id: unknown, name: unknown, args: unknown): void {
    const index = chatIndex ?? this.indexFor(id);
    let call = this.calls.get(index);
    if (!call) {
      call = { args: "", started: false, closed: false };
      this.calls.set(index, call);
    }
    this.lastChatIndex = index;
    if (typeof id === "string" && id !== "" && call.callId === undefined) call.callId = id;
    if (typeof name === "string" && name !== "" && call.name === undefined) call.name = name;
    const fragment = typeof args === "string" ? args : args !== undefined && args !== null ? JSON.stringify(args) : "";
    if (call.closed) {
      if (fragment !== "") throw new ProtocolProblem(`the participant sent more arguments for tool call ${index} after another item had started; a Responses stream cannot carry interleaved tool calls`);
      return;
    }
    call.args += fragment;
    if (!call.started) {
      if (call.name === undefined) return; // arguments before the name: held until the name comes
      this.close("completed");
      call.started = true;
      call.callId ??= `call_${this.ctx.newId().replace(/-/g, "")}`;
      const open: Open = { kind: "call", index: this.items.length, id: itemId(this.ctx, "fc"), chatIndex: index };
      this.open = open;
      this.emit("response.output_item.added", { item: functionCallItem(open.id, "in_progress", call.callId, call.name, ""), output_index: open.index });
      if (call.args !== "") this.emit("response.function_call_arguments.delta", { delta: call.args, item_id: open.id, output_index: open.index });
      return;
    }
    if (fragment !== "" && this.open?.kind === "call") {
      this.emit("response.function_call_arguments.delta", { delta: fragment, item_id: this.open.id, output_index: this.open.index });
    }
  }

  /** Closes the open item (if any) with its `.done` events. */
  close(status: ItemStatus): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === "reasoning") {
      const at = { content_index: 0, item_id: open.id, output_index: open.index };
      this.emit("response.reasoning_text.done", { ...at, text: open.text });
      this.emit("response.content_part.done", { ...at, part: reasoningPart(open.text) });
      this.done(open.index, reasoningItem(open.id, open.text, open.encrypted));
    } else if (open.kind === "message") {
      if (open.partOpen) this.closePart(open);
      this.done(open.index, messageItem(open.id, status, open.parts.map((p) => this.partJson(p))));
    } else {
      const call = this.calls.get(open.chatIndex)!;
      call.closed = true;
      this.emit("response.function_call_arguments.done", { arguments: call.args, item_id: open.id, output_index: open.index });
      this.done(open.index, functionCallItem(open.id, status, call.callId!, call.name!, call.args));
    }
  }

  /** Calls whose name never came: started now so that nothing is lost (name ""). */
  flushNameless(): void {
    for (const [index, call] of this.calls) {
      if (!call.started && !call.closed) {
        call.name = "";
        this.toolCall(index, undefined, undefined, undefined);
      }
    }
  }

  /** The output as it stands: closed items, then the open one as it is so far (status `incomplete`). */
  snapshot(): Json[] {
    const open = this.open;
    if (!open) return [...this.items];
    let item: Json;
    if (open.kind === "reasoning") item = reasoningItem(open.id, open.text, open.encrypted);
    else if (open.kind === "message") item = messageItem(open.id, "incomplete", open.parts.map((p) => this.partJson(p)));
    else {
      const call = this.calls.get(open.chatIndex)!;
      item = functionCallItem(open.id, "incomplete", call.callId!, call.name!, call.args);
    }
    return [...this.items, item];
  }

  private closePart(msg: Extract<Open, { kind: "message" }>): void {
    const part = msg.parts.at(-1)!;
    msg.partOpen = false;
    // Done: its text is read three times from here on (the done events, the item), parsed once.
    part.done = textOf(part);
    const at = { content_index: msg.parts.length - 1, item_id: msg.id };
    if (part.kind === "refusal") this.emit("response.refusal.done", { ...at, output_index: msg.index, refusal: textOf(part) });
    else this.emit("response.output_text.done", { ...at, logprobs: part.logprobs, output_index: msg.index, text: textOf(part) });
    this.emit("response.content_part.done", { ...at, output_index: msg.index, part: this.partJson(part) });
  }

  private partJson(p: Part): Json {
    return p.kind === "refusal" ? refusalPart(textOf(p)) : textPart(textOf(p), [...p.logprobs]);
  }

  private done(index: number, item: Json): void {
    this.items[index] = item;
    this.emit("response.output_item.done", { item, output_index: index });
  }

  /** A tool-call delta without `index`: a new id starts a new call, else it continues the last one. */
  private indexFor(id: unknown): number {
    if (typeof id === "string" && id !== "") {
      for (const [index, call] of this.calls) if (call.callId === id) return index;
      return this.calls.size === 0 ? 0 : Math.max(...this.calls.keys()) + 1;
    }
    return this.lastChatIndex >= 0 ? this.lastChatIndex : 0;
  }
}
