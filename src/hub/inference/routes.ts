/**
 * The OpenAI-compatible surface of a room: `/rooms/:code/v1/...` — its models and the two
 * inference routes (dispatch.ts). The Responses lifecycle routes under the same prefix are
 * hub/responses/routes.ts. A password-protected room wants its password as the bearer token
 * on every route here (room-scope.ts, access/gate.ts).
 */
import { Elysia, t } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { roomScope } from "../room-scope.ts";
import { dispatch, type InferenceBody } from "./dispatch.ts";

/** Only what the hub reads is checked; every other field goes to the participant untouched. */
const model = t.String({ minLength: 1, maxLength: 256, error: 'model is required: a participant id, a model name, "model:<name>" or "*"' });
const stream = t.Optional(t.Boolean());
const ChatBody = t.Object({ model, stream, messages: t.Array(t.Any()) }, { additionalProperties: true });
const ResponsesBody = t.Object({ model, stream }, { additionalProperties: true });

export function inferenceRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia({ prefix: "/rooms/:code/v1" })
    .derive(roomScope(ctx, access))
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
    });
}
