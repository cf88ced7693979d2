/**
 * The chunks of chat-via-responses' stream mapper: what each part of a Responses answer becomes
 * in a `chat.completion.chunk` (protocol/openai/responses-stream-reader.ts says when each part
 * comes; stream.ts lists every chunk this writes). Every chunk: one `id` (`chatcmpl-…`),
 * `object`, `created` and `model` (the Response's, once known), `choices: [{index: 0, delta,
 * logprobs: null, finish_reason}]`, plus `usage: null` when `stream_options.include_usage`.
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { ResponsesStreamHandler, TextKind, UpstreamFailure } from "../../openai/responses-stream-reader.ts";
import type { AdapterContext } from "../types.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatUsageFromResponses } from "./usage.ts";

export class ChunkStream implements ResponsesStreamHandler {
  /** The chunks written since the mapper last took them (stream.ts swaps in a new array per event). */
  out: SseEvent[] = [];
  private readonly id: string;
  private readonly includeUsage: boolean;
  private created = 0;
  private model = "";
  private lastReasoningPart: string | undefined;

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

  /** The first chunk: `created` and `model` from the Response when it is known. */
  start(response: Json | undefined): void {
    const r = response ?? {};
    this.created = typeof r.created_at === "number" ? Math.floor(r.created_at) : Math.floor(this.ctx.now() / 1000);
    this.model = typeof r.model === "string" && r.model !== "" ? r.model : typeof this.request.model === "string" ? this.request.model : "";
    this.out.push(this.chunk({ role: "assistant", content: "" }));
  }

  text(kind: TextKind, text: string): void {
    this.out.push(this.chunk({ [kind]: text }));
  }

  /** A blank line between two reasoning parts (summary parts, reasoning items), as mapResponse joins them. */
  reasoning(text: string, _item: string, part: string): void {
    const sep = this.lastReasoningPart !== undefined && this.lastReasoningPart !== part ? "\n\n" : "";
    this.lastReasoningPart = part;
    this.out.push(this.chunk({ reasoning_content: sep + text }));
  }

  reasoningDone(): void {
    // A chat client has nowhere to keep encrypted reasoning.
  }

  toolCall(index: number, callId: string, name: string): void {
    this.out.push(this.chunk({ tool_calls: [{ index, id: callId, type: "function", function: { name, arguments: "" } }] }));
  }

  toolArguments(index: number, fragment: string): void {
    this.out.push(this.chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
  }

  /** The finish chunk, the usage chunk (when asked for and reported), `[DONE]`. */
  finish(response: Json, status: "completed" | "incomplete", calls: number): void {
    const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
    this.out.push(this.chunk({}, chatFinishReason(status, reason, calls > 0)));
    const usage = chatUsageFromResponses(response.usage);
    if (this.includeUsage && usage) this.out.push({ data: JSON.stringify({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage }) });
    this.out.push({ data: "[DONE]" });
  }

  /** The one error chunk that ends the stream (no `[DONE]` after it). */
  error(f: UpstreamFailure): void {
    this.out.push({ data: JSON.stringify({ error: { message: f.message, type: f.type, code: f.code, param: null } }) });
  }
}
