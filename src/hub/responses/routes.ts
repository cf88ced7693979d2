/**
 * The Responses lifecycle routes of a room: `GET|DELETE /rooms/:code/v1/responses/:id`,
 * `POST …/cancel` and `GET …/input_items`. A response the hub keeps (a chat-only
 * participant's, stored-turn.ts) is answered from the hub's store (stored.ts); any other goes
 * to the participant that holds it (lifecycle.ts). Same room and password rule as the
 * inference routes (room-scope.ts).
 */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { roomScope } from "../room-scope.ts";
import { forwardLifecycle } from "./lifecycle.ts";
import { serveStored } from "./stored.ts";

export function responseRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia({ prefix: "/rooms/:code/v1" })
    .derive(roomScope(ctx, access))
    .get("/responses/:id", ({ room: r, params, request }) =>
      serveStored(ctx, r, params.id, "get", request) ?? forwardLifecycle(ctx, r, params.id, "GET", "", request),
    )
    .delete("/responses/:id", ({ room: r, params, request }) =>
      serveStored(ctx, r, params.id, "delete", request) ?? forwardLifecycle(ctx, r, params.id, "DELETE", "", request),
    )
    .post("/responses/:id/cancel", ({ room: r, params, request }) =>
      serveStored(ctx, r, params.id, "cancel", request) ?? forwardLifecycle(ctx, r, params.id, "POST", "/cancel", request),
    )
    .get("/responses/:id/input_items", ({ room: r, params, request }) =>
      serveStored(ctx, r, params.id, "input_items", request) ?? forwardLifecycle(ctx, r, params.id, "GET", "/input_items", request),
    );
}
