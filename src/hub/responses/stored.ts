/**
 * The Responses lifecycle routes for responses the hub keeps itself (participants without the Responses API, or that keep none):
 * `GET /v1/responses/:id`, `GET …/input_items` (the API's paginated list), `DELETE …`, and
 * `POST …/cancel`, which aborts the upstream request of a response still in progress.
 * Returns undefined for an id the hub does not hold, so the caller (routes.ts) forwards it to
 * the participant that does (lifecycle.ts).
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Json } from "../../protocol/json.ts";
import type { StoredResponse } from "./response-store.ts";
import type { HubContext } from "../context.ts";
import type { Room } from "../rooms/registry.ts";

export type LifecycleAction = "get" | "input_items" | "delete" | "cancel";

const headersFor = (entry: StoredResponse) => ({ "x-gambi-participant": entry.participantId });

function badParam(param: string, message: string): GambiError {
  return new GambiError(400, `${param}: ${message}`, { code: "invalid_request", param });
}

/** `limit` (1–100, default 20), `order` (`asc` | `desc`, default `desc`), `after` (an item id). */
export function listInputItems(items: Json[], query: URLSearchParams): Json {
  const rawLimit = query.get("limit");
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badParam("limit", `must be a whole number from 1 to 100, got "${rawLimit}"`);
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw badParam("order", `must be "asc" or "desc", got "${order}"`);
  const ordered = order === "asc" ? items : [...items].reverse();
  const after = query.get("after");
  let start = 0;
  if (after !== null) {
    const at = ordered.findIndex((item) => item.id === after);
    if (at === -1) throw badParam("after", `no input item with id "${after}" in this response`);
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: "list",
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: start + limit < ordered.length,
  };
}

export function serveStored(ctx: HubContext, room: Room, id: string, action: LifecycleAction, request: Request): Response | undefined {
  const entry = ctx.responseStore.get(room.code, id);
  if (!entry) return undefined;
  const headers = headersFor(entry);
  switch (action) {
    case "get":
      return Response.json(entry.response, { headers });
    case "input_items":
      return Response.json(listInputItems(entry.input, new URL(request.url).searchParams), { headers });
    case "delete":
      entry.cancel?.();
      ctx.responseStore.delete(room.code, id);
      // A participant's own id (kept-turn.ts) is also in the owners map: gone is gone.
      ctx.responseOwners.delete(room.code, id);
      return Response.json({ id, object: "response", deleted: true }, { headers });
    case "cancel": {
      if (!entry.cancel) {
        throw new GambiError(400, `response "${id}" is ${String(entry.response.status)}: only a response in progress can be cancelled`, {
          code: "response_not_in_progress",
        });
      }
      entry.cancel();
      entry.cancel = undefined;
      entry.response = { ...entry.response, status: "cancelled" };
      return Response.json(entry.response, { headers });
    }
  }
}
