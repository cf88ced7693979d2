/**
 * The repairing pass over a non-streaming Response body (detect.ts says when): the same whole
 * Response object the stream's events carry (response.ts), and output items with what clients
 * read of them. llama.cpp's `llama-server` 0.7.0 answers with 8 of the object's fields
 * (test/fixtures/responses/llamacpp-tiny-text.json) and lists `function_call` items with no id.
 *
 * Per item: an id with its type's prefix when it has none (or one an earlier item took); a
 * message's and a call's `status` (`completed` unless said); a message's `role`; an
 * `output_text` part's `annotations` and `logprobs` (empty when absent); a call's `arguments`,
 * `call_id` and `name` as strings. Anything else the participant sent is kept as it was.
 */
import { isObject, type Json } from "../../json.ts";
import type { AdapterContext } from "../../adapters/types.ts";
import { itemId, type ItemPrefix } from "../responses-items.ts";
import { fullResponse, type Status } from "./response.ts";

const PREFIX: Record<string, ItemPrefix> = { message: "msg", reasoning: "rs", function_call: "fc" };
const STATUSES = new Set(["in_progress", "completed", "incomplete", "failed"]);

export function repairBody(body: Json, request: Json, ctx: AdapterContext): Json {
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const status = (typeof body.status === "string" && STATUSES.has(body.status) ? body.status : "completed") as Status;
  const used = new Set<string>();
  const output = (Array.isArray(body.output) ? body.output : []).filter(isObject).map((item) => repairItem(item, ctx, used));
  return fullResponse(request, body, {
    id: typeof body.id === "string" && body.id !== "" ? body.id : `resp_${ctx.newId().replace(/-/g, "")}`,
    createdAt: typeof body.created_at === "number" ? body.created_at : nowSeconds,
    status,
    output,
    completedAt: status === "in_progress" ? undefined : nowSeconds,
  });
}

function repairItem(item: Json, ctx: AdapterContext, used: Set<string>): Json {
  const type = typeof item.type === "string" ? item.type : "message";
  const prefix = PREFIX[type];
  let id = typeof item.id === "string" && item.id !== "" && !used.has(item.id) ? item.id : undefined;
  id ??= prefix ? itemId(ctx, prefix) : `item_${ctx.newId().replace(/-/g, "")}`;
  used.add(id);
  const out: Json = { id, type };
  if (type === "message") Object.assign(out, { status: "completed", content: [], role: "assistant" });
  if (type === "function_call") Object.assign(out, { status: "completed", arguments: "", call_id: "", name: "" });
  for (const [k, v] of Object.entries(item)) if (k !== "id" && k !== "type" && v !== undefined && v !== null) out[k] = v;
  if (type === "message" && Array.isArray(out.content)) {
    out.content = out.content.map((p: unknown) => (isObject(p) && p.type === "output_text" ? { type: p.type, annotations: [], logprobs: [], ...p } : p));
  }
  if (type === "function_call") for (const k of ["arguments", "call_id", "name"]) if (typeof out[k] !== "string") out[k] = typeof out[k] === "object" ? JSON.stringify(out[k]) : String(out[k] ?? "");
  return out;
}
