/**
 * The OpenAI-compatible surface of a room, `/rooms/:code/v1/...`, as far as Elysia serves it:
 * the room's models (one entry per online participant and model it serves, chat or embedding
 * models alike, `gambi.chat` / `gambi.embeddings` saying which: the first under the
 * participant's id, as when a participant served one model, each further one as
 * `<participant id>/<model>`, which routes to that pair, pool/scheduler.ts `want`), and a
 * fallback for the inference routes, which lane.ts serves as Bun routes of their own
 * (Anthropic's two: `messagesRoutes`). The Responses lifecycle routes under the same prefix are
 * hub/responses/routes.ts. A password-protected room wants its password as the bearer token
 * on every route here (room-scope.ts, access/gate.ts).
 */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { roomScope } from "../room-scope.ts";
import type { InferenceLane } from "./lane.ts";


export function inferenceRoutes(ctx: HubContext, access: AccessGate, lane: InferenceLane) {
  return new Elysia({ prefix: "/rooms/:code/v1" })
    .derive(roomScope(ctx, access))
    .get("/models", ({ room }) => ({
      object: "list",
      data: [...room.participants.values()]
        .filter((p) => p.status === "online")
        .flatMap((p) =>
          [...new Set([...p.models, ...p.embeddingModels])].map((model, i) => ({
            id: i === 0 ? p.id : `${p.id}/${model}`,
            object: "model",
            created: Math.floor(p.joinedAt / 1000),
            owned_by: p.nickname,
            gambi: {
              nickname: p.nickname,
              participantId: p.id,
              model,
              /** Which requests it takes: chat and Responses (`models`), embeddings (`embeddingModels`), or both. */
              chat: p.models.includes(model),
              embeddings: p.embeddingModels.includes(model),
              capabilities: { ...p.capabilities },
              health: p.health,
              maxConcurrency: p.maxConcurrency,
            },
          })),
        ),
    }))
    // Bun serves the exact paths from the lane's own routes; these catch a trailing slash and
    // in-process `app.handle()`, with the body Elysia's global parser (body.ts) read.
    .post("/chat/completions", ({ request, server, params, body }) => lane.handle("chat", request, server, params.code, { body }))
    .post("/responses", ({ request, server, params, body }) => lane.handle("responses", request, server, params.code, { body }))
    .post("/embeddings", ({ request, server, params, body }) => lane.handle("embeddings", request, server, params.code, { body }));
}

/**
 * The same fallback for Anthropic's routes, outside the room derive above: the lane checks the
 * room itself and answers in Anthropic's shape, which a derive's 401 would not be (an error
 * Elysia raises before the lane runs, the body's JSON, is re-shaped by the app's `onError`,
 * index.ts, which knows these paths by `isMessagesPath`).
 */
export function messagesRoutes(lane: InferenceLane) {
  return new Elysia({ prefix: "/rooms/:code/v1" })
    .post("/messages", ({ request, server, params, body }) => lane.handle("messages", request, server, params.code, { body }))
    .post("/messages/count_tokens", ({ request, server, params, body }) => lane.countTokens(request, server, params.code, { body }));
}
