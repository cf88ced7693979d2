/**
 * The chat side of chat-via-responses' stream mapper: the `chat.completion.chunk`s written so
 * far and what they carried, per text part and per function call, so that a `.done` event,
 * `output_item.done` or the terminal response emits only what the deltas missed. stream.ts
 * decides which Responses event calls what (its header lists every chunk this writes); this
 * class holds the state and writes the chunks, nothing else.
 *
 * Keys: an item is `o<output_index>` (or `i<item id>` when an event names no index); a text
 * part is `<item>:<t|r|c|s><index>` (output text, refusal, reasoning content, reasoning
 * summary).
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext } from "../types.ts";
import type { UpstreamFailure } from "./errors.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatUsageFromResponses } from "./usage.ts";

export type TextKind = "content" | "refusal" | "reasoning";

export interface Call {
  index?: number;
  callId: string;
  name: string;
  args: string; // arguments emitted so far (or held back until the call is announced)
}

export function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export class ChunkStream {
  /** A terminal chunk (`[DONE]` or an error) went out: nothing may follow it. */
  ended = false;
  /** Item keys any event named; the terminal response's other items are settled whole. */
  readonly seen = new Set<string>();
  private readonly id: string;
  private readonly includeUsage: boolean;
  private created = 0;
  private model = "";
  private started = false;
  private lastReasoningKey: string | undefined;
  private readonly emitted = new Map<string, string>(); // text part key → text emitted so far
  private readonly calls = new Map<string, Call>(); // item key → function call
  private toolCount = 0;

  constructor(
    private readonly request: Json,
    private readonly ctx: AdapterContext,
  ) {
    this.id = `chatcmpl-${ctx.newId()}`;
    this.includeUsage = isObject(request.stream_options) && request.stream_options.include_usage === true;
  }

  private chunk(delta: Json, finishReason: string | null = null): SseEvent {
    const c: Json = { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
    if (this.includeUsage) c.usage = null;
    return { data: JSON.stringify(c) };
  }

  /** The first chunk, once: `created` and `model` come from the response when it is known. */
  start(out: SseEvent[], resp?: unknown): void {
    if (this.started) return;
    this.started = true;
    const r = isObject(resp) ? resp : {};
    this.created = typeof r.created_at === "number" ? Math.floor(r.created_at) : Math.floor(this.ctx.now() / 1000);
    this.model = typeof r.model === "string" && r.model !== "" ? r.model : str(this.request.model);
    out.push(this.chunk({ role: "assistant", content: "" }));
  }

  text(out: SseEvent[], kind: TextKind, key: string, text: string): void {
    if (text === "") return;
    this.start(out);
    this.emitted.set(key, (this.emitted.get(key) ?? "") + text);
    if (kind === "reasoning") {
      const sep = this.lastReasoningKey !== undefined && this.lastReasoningKey !== key ? "\n\n" : "";
      this.lastReasoningKey = key;
      out.push(this.chunk({ reasoning_content: sep + text }));
    } else {
      out.push(this.chunk({ [kind]: text }));
    }
  }

  /** A full text that extends what the deltas carried: emit the rest (deltas stay the truth otherwise). */
  catchUp(out: SseEvent[], kind: TextKind, key: string, full: unknown): void {
    if (typeof full !== "string") return;
    const have = this.emitted.get(key) ?? "";
    if (full.length > have.length && full.startsWith(have)) this.text(out, kind, key, full.slice(have.length));
  }

  /** The function call of an item, made on first mention; `item` fills in its id and name. */
  call(key: string, item?: Json): Call {
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

  /** The call's first chunk (its index counts function calls from 0), then the arguments held so far. */
  announce(out: SseEvent[], call: Call): void {
    this.start(out);
    call.index = this.toolCount++;
    out.push(this.chunk({ tool_calls: [{ index: call.index, id: call.callId, type: "function", function: { name: call.name, arguments: "" } }] }));
    const held = call.args;
    call.args = "";
    this.args(out, call, held);
  }

  /** An arguments fragment: sent once the call is announced, held until then. */
  args(out: SseEvent[], call: Call, fragment: string): void {
    if (fragment === "") return;
    call.args += fragment;
    if (call.index !== undefined) out.push(this.chunk({ tool_calls: [{ index: call.index, function: { arguments: fragment } }] }));
  }

  argsCatchUp(out: SseEvent[], call: Call, full: unknown): void {
    if (typeof full !== "string") return;
    if (call.index === undefined) {
      if (full.length > call.args.length) call.args = full;
    } else if (full.length > call.args.length && full.startsWith(call.args)) {
      this.args(out, call, full.slice(call.args.length));
    }
  }

  /** An item in its final form (output_item.done, or listed by the terminal response). */
  settleItem(out: SseEvent[], key: string, item: Json): void {
    if (item.type === "message") {
      list(item.content).forEach((p, j) => {
        if (p.type === "output_text") this.catchUp(out, "content", `${key}:t${j}`, p.text);
        else if (p.type === "refusal") this.catchUp(out, "refusal", `${key}:r${j}`, p.refusal);
      });
    } else if (item.type === "reasoning") {
      list(item.content).forEach((p, j) => p.type === "reasoning_text" && this.catchUp(out, "reasoning", `${key}:c${j}`, p.text));
      list(item.summary).forEach((p, j) => this.catchUp(out, "reasoning", `${key}:s${j}`, p.text));
    } else if (item.type === "function_call") {
      const call = this.call(key, item);
      this.argsCatchUp(out, call, item.arguments);
      if (call.index === undefined) this.announce(out, call);
    }
  }

  /** The end of a completed or incomplete response: the items no event named, the finish_reason, usage, `[DONE]`. */
  finish(out: SseEvent[], resp: Json, status: string): SseEvent[] {
    this.start(out, resp);
    list(resp.output).forEach((item, i) => {
      const key = `o${i}`;
      if (!this.seen.has(key) && !(typeof item.id === "string" && this.seen.has(`i${item.id}`))) this.settleItem(out, key, item);
    });
    const reason = isObject(resp.incomplete_details) ? resp.incomplete_details.reason : undefined;
    out.push(this.chunk({}, chatFinishReason(status, reason, this.toolCount > 0)));
    const usage = chatUsageFromResponses(resp.usage);
    if (this.includeUsage && usage) out.push({ data: JSON.stringify({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage }) });
    out.push({ data: "[DONE]" });
    this.ended = true;
    return out;
  }

  /** The one error chunk that ends the stream (no `[DONE]` after it). */
  error(f: UpstreamFailure): SseEvent[] {
    this.ended = true;
    return [{ data: JSON.stringify({ error: { message: f.message, type: f.type, code: f.code, param: null } }) }];
  }
}
