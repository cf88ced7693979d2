/**
 * `GET /rooms/:code/usage`: the room's ledger (usage-view.ts), as JSON, or as CSV with
 * `?format=csv` (a download: `content-disposition` names it `gambi-usage-CODE.csv`). A
 * password-protected room wants its password as the bearer token, as its events do. Any
 * other `format` is a 400.
 */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { badRequest } from "../../protocol/openai/errors.ts";
import { usageCsv, usageView } from "./usage-view.ts";

export function usageRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia().get("/rooms/:code/usage", async ({ params, request, server, query }) => {
    const room = ctx.registry.require(params.code);
    await access.requireRoomPassword(room, request, server?.requestIP(request)?.address);
    const format = (query as Record<string, string | undefined>).format ?? "json";
    if (format !== "json" && format !== "csv") throw badRequest(`format must be "json" or "csv", got "${format.slice(0, 40)}"`, "invalid_request", "format");
    const view = usageView(room.code, ctx.ledger.since(room), ctx.ledger.rowsOf(room));
    if (format === "json") return Response.json(view, { headers: { "cache-control": "no-store" } });
    return new Response(usageCsv(view), {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="gambi-usage-${room.code}.csv"`, "cache-control": "no-store" },
    });
  });
}
