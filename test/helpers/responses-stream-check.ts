/**
 * A Responses API stream (https://platform.openai.com/docs/api-reference/responses-streaming)
 * checked event by event, and assembled into what a client ends up with.
 *
 * `checkResponsesStream(events)` throws `ResponsesGrammarError` naming the event index and the
 * rule on the first violation:
 * - the event's type is its data's `type`; an `event:` line, when present, must agree;
 * - `response.created` first, then `response.in_progress`, both with status `in_progress`;
 * - if the first event has `sequence_number`, every event has one and they strictly increase;
 * - `response.output_item.added` numbers items 0, 1, 2… by `output_index`, each with a fresh id;
 *   every later event of an item names the same `output_index` and `item_id`, comes after the
 *   item's `added` and before its `done`; content parts (`content_index`) and summary parts
 *   (`summary_index`) are added in order, get their deltas, `.done`, then `part.done`;
 * - a `.done` text (output_text, refusal, reasoning_text, reasoning_summary_text) and a
 *   `function_call_arguments.done` equal the concatenated deltas, when there were deltas
 *   (LM Studio sends only the `.done`); `content_part.done`'s part carries the same text;
 * - `response.output_item.done` carries the assembled item (texts, arguments, call_id, name);
 * - exactly one terminal event (`response.completed` | `response.incomplete` | `response.failed`),
 *   after every item is done (except for `response.failed`); after it nothing but an optional
 *   `[DONE]` (OpenRouter sends one); the terminal response's `output` has the assembled items.
 *
 * Real recordings legitimately differ in places, so the default is lenient there: OpenAI's
 * March 2025 stream has no `sequence_number`; OpenRouter's data-only SSE has no `event:` lines,
 * interleaves items (the reasoning item is closed after the message) and renames the reasoning
 * item in `response.completed`; OpenAI rotates `encrypted_content` between events. With
 * `{ strict: true }` (for streams gambi produces) those differences are errors too:
 * `event:` lines required, `sequence_number` 0, 1, 2… on every event, one item open at a time,
 * text `.done` only after at least one delta when non-empty, and `output_item.done` items and
 * the terminal `output` deep-equal to the assembled items, ids included (a `response.failed`
 * output lists every item so far, one still open compared by its texts). One difference stays
 * allowed: a reasoning item's `encrypted_content` may first appear in its `output_item.done`
 * (the hub learns a thinking block's signature at the block's end, as OpenAI's own items change
 * it between events); the terminal `output` must then carry the same.
 *
 * `assembleResponses(events)` checks (lenient unless told) and returns the client's view: text
 * (output_text parts of all message items, in order), reasoning (reasoning_text parts, then
 * summaries), refusal, tool calls, usage, status, incomplete reason and error.
 */
import { deepEqual } from "node:assert/strict";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";

type Json = Record<string, any>;

export interface CheckOptions {
  strict?: boolean;
}

export interface AssembledResponses {
  text: string;
  reasoning: string;
  refusal: string;
  toolCalls: { callId: string; name: string; arguments: string }[];
  usage?: { input: number; output: number; total: number; cached?: number; reasoningTokens?: number };
  status: "completed" | "incomplete" | "failed";
  incompleteReason?: string;
  error?: { code: string | null; message: string };
  /** The terminal event's response object. */
  response: Json;
  /** The items as assembled from the events, in output_index order. */
  output: Json[];
}

export class ResponsesGrammarError extends Error {
  override name = "ResponsesGrammarError";
}

const TEXT_KIND: Record<string, { part: string; field: string }> = {
  "response.output_text": { part: "output_text", field: "text" },
  "response.refusal": { part: "refusal", field: "refusal" },
  "response.reasoning_text": { part: "reasoning_text", field: "text" },
};

interface Part {
  part: Json;
  deltas: string[];
  sawDelta: boolean;
  text?: string; // set by the `.done` text event
  done?: Json; // the `part.done` part
}

interface Item {
  index: number;
  added: Json;
  parts: Part[];
  summary: Part[];
  args: string[];
  sawArgsDelta: boolean;
  argsDone?: string;
  done?: Json;
}

interface Outcome {
  items: Item[];
  terminal: { type: string; response: Json };
  errorEvent?: Json;
}

export function checkResponsesStream(events: SseEvent[], opts: CheckOptions = {}): void {
  run(events, opts);
}

export function assembleResponses(events: SseEvent[], opts: CheckOptions = {}): AssembledResponses {
  const { items, terminal, errorEvent } = run(events, opts);
  const out: AssembledResponses = {
    text: "",
    reasoning: "",
    refusal: "",
    toolCalls: [],
    status: terminal.type.slice("response.".length) as AssembledResponses["status"],
    response: terminal.response,
    output: items.map(assembledItem),
  };
  for (const item of out.output) {
    if (item.type === "message") {
      for (const p of item.content ?? []) {
        if (p.type === "output_text") out.text += p.text;
        else if (p.type === "refusal") out.refusal += p.refusal;
      }
    } else if (item.type === "reasoning") {
      for (const p of item.content ?? []) if (p.type === "reasoning_text") out.reasoning += p.text;
      for (const p of item.summary ?? []) if (typeof p.text === "string") out.reasoning += p.text;
    } else if (item.type === "function_call") {
      out.toolCalls.push({ callId: item.call_id, name: item.name, arguments: item.arguments });
    }
  }
  const u = terminal.response.usage;
  if (u && typeof u === "object") {
    out.usage = { input: u.input_tokens, output: u.output_tokens, total: u.total_tokens };
    const cached = u.input_tokens_details?.cached_tokens;
    const reasoning = u.output_tokens_details?.reasoning_tokens;
    if (typeof cached === "number") out.usage.cached = cached;
    if (typeof reasoning === "number") out.usage.reasoningTokens = reasoning;
  }
  const reason = terminal.response.incomplete_details?.reason;
  if (out.status === "incomplete" && typeof reason === "string") out.incompleteReason = reason;
  const err = errorEvent ? (errorEvent.error ?? errorEvent) : out.status === "failed" ? terminal.response.error : undefined;
  if (err && typeof err === "object") out.error = { code: err.code ?? null, message: err.message };
  return out;
}

function run(events: SseEvent[], opts: CheckOptions): Outcome {
  const strict = opts.strict === true;
  const items: Item[] = [];
  const byId = new Map<string, Item>();
  let terminal: Outcome["terminal"] | undefined;
  let errorEvent: Json | undefined;
  let withSeq: boolean | undefined;
  let lastSeq = -1;
  let n = 0; // index among non-[DONE] events
  let i = -1;
  const fail = (msg: string): never => {
    throw new ResponsesGrammarError(`event #${i}: ${msg}`);
  };
  const need = (cond: unknown, msg: string) => {
    if (!cond) fail(msg);
  };
  const itemOf = (d: Json, kind?: string): Item => {
    need(typeof d.output_index === "number", `${d.type} without output_index`);
    const item = items[d.output_index];
    need(item, `${d.type} for output_index ${d.output_index}, which was never added`);
    need(d.item_id === undefined || d.item_id === item!.added.id, `${d.type} item_id ${d.item_id} is not item ${d.output_index}'s id ${item!.added.id}`);
    need(d.item_id !== undefined || d.type.startsWith("response.output_item."), `${d.type} without item_id`);
    need(!item!.done, `${d.type} after output_item.done of item ${d.output_index}`);
    need(!kind || item!.added.type === kind, `${d.type} on a ${item!.added.type} item (expected ${kind})`);
    if (strict) need(items.every((o) => o === item || o.done), `${d.type} for item ${d.output_index} while another item is open`);
    return item!;
  };
  const partOf = (list: Part[], idx: unknown, d: Json, what: string): Part => {
    need(typeof idx === "number", `${d.type} without ${what}`);
    const p = list[idx as number];
    need(p, `${d.type} for ${what} ${idx}, which was never added`);
    need(!p!.done, `${d.type} after the part's done`);
    return p!;
  };

  for (i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.data === "[DONE]") {
      need(terminal, "[DONE] before the terminal event");
      need(i === events.length - 1, "events after [DONE]");
      continue;
    }
    need(!terminal, `event after the terminal ${terminal?.type}`);
    let d: Json;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return fail(`data is not JSON: ${ev.data.slice(0, 80)}`);
    }
    need(d && typeof d === "object" && typeof d.type === "string", "data without a string type");
    const type: string = d.type;
    if (ev.event !== undefined) need(ev.event === type, `event: ${ev.event} but data.type ${type}`);
    else need(!strict, `no event: line for ${type}`);

    // sequence_number
    if (withSeq === undefined) withSeq = typeof d.sequence_number === "number";
    if (strict) need(d.sequence_number === n, `sequence_number ${d.sequence_number}, expected ${n}`);
    else if (withSeq) {
      need(typeof d.sequence_number === "number" && d.sequence_number > lastSeq, `sequence_number ${d.sequence_number} after ${lastSeq}`);
      lastSeq = d.sequence_number;
    }

    if (n === 0) need(type === "response.created", `first event is ${type}, not response.created`);
    if (n === 1) need(type === "response.in_progress", `second event is ${type}, not response.in_progress`);
    n++;

    switch (type) {
      case "response.created":
      case "response.in_progress":
        need(n <= 2, `${type} again`);
        need(d.response?.status === "in_progress" || d.response?.status === "queued", `${type} with status ${d.response?.status}`);
        need(Array.isArray(d.response?.output), `${type} without an output array`);
        need(d.response.output.length === 0, `${type} with non-empty output`);
        break;

      case "response.output_item.added": {
        need(d.output_index === items.length, `output_item.added at output_index ${d.output_index}, expected ${items.length}`);
        const it = d.item;
        need(it && typeof it.type === "string" && typeof it.id === "string" && it.id.length > 0, "output_item.added without item id/type");
        need(!byId.has(it.id), `item id ${it.id} used twice`);
        if (strict) need(items.every((o) => o.done), "output_item.added while another item is open");
        const item: Item = { index: items.length, added: it, parts: [], summary: [], args: [], sawArgsDelta: false };
        items.push(item);
        byId.set(it.id, item);
        break;
      }

      case "response.content_part.added": {
        const item = itemOf(d);
        need(d.content_index === item.parts.length, `content_part.added at content_index ${d.content_index}, expected ${item.parts.length}`);
        const t = d.part?.type;
        const ok = item.added.type === "message" ? t === "output_text" || t === "refusal" : item.added.type === "reasoning" ? t === "reasoning_text" : false;
        need(ok, `content part ${t} on a ${item.added.type} item`);
        need((d.part[t === "refusal" ? "refusal" : "text"] ?? "") === "", "content_part.added with non-empty text");
        if (strict) need(item.parts.every((p) => p.done), "content_part.added while another part is open");
        item.parts.push({ part: d.part, deltas: [], sawDelta: false });
        break;
      }

      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.reasoning_text.delta": {
        const kind = TEXT_KIND[type.slice(0, -".delta".length)]!;
        const item = itemOf(d);
        const p = partOf(item.parts, d.content_index, d, "content_index");
        need(p.part.type === kind.part, `${type} on a ${p.part.type} part`);
        need(p.text === undefined, `${type} after the text's done`);
        need(typeof d.delta === "string", `${type} without a string delta`);
        p.deltas.push(d.delta);
        p.sawDelta = true;
        break;
      }

      case "response.output_text.done":
      case "response.refusal.done":
      case "response.reasoning_text.done": {
        const kind = TEXT_KIND[type.slice(0, -".done".length)]!;
        const item = itemOf(d);
        const p = partOf(item.parts, d.content_index, d, "content_index");
        need(p.part.type === kind.part, `${type} on a ${p.part.type} part`);
        need(p.text === undefined, `${type} twice`);
        const text = d[kind.field === "refusal" ? "refusal" : "text"];
        need(typeof text === "string", `${type} without its text`);
        if (p.sawDelta) need(text === p.deltas.join(""), `${type} text ${JSON.stringify(text)} differs from the deltas ${JSON.stringify(p.deltas.join(""))}`);
        else if (strict) need(text === "", `${type} with text but no deltas`);
        p.text = text;
        break;
      }

      case "response.content_part.done": {
        const item = itemOf(d);
        const p = partOf(item.parts, d.content_index, d, "content_index");
        need(p.text !== undefined, "content_part.done before the text's done event");
        need(d.part?.type === p.part.type, `content_part.done type ${d.part?.type}, added as ${p.part.type}`);
        need(partText(d.part) === p.text, `content_part.done text differs from the text's done event`);
        // logprobs may fill in between added and done (LM Studio; gambi with top_logprobs).
        if (strict) deepStrict({ ...d.part, logprobs: undefined }, { ...p.part, logprobs: undefined, [p.part.type === "refusal" ? "refusal" : "text"]: p.text }, fail, "content_part.done part");
        p.done = d.part;
        break;
      }

      case "response.reasoning_summary_part.added": {
        const item = itemOf(d, "reasoning");
        need(d.summary_index === item.summary.length, `summary_part.added at summary_index ${d.summary_index}, expected ${item.summary.length}`);
        need(d.part?.type === "summary_text", `summary part of type ${d.part?.type}`);
        item.summary.push({ part: d.part, deltas: [], sawDelta: false });
        break;
      }

      case "response.reasoning_summary_text.delta":
      case "response.reasoning_summary_text.done": {
        const item = itemOf(d, "reasoning");
        const p = partOf(item.summary, d.summary_index, d, "summary_index");
        need(p.text === undefined, `${type} after reasoning_summary_text.done`);
        if (type.endsWith(".delta")) {
          need(typeof d.delta === "string", `${type} without a string delta`);
          p.deltas.push(d.delta);
          p.sawDelta = true;
        } else {
          need(typeof d.text === "string", `${type} without text`);
          if (p.sawDelta) need(d.text === p.deltas.join(""), `${type} text differs from the deltas`);
          p.text = d.text;
        }
        break;
      }

      case "response.reasoning_summary_part.done": {
        const item = itemOf(d, "reasoning");
        const p = partOf(item.summary, d.summary_index, d, "summary_index");
        need(p.text !== undefined && d.part?.text === p.text, "reasoning_summary_part.done text differs from the summary text's done");
        p.done = d.part;
        break;
      }

      case "response.function_call_arguments.delta":
      case "response.function_call_arguments.done": {
        const item = itemOf(d, "function_call");
        need(item.argsDone === undefined, `${type} after function_call_arguments.done`);
        if (type.endsWith(".delta")) {
          need(typeof d.delta === "string", `${type} without a string delta`);
          item.args.push(d.delta);
          item.sawArgsDelta = true;
        } else {
          need(typeof d.arguments === "string", `${type} without arguments`);
          if (item.sawArgsDelta) need(d.arguments === item.args.join(""), `${type} arguments ${JSON.stringify(d.arguments)} differ from the deltas ${JSON.stringify(item.args.join(""))}`);
          else if (strict) need(d.arguments === (item.added.arguments ?? ""), `${type} with arguments but no deltas`);
          item.argsDone = d.arguments;
        }
        break;
      }

      case "response.output_item.done": {
        const item = itemOf(d);
        need(d.item && d.item.id === item.added.id && d.item.type === item.added.type, `output_item.done item id/type differ from the added item`);
        need(item.parts.every((p) => p.done) && item.summary.every((p) => p.done), `output_item.done with a content part still open`);
        if (item.added.type === "function_call" && (item.sawArgsDelta || strict)) need(item.argsDone !== undefined, "output_item.done before function_call_arguments.done");
        item.done = d.item;
        sameItem(d.item, item, strict, fail, "output_item.done");
        break;
      }

      case "error":
        need(!errorEvent, "a second error event");
        errorEvent = d;
        need(typeof (d.error?.message ?? d.message) === "string", "error event without a message");
        break;

      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        const r = d.response;
        need(r && typeof r === "object", `${type} without a response`);
        need(r.status === type.slice("response.".length), `${type} with status ${r.status}`);
        if (type !== "response.failed") need(items.every((o) => o.done), `${type} with item(s) still open`);
        if (type === "response.failed") need(r.error && typeof r.error.message === "string", "response.failed without response.error");
        else need(!errorEvent, `${type} after an error event`);
        if (type === "response.incomplete") need(typeof r.incomplete_details?.reason === "string", "response.incomplete without incomplete_details.reason");
        need(Array.isArray(r.output), `${type} without an output array`);
        if (type !== "response.failed" || strict) {
          // A failed response lists the items so far; one still open is compared by its texts.
          need(r.output.length === items.length, `${type} output has ${r.output.length} items, the stream ${items.length}`);
          items.forEach((o, k) => sameItem(r.output[k], o, strict && !!o.done, fail, `${type} output[${k}]`, !strict));
        }
        terminal = { type, response: r };
        break;
      }

      default:
        // Event kinds gambi never produces and this checker does not model (web search, code
        // interpreter, annotations, …) are let through in lenient mode only.
        need(!strict, `unexpected event type ${type}`);
    }
  }
  i = events.length;
  need(n >= 2, "stream ends before response.in_progress");
  need(terminal, "no terminal event (response.completed / incomplete / failed)");
  return { items, terminal: terminal!, errorEvent };
}

function partText(p: Json | undefined): unknown {
  return p?.type === "refusal" ? p.refusal : p?.text;
}

/** The item a client assembles from the events: the added item with its parts/arguments filled in. */
function assembledItem(item: Item): Json {
  const base: Json = { ...item.added, ...(item.done ?? {}) };
  if (item.parts.length > 0) base.content = item.parts.map((p) => ({ ...(p.done ?? p.part), [p.part.type === "refusal" ? "refusal" : "text"]: p.text ?? p.deltas.join("") }));
  if (item.summary.length > 0) base.summary = item.summary.map((p) => ({ ...(p.done ?? p.part), text: p.text ?? p.deltas.join("") }));
  if (item.added.type === "function_call") base.arguments = item.argsDone ?? (item.sawArgsDelta ? item.args.join("") : (item.added.arguments ?? ""));
  return base;
}

/** `got` (an output_item.done item or a terminal output entry) against what the events built. */
function sameItem(got: Json | undefined, item: Item, strict: boolean, fail: (m: string) => never, where: string, ignoreId = false): void {
  if (!got || typeof got !== "object") fail(`${where}: missing`);
  if (got!.type !== item.added.type) fail(`${where}: type ${got!.type}, expected ${item.added.type}`);
  if (!ignoreId && got!.id !== item.added.id) fail(`${where}: id ${got!.id}, expected ${item.added.id}`);
  const built = assembledItem(item);
  if (strict) {
    // output_item.done: the added item with the streamed parts/arguments and a final status;
    // the terminal output: exactly the output_item.done item.
    if (item.done && got !== item.done) return deepStrict(got, item.done, fail, where);
    const expected: Json = { ...item.added, status: got!.status };
    if (item.added.type === "reasoning" && "encrypted_content" in got! && !("encrypted_content" in item.added)) expected.encrypted_content = got!.encrypted_content;
    if (!("status" in item.added) && !("status" in got!)) delete expected.status;
    if (item.parts.length > 0) expected.content = built.content;
    if (item.summary.length > 0) expected.summary = built.summary;
    if (item.added.type === "function_call") expected.arguments = built.arguments;
    return deepStrict(got, expected, fail, where);
  }
  const texts = (parts: Json[] | undefined) => (parts ?? []).map((p) => `${p.type}:${partText(p)}`);
  if (item.parts.length > 0 || (got!.content?.length ?? 0) > 0) {
    const a = JSON.stringify(texts(got!.content));
    const b = JSON.stringify(texts(built.content));
    if (a !== b) fail(`${where}: content ${a}, the events built ${b}`);
  }
  if (item.summary.length > 0) {
    const a = JSON.stringify(texts(got!.summary));
    const b = JSON.stringify(texts(built.summary));
    if (a !== b) fail(`${where}: summary ${a}, the events built ${b}`);
  }
  if (item.added.type === "function_call") {
    for (const k of ["call_id", "name", "arguments"]) {
      if (got![k] !== built[k]) fail(`${where}: ${k} ${JSON.stringify(got![k])}, expected ${JSON.stringify(built[k])}`);
    }
  }
}

function deepStrict(got: unknown, expected: unknown, fail: (m: string) => never, where: string): void {
  try {
    deepEqual(got, expected);
  } catch {
    fail(`${where}: ${JSON.stringify(got)} differs from the assembled ${JSON.stringify(expected)}`);
  }
}
