/**
 * The OpenAI-compatible surface of a room: `/rooms/:code/v1/...`. A password-protected room
 * wants its password as the bearer token on every route here (access/gate.ts).
 */
import { Elysia, t } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { dispatch, type InferenceBody } from "./dispatch.ts";
import { forwardLifecycle } from "../responses/lifecycle.ts";
import { serveStored } from "../responses/stored.ts";

/** Only what the hub reads is checked; every other field goes to the participant untouched. */
const model = t.String({ minLength: 1, maxLength: 256, error: 'model is required: a participant id, a model name, "model:<name>" or "*"' });
const stream = t.Optional(t.Boolean());
const ChatBody = t.Object({ model, stream, messages: t.Array(t.Any()) }, { additionalProperties: true });
const ResponsesBody = t.Object({ model, stream }, { additionalProperties: true });

export function inferenceRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia({ prefix: "/rooms/:code/v1" })
    // In the transform phase, before body validation: without the password a caller learns
    // nothing about what the room would accept.
    .derive(async ({ params, request, server }) => {
      const room = ctx.registry.require(params.code);
      await access.requireRoomPassword(room, request, server?.requestIP(request)?.address);
      return { room };
    })
    .get("/models", ({ room }) => ({
      object: "list",
      data: [...room.participants.values()]
        .filter((p) => p.status === "online")
        .map((p) => ({
          id: p.id,
          object: "model",
          created: Math.floor(p.joinedAt / 1000),
          owned_by: p.nickname,
          gambi: { nickname: p.nickname, model: p.model, capabilities: { ...p.capabilities }, health: p.health },
        })),
    }))
    .post("/chat/completions", ({ room, body, request }) => dispatch(ctx, room, "chat", body as InferenceBody, request), {
      body: ChatBody,
    })
    .post("/responses", ({ room, body, request }) => dispatch(ctx, room, "responses", body as InferenceBody, request), {
      body: ResponsesBody,
    })
    // A response the hub keeps (chat-only participant) is answered here; any other goes to its participant.
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
