/**
 * Responses API items as the API lists them (`GET /v1/responses/{id}/input_items`, a
 * Response's `output`): every item has an id with its type's prefix. The hub keeps a
 * conversation in this form (hub/responses/), and the responses-via-chat adapter mints the ids
 * of the items it builds here too.
 */
import { isObject, type Json } from "../json.ts";

/** Fresh ids come from the caller (the hub's, or a test's): AdapterContext is one. */
export interface IdSource {
  newId: () => string;
}

export type ItemPrefix = "msg" | "fc" | "fco" | "rs";

/** `msg_…`, `fc_…`, `rs_…`: the protocol's prefix on a fresh id (dashes of a uuid dropped). */
export function itemId(ctx: IdSource, prefix: ItemPrefix): string {
  return `${prefix}_${ctx.newId().replace(/-/g, "")}`;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const ID_PREFIX: Record<string, ItemPrefix> = { message: "msg", function_call: "fc", function_call_output: "fco", reasoning: "rs" };

/**
 * The request's `input` as stored items, each with an id (kept when the client sent one):
 * a string becomes one user message; shorthand `{role, content}` becomes a `message` item;
 * string content becomes one `input_text` part (`output_text` for assistant messages, which
 * are output messages in the API's item list). Other items are kept as sent (plus an id).
 */
export function normalizeInput(body: Json, ctx: IdSource): Json[] {
  const input = body.input;
  if (input === undefined || input === null) return [];
  if (typeof input === "string") {
    return [{ id: itemId(ctx, "msg"), type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  if (!Array.isArray(input)) return [];
  return input.filter(isObject).map((item) => {
    const type = str(item.type) ?? (item.role !== undefined ? "message" : "unknown");
    const prefix = ID_PREFIX[type];
    const id = str(item.id) ?? (prefix ? itemId(ctx, prefix) : undefined);
    const out: Json = id === undefined ? { type } : { id, type };
    for (const [k, v] of Object.entries(item)) if (k !== "id" && k !== "type") out[k] = v;
    if (type === "message") {
      const assistant = item.role === "assistant";
      if (typeof item.content === "string") {
        out.content = [assistant ? { type: "output_text", text: item.content, annotations: [] } : { type: "input_text", text: item.content }];
      }
      if (assistant && out.status === undefined) out.status = "completed";
    }
    return out;
  });
}
