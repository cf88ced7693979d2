/**
 * The repairing pass over a participant's Responses stream (detect.ts says when): a state
 * machine from its decoded events to a stream that passes the grammar the hub's own adapters
 * are held to (test/helpers/responses-stream-check.ts, strict): `event:` line and
 * `sequence_number` 0, 1, 2… on every event; `response.created` and `response.in_progress`
 * with a whole Response object (`output: []`, `model`, `created_at`, …, response.ts); items
 * and parts added and done around their deltas, every delta naming `output_index`, `item_id`
 * and `content_index` (items.ts); one terminal event whose `output` is what was streamed.
 *
 * It reads the participant's events as facts, not as a script to copy: what they say is kept
 * (texts, reasoning, refusals, tool calls, usage, ids, extra fields), where and when it is sent
 * is the grammar's. Seen on llama.cpp's `llama-server` 0.7.0 (test/fixtures/responses/
 * llamacpp-tiny-*.sse; its server-task.cpp shows the rest of what it can send):
 * - `response.created` / `in_progress` with only `{id, object, status}` → the whole object;
 * - no `output_index`, `content_index`, `sequence_number` anywhere → added;
 * - reasoning deltas with no content part, and the reasoning item left open under the message
 *   (all items are closed only at the end) → parts opened, items closed in order, late `.done`
 *   events dropped;
 * - `function_call` items without an `id`, their argument deltas naming the `call_id`, no
 *   `function_call_arguments.done` → an `fc_` id, deltas found by call id, `.done` sent;
 * - an error as `{"error": {…}}` data with no `type` (its chat streams do that) → an `error` event.
 *
 * Endings: `response.completed` / `incomplete` close what is open (the last item `incomplete`
 * for an incomplete response); items the terminal `output` lists but no event announced are
 * streamed whole first. An `error` event, a `response.failed`, a dropped connection (`fail`) or
 * data that is not a JSON event → `error` {code, message, param: null} then `response.failed`
 * with the output so far; nothing after. A stream that ends without a terminal event is
 * completed if the participant sent `[DONE]`, failed (`upstream_incomplete`) otherwise: a clean
 * close in the middle is a cut-off answer. `[DONE]` itself is not passed on (OpenAI sends none).
 * Event types the grammar does not model (annotations, web search, …) pass through with a
 * sequence number, their `item_id` / `output_index` mapped to the repaired item's.
 */
import { relayedCode, type EnvelopeCode } from "../../error-codes.ts";
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext, StreamFailure, StreamMapper } from "../../adapters/types.ts";
import { fullResponse, type Status } from "./response.ts";
import { ITEM_OF, partKindOf, partTextOf, RepairedOutput, type Item, type PartKind } from "./items.ts";

const TEXT_EVENTS: Record<string, PartKind> = {
  "response.output_text": "output_text",
  "response.refusal": "refusal",
  "response.reasoning_text": "reasoning_text",
  "response.reasoning_summary_text": "summary_text",
};

export function createRepairMapper(request: Json, ctx: AdapterContext): StreamMapper {
  let seq = 0;
  let out: SseEvent[] = [];
  const emit = (type: string, fields: Json) => {
    out.push({ event: type, data: JSON.stringify({ type, ...fields, sequence_number: seq++ }) });
  };
  const output = new RepairedOutput(ctx, emit);
  /** The participant's response object as last seen (created, then the terminal one). */
  let upstream: Json = {};
  let id = "";
  let createdAt = 0;
  let started = false;
  let finished = false;
  let sawDone = false;

  const start = () => {
    if (started) return;
    started = true;
    id = typeof upstream.id === "string" && upstream.id !== "" ? upstream.id : `resp_${ctx.newId().replace(/-/g, "")}`;
    createdAt = typeof upstream.created_at === "number" ? upstream.created_at : Math.floor(ctx.now() / 1000);
    const response = fullResponse(request, upstream, { id, createdAt, status: "in_progress", output: [] });
    emit("response.created", { response });
    emit("response.in_progress", { response });
  };

  const terminal = (status: Exclude<Status, "in_progress">, given: Json, extra: Json = {}) => {
    finished = true;
    const response = fullResponse(request, given, { id, createdAt, status, output: output.snapshot(), completedAt: Math.floor(ctx.now() / 1000) });
    emit(`response.${status}`, { ...extra, response });
  };

  const failWith = (code: EnvelopeCode | number, message: string, given: Json = upstream) => {
    const c = String(code);
    emit("error", { code: c, message, param: null });
    terminal("failed", { ...given, error: { code: c, message } });
  };

  /**
   * The item an event is about: the one its `item_id` names (an item id or a call id) while it
   * is open; else the open item of that type, when the event names none or the open item has
   * no id of the participant's (llama.cpp's calls). Otherwise a new item, as `create` allows:
   * `always` for a delta with text (even when it names a closed item: nothing is dropped),
   * `unseen` for events that may come without their item (only when the name is new: a late
   * `.done` for a closed item is dropped), `never` for events with nothing to add.
   */
  const itemFor = (d: Json, type: string, create: "never" | "unseen" | "always"): Item | undefined => {
    const named = output.byAlias(d.item_id);
    if (named && !named.closed && named.type === type) return named;
    const open = output.current;
    if (!named && open && open.type === type && (!d.item_id || !open.named)) {
      output.alias(d.item_id, open);
      return open;
    }
    if (create === "never" || (named && create !== "always")) return undefined;
    const given: Json = type === "function_call" ? { call_id: typeof d.item_id === "string" ? d.item_id : "", name: "" } : {};
    return output.add(type, given, named ? [] : [d.item_id]);
  };

  const onText = (d: Json, kind: PartKind, phase: string) => {
    const text = phase === "delta" ? d.delta : kind === "refusal" ? d.refusal : d.text;
    const hasText = typeof text === "string" && text !== "";
    const item = itemFor(d, ITEM_OF[kind], !hasText ? "never" : phase === "delta" ? "always" : "unseen");
    if (!item) return;
    if (phase === "delta") return output.delta(item, output.part(item, kind), text as string, d.logprobs);
    finishPart(item, kind, kind === "summary_text" ? d.summary_index : d.content_index, text);
  };

  /**
   * A `.done` for a part: the open one is caught up and closed; one already closed (llama.cpp
   * and OpenAI send `output_text.done` then `content_part.done`) is left alone; text for a part
   * never opened is streamed whole.
   */
  const finishPart = (item: Item, kind: PartKind, index: unknown, text: unknown) => {
    let part = output.openPart(item, kind);
    if (!part) {
      const list = kind === "summary_text" ? item.summary : item.content;
      const known = typeof index === "number" ? index < list.length : list.some((p) => p.kind === kind);
      if (known || typeof text !== "string" || text === "") return;
      part = output.part(item, kind);
    }
    output.catchUp(item, part, text);
    output.closePart(item, part);
  };

  const onPart = (d: Json, done: boolean) => {
    const kind = partKindOf(d.part);
    if (!kind) return;
    const text = partTextOf(d.part);
    const item = itemFor(d, ITEM_OF[kind], !done || (typeof text === "string" && text !== "") ? "unseen" : "never");
    if (!item) return;
    if (!done) return void output.part(item, kind);
    finishPart(item, kind, kind === "summary_text" ? d.summary_index : d.content_index, text);
  };

  const onItemDone = (d: Json) => {
    const given = isObject(d.item) ? d.item : {};
    const type = typeof given.type === "string" ? given.type : "message";
    const named = output.byAlias(given.id) ?? (type === "function_call" ? output.byAlias(given.call_id) : undefined);
    if (named?.closed) return;
    const open = output.current;
    const item = named ?? (open && open.type === type && (!given.id || !open.named) ? open : output.add(type, given));
    output.close(item, given, "completed");
  };

  /** Items the terminal output lists that no event announced (matched by id, call id, then position). */
  const catchUpItems = (list: unknown) => {
    if (!Array.isArray(list)) return;
    list.forEach((given: unknown, k: number) => {
      if (!isObject(given) || typeof given.type !== "string") return;
      const named = output.byAlias(given.id) ?? (given.type === "function_call" ? output.byAlias(given.call_id) : undefined);
      if (named || output.items[k]?.type === given.type) return;
      output.close(output.add(given.type, given), given, "completed");
    });
  };

  const onTerminal = (d: Json, type: string) => {
    const given = isObject(d.response) ? d.response : {};
    upstream = { ...upstream, ...given };
    const status = type.slice("response.".length) as "completed" | "incomplete" | "failed";
    if (status === "failed") return terminal("failed", upstream);
    catchUpItems(given.output);
    output.close(output.current, undefined, status === "incomplete" ? "incomplete" : "completed");
    const { type: _t, response: _r, sequence_number: _s, ...extra } = d;
    terminal(status, upstream, extra);
  };

  const onError = (d: Json) => {
    // `{"type":"error", code, message}` (OpenAI), or `{"error": {code, message, type}}` (llama.cpp's chat form).
    const err = isObject(d.error) ? d.error : d;
    const code = err.code ?? (err === d ? undefined : err.type);
    const message = typeof err.message === "string" ? err.message : typeof d.error === "string" ? d.error : "the participant reported an error";
    failWith(code === undefined || code === null || code === "" ? "upstream_error" : relayedCode(String(code)), message);
  };

  const onOther = (d: Json) => {
    const item = output.byAlias(d.item_id) ?? (d.item_id === undefined ? output.current : undefined);
    const { type, sequence_number: _s, ...rest } = d;
    if (item) Object.assign(rest, { item_id: item.id, output_index: item.index });
    emit(type as string, rest);
  };

  const onEvent = (ev: SseEvent) => {
    if (ev.data === "[DONE]") return void (sawDone = true);
    if (ev.data.trim() === "") return;
    let d: unknown;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return failWith("upstream_invalid_chunk", `the participant sent an event that is not JSON: ${ev.data.slice(0, 200)}`);
    }
    if (!isObject(d)) return failWith("upstream_invalid_chunk", `the participant sent an event that is not a JSON object: ${ev.data.slice(0, 200)}`);
    const type = typeof d.type === "string" ? d.type : ev.event;
    if (type === "response.created" || type === "response.in_progress" || type === "response.queued") {
      if (!started && isObject(d.response)) upstream = { ...upstream, ...d.response };
      return start();
    }
    start();
    if (type === "error" || (type === undefined && d.error !== undefined && d.error !== null)) return onError(d);
    if (type === undefined) return failWith("upstream_invalid_chunk", `the participant sent an event without a type: ${ev.data.slice(0, 200)}`);
    const dot = type.lastIndexOf(".");
    const text = TEXT_EVENTS[type.slice(0, dot)];
    if (text) return onText(d, text, type.slice(dot + 1));
    switch (type) {
      case "response.output_item.added": {
        const item = isObject(d.item) ? d.item : {};
        return void output.add(typeof item.type === "string" ? item.type : "message", item);
      }
      case "response.output_item.done":
        return onItemDone(d);
      case "response.content_part.added":
        return onPart(d, false);
      case "response.content_part.done":
        return onPart(d, true);
      case "response.reasoning_summary_part.added":
        return onPart({ ...d, part: { type: "summary_text", text: "" } }, false);
      case "response.reasoning_summary_part.done":
        return onPart({ ...d, part: { type: "summary_text", text: isObject(d.part) ? d.part.text : undefined } }, true);
      case "response.function_call_arguments.delta": {
        // Arguments after their call closed cannot be sent: a second call with the same id would be worse.
        const item = itemFor(d, "function_call", typeof d.delta === "string" && d.delta !== "" ? "unseen" : "never");
        return item && output.argsDelta(item, typeof d.delta === "string" ? d.delta : "");
      }
      case "response.function_call_arguments.done": {
        const item = itemFor(d, "function_call", typeof d.arguments === "string" && d.arguments !== "" ? "unseen" : "never");
        return item && output.argsDone(item, d.arguments);
      }
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        return onTerminal(d, type);
      default:
        return onOther(d);
    }
  };

  const run = (f: () => void): SseEvent[] => {
    if (finished) return [];
    out = [];
    f();
    return out;
  };

  return {
    push: (ev) => run(() => onEvent(ev)),
    end: () =>
      run(() => {
        start();
        if (sawDone) {
          output.close(output.current, undefined, "completed");
          terminal("completed", upstream);
        } else failWith("upstream_incomplete", "the participant's stream ended before its response was complete (no response.completed)");
      }),
    fail: (error: StreamFailure) =>
      run(() => {
        start();
        failWith(error.code ?? "server_error", error.message);
      }),
  };
}
