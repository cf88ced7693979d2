/**
 * The output side of the repairing pass (stream.ts reads the participant's events and calls
 * in here): output items and their parts, opened and closed in the order the Responses grammar
 * wants, each event carrying `output_index`, `item_id` and `content_index` / `summary_index`.
 *
 * - One item is open at a time, as in OpenAI's streams: opening one closes the one before
 *   (llama.cpp keeps its reasoning item open under the message, and closes every item only at
 *   the end). An event for an item already closed is late: a `.done` is dropped (its text was
 *   sent), a delta with text opens a new item of the same kind (nothing is lost).
 * - Items get ids when they have none (llama.cpp's `function_call` items) with the type's
 *   prefix; the participant's ids, and a call's `call_id`, stay aliases for finding the item
 *   again (llama.cpp names a call's argument deltas by `"fc_" + id`, its `call_id`).
 * - Parts are opened when text needs one (a delta without `content_part.added`), closed with
 *   their `.done` and `part.done` events, and caught up from a `.done` or an item's final
 *   content when the participant sent text there that no delta carried (LM Studio sends tool
 *   arguments only in `.done`; a server may list a whole part only at the end).
 * - A closed item's `output_item.done` is the added item with its status and assembled
 *   content, summary or arguments, so it equals what the client built from the events.
 */
import { isObject, type Json } from "../../json.ts";
import { itemId, type IdSource, type ItemPrefix } from "../responses-items.ts";

export type PartKind = "output_text" | "refusal" | "reasoning_text" | "summary_text";
export type ItemStatus = "completed" | "incomplete";
/** Whether a part belongs to an item's `content` or (reasoning) its `summary`. */
type List = "content" | "summary";

interface Part {
  kind: PartKind;
  text: string;
  logprobs: Json[];
  open: boolean;
}

export interface Item {
  index: number;
  id: string;
  type: string;
  added: Json;
  /** Whether the participant gave it an id (else it was minted here). */
  named: boolean;
  content: Part[];
  summary: Part[];
  args: string;
  argsDone: boolean;
  closed: boolean;
  /** Its `output_item.done` item, once closed. */
  final?: Json;
}

export type Emit = (type: string, fields: Json) => void;

const PREFIX: Record<string, ItemPrefix> = { message: "msg", reasoning: "rs", function_call: "fc" };
const DELTA: Record<PartKind, string> = {
  output_text: "response.output_text.delta",
  refusal: "response.refusal.delta",
  reasoning_text: "response.reasoning_text.delta",
  summary_text: "response.reasoning_summary_text.delta",
};
/** The item type a part of this kind lives in. */
export const ITEM_OF: Record<PartKind, string> = { output_text: "message", refusal: "message", reasoning_text: "reasoning", summary_text: "reasoning" };
const listOf = (kind: PartKind): List => (kind === "summary_text" ? "summary" : "content");
const textKey = (kind: PartKind) => (kind === "refusal" ? "refusal" : "text");

export function partKindOf(part: unknown): PartKind | undefined {
  const t = isObject(part) ? part.type : undefined;
  return t === "output_text" || t === "refusal" || t === "reasoning_text" || t === "summary_text" ? t : undefined;
}

export function partTextOf(part: unknown): unknown {
  return isObject(part) ? part[part.type === "refusal" ? "refusal" : "text"] : undefined;
}

export class RepairedOutput {
  readonly items: Item[] = [];
  private open: Item | undefined;
  private readonly aliases = new Map<string, Item>();

  constructor(
    private readonly ids: IdSource,
    private readonly emit: Emit,
  ) {}

  /** The item a participant's id (an item id, a call id) names, open or closed. */
  byAlias(id: unknown): Item | undefined {
    return typeof id === "string" && id !== "" ? this.aliases.get(id) : undefined;
  }

  /** Another name the participant uses for the item (the first item to claim a name keeps it). */
  alias(id: unknown, item: Item): void {
    if (typeof id === "string" && id !== "" && !this.aliases.has(id)) this.aliases.set(id, item);
  }

  get current(): Item | undefined {
    return this.open;
  }

  /** Opens an item (closing the one before) from the participant's item, or from nothing. */
  add(type: string, given: Json = {}, aliases: unknown[] = []): Item {
    this.close(this.open, undefined, "completed");
    const prefix = PREFIX[type];
    const own = typeof given.id === "string" && given.id !== "" && !this.aliases.has(given.id) ? given.id : undefined;
    const id = own ?? (prefix ? itemId(this.ids, prefix) : `item_${this.ids.newId().replace(/-/g, "")}`);
    const added = addedItem(type, id, given);
    const item: Item = { index: this.items.length, id, type, added, named: own !== undefined, content: [], summary: [], args: "", argsDone: false, closed: false };
    this.items.push(item);
    for (const a of [id, given.id, type === "function_call" ? given.call_id : undefined, ...aliases]) this.alias(a, item);
    this.open = item;
    this.emit("response.output_item.added", { item: added, output_index: item.index });
    const args = type === "function_call" && typeof given.arguments === "string" ? given.arguments : "";
    if (args !== "") this.argsDelta(item, args);
    return item;
  }

  /** The open part of this kind in the item, opened if there is none. */
  part(item: Item, kind: PartKind): Part {
    const list = item[listOf(kind)];
    const last = list.at(-1);
    if (last?.open && last.kind === kind) return last;
    if (last?.open) this.closePart(item, last);
    const part: Part = { kind, text: "", logprobs: [], open: true };
    list.push(part);
    const at = this.at(item, kind, list.length - 1);
    if (kind === "summary_text") this.emit("response.reasoning_summary_part.added", { ...at, part: { type: "summary_text", text: "" } });
    else this.emit("response.content_part.added", { ...at, part: partJson(kind, "") });
    return part;
  }

  /** The open part of this kind, if there is one (nothing is opened). */
  openPart(item: Item, kind: PartKind): Part | undefined {
    const last = item[listOf(kind)].at(-1);
    return last?.open && last.kind === kind ? last : undefined;
  }

  delta(item: Item, part: Part, delta: string, logprobs?: unknown): void {
    if (delta === "") return;
    part.text += delta;
    const fields: Json = { ...this.at(item, part.kind, item[listOf(part.kind)].indexOf(part)), delta };
    if (part.kind === "output_text") {
      const lp = Array.isArray(logprobs) ? logprobs : [];
      part.logprobs.push(...lp);
      fields.logprobs = lp;
    }
    this.emit(DELTA[part.kind], fields);
  }

  /** Sends what `full` has beyond the part's text, when it extends it (a `.done` after fewer deltas, or none). */
  catchUp(item: Item, part: Part, full: unknown): void {
    if (typeof full === "string" && full.length > part.text.length && full.startsWith(part.text)) this.delta(item, part, full.slice(part.text.length));
  }

  closePart(item: Item, part: Part): void {
    if (!part.open) return;
    part.open = false;
    const at = this.at(item, part.kind, item[listOf(part.kind)].indexOf(part));
    if (part.kind === "summary_text") {
      this.emit("response.reasoning_summary_text.done", { ...at, text: part.text });
      this.emit("response.reasoning_summary_part.done", { ...at, part: { type: "summary_text", text: part.text } });
      return;
    }
    const done: Json = { ...at, [textKey(part.kind)]: part.text };
    if (part.kind === "output_text") done.logprobs = part.logprobs;
    this.emit(`response.${part.kind}.done`, done);
    this.emit("response.content_part.done", { ...at, part: partJson(part.kind, part.text, part.logprobs) });
  }

  argsDelta(item: Item, delta: string): void {
    if (delta === "" || item.argsDone) return;
    item.args += delta;
    this.emit("response.function_call_arguments.delta", { delta, item_id: item.id, output_index: item.index });
  }

  argsDone(item: Item, full: unknown): void {
    if (item.argsDone) return;
    if (typeof full === "string" && full.length > item.args.length && full.startsWith(item.args)) this.argsDelta(item, full.slice(item.args.length));
    item.argsDone = true;
    this.emit("response.function_call_arguments.done", { arguments: item.args, item_id: item.id, output_index: item.index });
  }

  /**
   * Closes the item with its `.done` events: parts the participant's final item (`given`) has
   * beyond what was streamed are streamed first, open parts and arguments are finished.
   */
  close(item: Item | undefined, given: Json | undefined, status: ItemStatus): void {
    if (!item || item.closed) return;
    for (const list of ["content", "summary"] as const) {
      const src = given && Array.isArray(given[list]) ? given[list] : [];
      src.forEach((p: unknown, j: number) => {
        const kind = partKindOf(p);
        if (!kind || listOf(kind) !== list || ITEM_OF[kind] !== item.type) return;
        const have = item[list][j];
        if (have && !have.open) return;
        const text = partTextOf(p);
        if (!have && (typeof text !== "string" || text === "")) return;
        const part = have && have.kind === kind ? have : this.part(item, kind);
        this.catchUp(item, part, text);
        this.closePart(item, part);
      });
      for (const part of item[list]) this.closePart(item, part);
    }
    if (item.type === "function_call") this.argsDone(item, given?.arguments);
    item.closed = true;
    if (this.open === item) this.open = undefined;
    item.final = this.finalItem(item, given, status);
    this.emit("response.output_item.done", { item: item.final, output_index: item.index });
  }

  /** Every item as it stands: closed ones as sent, the open one (if any) as far as it got, `incomplete`. */
  snapshot(): Json[] {
    return this.items.map((item) => item.final ?? this.finalItem(item, undefined, "incomplete"));
  }

  private finalItem(item: Item, given: Json | undefined, status: ItemStatus): Json {
    if (!PREFIX[item.type]) return given ? { ...given, id: item.id } : { ...item.added, status };
    const out: Json = { ...item.added };
    // Fields the participant only gave at the end (a call's name) are kept; the rest is the added item's.
    if (given) for (const [k, v] of Object.entries(given)) if (!(k in out) && k !== "content" && k !== "summary") out[k] = v;
    out.status = status;
    if (item.content.length) out.content = item.content.map((p) => partJson(p.kind, p.text, p.logprobs));
    if (item.summary.length) out.summary = item.summary.map((p) => ({ type: "summary_text", text: p.text }));
    if (item.type === "function_call") out.arguments = item.args;
    return out;
  }

  private at(item: Item, kind: PartKind, index: number): Json {
    return { item_id: item.id, output_index: item.index, [kind === "summary_text" ? "summary_index" : "content_index"]: index };
  }
}

/** The item as `output_item.added` shows it: no content yet, status in_progress, the participant's other fields kept. */
function addedItem(type: string, id: string, given: Json): Json {
  const rest: Json = {};
  for (const [k, v] of Object.entries(given)) if (!["id", "type", "status", "content", "summary", "arguments"].includes(k)) rest[k] = v;
  if (type === "message") return { id, type, status: "in_progress", content: [], role: "assistant", ...rest };
  if (type === "reasoning") return { id, type, summary: [], content: [], ...rest };
  if (type === "function_call") return { id, type, status: "in_progress", arguments: "", call_id: "", name: "", ...rest };
  return { ...given, id, type };
}

function partJson(kind: PartKind, text: string, logprobs: Json[] = []): Json {
  if (kind === "output_text") return { type: kind, annotations: [], logprobs: [...logprobs], text };
  if (kind === "refusal") return { type: kind, refusal: text };
  return { type: kind, text };
}
