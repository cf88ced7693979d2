/**
 * A Responses participant's event stream, read item by item for every adapter that translates
 * one (chat-via-responses, messages-via-responses): each adapter says what it writes for each
 * part of the answer (`ResponsesStreamHandler`), this says when those parts come, and keeps what
 * was said so far so that nothing is said twice.
 *
 * Events are dispatched on the data's `type` (OpenRouter sends no `event:` lines,
 * fixtures/responses/openrouter-reasoning-text.sse), else the `event:` line; an upstream
 * `[DONE]`, data that is not a JSON object (keep-alives, stray lines) and unknown types are
 * skipped. An item is `o<output_index>` (or `i<item id>` when an event names no index); a text
 * part is `<item>:<t|r|c|s><index>` (output text, refusal, reasoning content, reasoning summary).
 * - the start → `start(response)`, once: on `response.created`, `in_progress` or `queued` (with
 *   its Response), an item's `output_item.added`, the first text or call, or the end (with the
 *   terminal Response);
 * - `output_text.delta` / `refusal.delta` → `text` (empty ones skipped);
 *   `reasoning_text.delta` and `reasoning_summary_text.delta` → `reasoning`, with the item and
 *   the part they belong to;
 * - a `function_call` item's `output_item.added` → `toolCall(index, call_id, name)` (`index`
 *   counts calls from 0; `call_id`, else the item's id), then its arguments as
 *   `toolArguments(index, fragment)`: each `function_call_arguments.delta`, and any the item
 *   already had;
 * - catch-up: a `.done` event, `content_part.done`, `reasoning_summary_part.done` or
 *   `output_item.done` whose full text or arguments extend what was said says the rest (LM
 *   Studio sends a call's arguments only in `function_call_arguments.done`,
 *   fixtures/responses/lmstudio-reasoning-function-call.sse); a call only a `.done` or the end
 *   names is announced then; an item the terminal Response lists but no event named is said
 *   whole;
 * - a reasoning item in its final form (`output_item.done`, or listed by the terminal Response
 *   and named by no event) → `reasoningDone(item, encrypted_content)`, after its texts;
 * - `response.completed` / `response.incomplete` → `finish(response, status, calls)`;
 * - `error`, `response.failed` → `error` (the upstream's message, type and code, nested in
 *   `error` as OpenAI sends it or flat); `fail()` (the connection dropped) → the relay's; `end()`
 *   before a terminal event → `upstream_truncated`: a cut stream must not look complete.
 * Once finished or failed, nothing more is read.
 *
 * Most of a stream is text deltas of one part after another, written alike but for the text
 * (and the sequence number, and OpenAI's obfuscation): those are read by their template
 * (responses-text-delta.ts), not `JSON.parse`, and the text handed on as JSON text too
 * (`literal`), for a writer that splices it into its own events.
 */
import { isObject, type Json } from "../json.ts";
import { relayedCode, type EnvelopeCode } from "../error-codes.ts";
import type { SseEvent } from "../sse/decode.ts";
import type { StreamFailure } from "../adapters/types.ts";
import { ResponsesTextDeltas, type DeltaInfo } from "./responses-text-delta.ts";

/** What an upstream said went wrong: a Responses `error` event, a failed Response's `error`, or the relay's. */
export interface UpstreamFailure {
  message: string;
  type: string;
  /** The upstream's code as it came (a number stays a number), or the hub's own; null when none was given. */
  code: EnvelopeCode | number | null;
}

/** An error event (flat, or nested in `error` as OpenAI sends it, fixtures/responses/openai-error-quota.sse) or a failed Response's `error`. */
export function upstreamFailure(err: unknown, fallback: string): UpstreamFailure {
  const e = isObject(err) ? err : {};
  const inner = isObject(e.error) ? e.error : e;
  const message = typeof inner.message === "string" && inner.message !== "" ? inner.message : fallback;
  // An `error` event's own `type` is "error" (the event name), not an error type.
  const type = typeof inner.type === "string" && inner.type !== "error" && inner.type !== "" ? inner.type : "upstream_error";
  const code = typeof inner.code === "string" ? relayedCode(inner.code) : typeof inner.code === "number" ? inner.code : null;
  return { message, type, code };
}

export type TextKind = "content" | "refusal";

export interface ResponsesStreamHandler {
  /** The answer has begun (once): with the Response an event carried, if any. */
  start(response: Json | undefined): void;
  /** Output text or refusal text, never empty; `literal` the same as JSON text when it was read so. */
  text(kind: TextKind, text: string, literal: string | undefined): void;
  /** Reasoning text (a `reasoning_text` part's or a summary's), never empty; `item` and `part` are the keys above. */
  reasoning(text: string, item: string, part: string, literal: string | undefined): void;
  /** A reasoning item in its final form: its `encrypted_content`, if it has one. */
  reasoningDone(item: string, encrypted: string | undefined): void;
  toolCall(index: number, callId: string, name: string): void;
  toolArguments(index: number, fragment: string): void;
  /** The answer ended: the terminal Response, its status, how many calls were announced. */
  finish(response: Json, status: "completed" | "incomplete", calls: number): void;
  /** The stream failed; nothing follows. */
  error(failure: UpstreamFailure): void;
}

interface Call {
  index?: number;
  callId: string;
  name: string;
  /** Arguments said so far, or held until the call is announced. */
  args: string;
}

type PartKind = "content" | "refusal" | "reasoning";

/** What was said of a text part so far. */
interface Said {
  text: string;
}

/** The part a template's deltas go to. */
interface TemplatePart {
  kind: PartKind;
  part: string;
  item: string;
  said: Said;
}

/** Templates tried on this many deltas without one vetted: the stream's deltas are not alike (LM Studio's logprobs), none more are tried. */
const MAX_UNVETTED = 8;

/** The objects of an array (items, parts); none for anything else. */
export function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** The item an event is about: its output index, else its item id. */
const itemKey = (d: Json): string =>
  typeof d.output_index === "number" ? `o${d.output_index}` : `i${str(d.item_id) || str(isObject(d.item) ? d.item.id : "")}`;

/** The text deltas a template may read: the kind of text, the letter of its part's key. */
const DELTA_KINDS = new Map<string, [PartKind, string]>([
  ["response.output_text.delta", ["content", "t"]],
  ["response.reasoning_text.delta", ["reasoning", "c"]],
  ["response.reasoning_summary_text.delta", ["reasoning", "s"]],
]);

/** The item of a part's key (`o1:s0` → `o1`; an item id may hold colons, the part's letter and index never do). */
const itemOfPart = (part: string): string => part.slice(0, part.lastIndexOf(":"));

/** Event families that name an item: the terminal Response does not repeat what they carried. */
const namesItem = (type: string) =>
  type.startsWith("response.output_") || type.startsWith("response.content_part") || type.startsWith("response.function_call") || type.startsWith("response.re");

export class ResponsesStreamReader {
  private done = false;
  private started = false;
  /** Item keys any event named. */
  private readonly seen = new Set<string>();
  /** Text part key → the text said so far. */
  private readonly said = new Map<string, Said>();
  /** Item key → its function call. */
  private readonly calls = new Map<string, Call>();
  private callCount = 0;
  /** Text deltas read by their template; none when `plainText` is false (a test compares the two readings). */
  private readonly texts: ResponsesTextDeltas | undefined;
  private templatePart: TemplatePart | undefined;
  private unvetted = 0;

  constructor(
    private readonly on: ResponsesStreamHandler,
    options: { plainText?: boolean } = {},
  ) {
    this.texts = options.plainText === false ? undefined : new ResponsesTextDeltas();
  }

  get ended(): boolean {
    return this.done;
  }

  push(ev: SseEvent): void {
    if (this.done) return;
    // Most of a stream: text deltas written alike but for their text.
    const texts = this.texts;
    if (texts !== undefined && this.templatePart !== undefined) {
      const literal = texts.match(ev.data);
      if (literal !== undefined) {
        if (literal === '""') return;
        const at = this.templatePart;
        const text = literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1);
        this.start();
        at.said.text += text;
        if (at.kind === "reasoning") this.on.reasoning(text, at.item, at.part, literal);
        else this.on.text(at.kind, text, literal);
        return;
      }
    }
    if (ev.data === "[DONE]") return;
    let d: unknown;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return; // not an event to translate (a keep-alive, a stray line)
    }
    if (!isObject(d)) return;
    const type = typeof d.type === "string" ? d.type : str(ev.event);
    this.onEvent(d, type);
    if (texts !== undefined && this.unvetted < MAX_UNVETTED && !this.done && DELTA_KINDS.has(type)) {
      if (texts.learn(ev.data)) this.templatePart = this.partOfTemplate(texts.info!);
      else this.unvetted++;
    }
  }

  /** The body ended without a terminal event (after one, nothing happens). */
  end(): void {
    if (!this.done) this.error({ message: "the participant's stream ended before the response was complete", type: "upstream_error", code: "upstream_truncated" });
  }

  /** The connection dropped mid-stream. */
  fail(f: StreamFailure): void {
    if (!this.done) this.error({ message: f.message, type: f.type ?? "upstream_error", code: f.code ?? null });
  }

  private onEvent(d: Json, type: string): void {
    const key = itemKey(d);
    if (namesItem(type)) this.seen.add(key);
    switch (type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        return this.start(d.response);
      case "response.output_text.delta":
        return this.text("content", `${key}:t${d.content_index ?? 0}`, str(d.delta));
      case "response.output_text.done":
        return this.catchUp("content", `${key}:t${d.content_index ?? 0}`, d.text);
      case "response.refusal.delta":
        return this.text("refusal", `${key}:r${d.content_index ?? 0}`, str(d.delta));
      case "response.refusal.done":
        return this.catchUp("refusal", `${key}:r${d.content_index ?? 0}`, d.refusal);
      case "response.reasoning_text.delta":
        return this.text("reasoning", `${key}:c${d.content_index ?? 0}`, str(d.delta));
      case "response.reasoning_text.done":
        return this.catchUp("reasoning", `${key}:c${d.content_index ?? 0}`, d.text);
      case "response.reasoning_summary_text.delta":
        return this.text("reasoning", `${key}:s${d.summary_index ?? 0}`, str(d.delta));
      case "response.reasoning_summary_text.done":
        return this.catchUp("reasoning", `${key}:s${d.summary_index ?? 0}`, d.text);
      case "response.reasoning_summary_part.done":
        if (isObject(d.part)) this.catchUp("reasoning", `${key}:s${d.summary_index ?? 0}`, d.part.text);
        return;
      case "response.content_part.done":
        return this.contentPartDone(key, d);
      case "response.output_item.added":
        return this.itemAdded(key, d);
      case "response.function_call_arguments.delta":
        return this.args(this.call(key), str(d.delta));
      case "response.function_call_arguments.done":
        return this.argsCatchUp(this.call(key), d.arguments);
      case "response.output_item.done":
        if (isObject(d.item)) this.settleItem(key, d.item);
        return;
      case "response.completed":
        return this.finish(isObject(d.response) ? d.response : {}, "completed");
      case "response.incomplete":
        return this.finish(isObject(d.response) ? d.response : {}, "incomplete");
      case "response.failed":
        return this.error(upstreamFailure(isObject(d.response) ? d.response.error : undefined, "the participant's response failed"));
      case "error":
        return this.error(upstreamFailure(d, "the participant reported an error"));
    }
  }

  private start(response?: unknown): void {
    if (this.started) return;
    this.started = true;
    this.on.start(isObject(response) ? response : undefined);
  }

  private saidOf(part: string): Said {
    let said = this.said.get(part);
    if (!said) {
      said = { text: "" };
      this.said.set(part, said);
    }
    return said;
  }

  private text(kind: PartKind, part: string, text: string): void {
    if (text === "") return;
    this.start();
    this.saidOf(part).text += text;
    if (kind === "reasoning") this.on.reasoning(text, itemOfPart(part), part, undefined);
    else this.on.text(kind, text, undefined);
  }

  /** The part a vetted delta goes to, keyed as the parsed event is. */
  private partOfTemplate(info: DeltaInfo): TemplatePart {
    const [kind, letter] = DELTA_KINDS.get(info.type)!;
    const item = info.outputIndex !== undefined ? `o${info.outputIndex}` : `i${info.itemId ?? ""}`;
    const part = `${item}:${letter}${info.index ?? 0}`;
    return { kind, part, item, said: this.saidOf(part) };
  }

  /** A full text that extends what the deltas carried: the rest is said (the deltas stay the truth otherwise). */
  private catchUp(kind: PartKind, part: string, full: unknown): void {
    if (typeof full !== "string") return;
    const have = this.said.get(part)?.text ?? "";
    if (full.length > have.length && full.startsWith(have)) this.text(kind, part, full.slice(have.length));
  }

  /** A finished content part: whatever of its text the deltas missed. */
  private contentPartDone(key: string, d: Json): void {
    const p = isObject(d.part) ? d.part : {};
    const j = d.content_index ?? 0;
    if (p.type === "output_text") this.catchUp("content", `${key}:t${j}`, p.text);
    else if (p.type === "refusal") this.catchUp("refusal", `${key}:r${j}`, p.refusal);
    else if (p.type === "reasoning_text") this.catchUp("reasoning", `${key}:c${j}`, p.text);
  }

  /** A new output item: a function call is announced at once (with any arguments it already has); anything else starts the answer. */
  private itemAdded(key: string, d: Json): void {
    if (isObject(d.item) && d.item.type === "function_call") {
      const call = this.call(key, d.item);
      call.args = str(d.item.arguments) || call.args;
      if (call.index === undefined) this.announce(call);
    } else {
      this.start();
    }
  }

  /** The function call of an item, made on first mention; `item` fills in its id and name. */
  private call(key: string, item?: Json): Call {
    let call = this.calls.get(key);
    if (!call) {
      call = { callId: "", name: "", args: "" };
      this.calls.set(key, call);
    }
    if (item) {
      if (call.callId === "") call.callId = str(item.call_id) || str(item.id);
      if (call.name === "") call.name = str(item.name);
    }
    return call;
  }

  /** The call's announcement, then the arguments held so far. */
  private announce(call: Call): void {
    this.start();
    const index = this.callCount++;
    call.index = index;
    this.on.toolCall(index, call.callId, call.name);
    const held = call.args;
    call.args = "";
    this.args(call, held);
  }

  /** An arguments fragment: said once the call is announced, held until then. */
  private args(call: Call, fragment: string): void {
    if (fragment === "") return;
    call.args += fragment;
    if (call.index !== undefined) this.on.toolArguments(call.index, fragment);
  }

  private argsCatchUp(call: Call, full: unknown): void {
    if (typeof full !== "string") return;
    if (call.index === undefined) {
      if (full.length > call.args.length) call.args = full;
    } else if (full.length > call.args.length && full.startsWith(call.args)) {
      this.args(call, full.slice(call.args.length));
    }
  }

  /** An item in its final form (output_item.done, or listed by the terminal Response). */
  private settleItem(key: string, item: Json): void {
    if (item.type === "message") {
      list(item.content).forEach((p, j) => {
        if (p.type === "output_text") this.catchUp("content", `${key}:t${j}`, p.text);
        else if (p.type === "refusal") this.catchUp("refusal", `${key}:r${j}`, p.refusal);
      });
    } else if (item.type === "reasoning") {
      list(item.content).forEach((p, j) => p.type === "reasoning_text" && this.catchUp("reasoning", `${key}:c${j}`, p.text));
      list(item.summary).forEach((p, j) => this.catchUp("reasoning", `${key}:s${j}`, p.text));
      this.on.reasoningDone(key, typeof item.encrypted_content === "string" && item.encrypted_content !== "" ? item.encrypted_content : undefined);
    } else if (item.type === "function_call") {
      const call = this.call(key, item);
      this.argsCatchUp(call, item.arguments);
      if (call.index === undefined) this.announce(call);
    }
  }

  /** A completed or incomplete Response: the items no event named, then the end. */
  private finish(response: Json, status: "completed" | "incomplete"): void {
    this.start(response);
    list(response.output).forEach((item, i) => {
      const key = `o${i}`;
      if (!this.seen.has(key) && !(typeof item.id === "string" && this.seen.has(`i${item.id}`))) this.settleItem(key, item);
    });
    this.done = true;
    this.on.finish(response, status, this.callCount);
  }

  private error(f: UpstreamFailure): void {
    this.done = true;
    this.on.error(f);
  }
}
