/** The OpenAI-compatible surface of a room: `/rooms/:code/v1/...`. */
import { Elysia, t } from "elysia";
import type { HubContext } from "../context.ts";
import { dispatch, type InferenceBody } from "./dispatch.ts";
import { forwardLifecycle } from "./lifecycle.ts";
import { serveStored } from "./stored.ts";

/** Only what the hub reads is checked; every other field goes to the participant untouched. */
const model = t.String({ minLength: 1, maxLength: 256, error: 'model is required: a participant id, a model name, "model:<name>" or "*"' });
const stream = t.Optional(t.Boolean());
const ChatBody = t.Object({ model, stream, messages: t.Array(t.Any()) }, { additionalProperties: true });
const ResponsesBody = t.Object({ model, stream }, { additionalProperties: true });

export function inferenceRoutes(ctx: HubContext) {
  const room = (code: string) => ctx.registry.require(code);
  return new Elysia({ prefix: "/rooms/:code/v1" })
    .get("/models", ({ params }) => ({
      object: "list",
      data: [...room(params.code).participants.values()]
        .filter((p) => p.status === "online")
        .map((p) => ({
          id: p.id,
          object: "model",
          created: Math.floor(p.joinedAt / 1000),
          owned_by: p.nickname,
          gambi: { nickname: p.nickname, model: p.model, capabilities: { ...p.capabilities } },
        })),
    }))
    .post("/chat/completions", ({ params, body, request }) => dispatch(ctx, room(params.code), "chat", body as InferenceBody, request), {
      body: ChatBody,
    })
    .post("/responses", ({ params, body, request }) => dispatch(ctx, room(params.code), "responses", body as InferenceBody, request), {
      body: ResponsesBody,
    })
    // A response the hub keeps (chat-only participant) is answered here; any other goes to its participant.
    .get("/responses/:id", ({ params, request }) => {
      const r = room(params.code);
      return serveStored(ctx, r, params.id, "get", request) ?? forwardLifecycle(ctx, r, params.id, "GET", "", request);
    })
    .delete("/responses/:id", ({ params, request }) => {
      const r = room(params.code);
      return serveStored(ctx, r, params.id, "delete", request) ?? forwardLifecycle(ctx, r, params.id, "DELETE", "", request);
    })
    .post("/responses/:id/cancel", ({ params, request }) => {
      const r = room(params.code);
      return serveStored(ctx, r, params.id, "cancel", request) ?? forwardLifecycle(ctx, r, params.id, "POST", "/cancel", request);
    })
    .get("/responses/:id/input_items", ({ params, request }) => {
      const r = room(params.code);
      return serveStored(ctx, r, params.id, "input_items", request) ?? forwardLifecycle(ctx, r, params.id, "GET", "/input_items", request);
    });
}
