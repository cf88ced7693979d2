/**
 * The inference routes, `POST /rooms/:code/v1/chat/completions`, `…/v1/responses`,
 * `…/v1/embeddings` and Anthropic's `…/v1/messages` (with `…/v1/messages/count_tokens`), as Bun
 * routes of their own beside the Elysia app (index.ts passes them to `listen` as
 * `serve.routes`). They carry nearly all of a hub's traffic, and Elysia's per-request chain
 * (the global request and parse hooks, an async derive, schema validation, response mapping)
 * cost about as much CPU as everything the hub itself does for a request (bench/README.md,
 * experiments/hop-cost.ts). Here the same steps run in the same order, written out:
 *
 * 1. a draining hub answers 503; a declared body over the limit 413 (hub/shutdown.ts, body.ts);
 * 2. the body is read (strict UTF-8, JSON; body.ts);
 * 3. the room, and its password when it has one (room-scope.ts);
 * 4. what the hub reads of the body is checked (body-check.ts);
 * 5. dispatch.ts.
 * Every failure is answered in OpenAI's envelope through the same `toErrorResponse` as the
 * Elysia routes, and on the Messages routes re-shaped as Anthropic's (anthropic-errors.ts).
 * Bun's router ignores the query, so Claude Code's `?beta=true` reaches the same route. The
 * Elysia app registers the same handlers for these paths too (routes.ts, with the body its
 * global parser, the same body.ts, already read): Bun's router matches exact paths only, so a
 * trailing slash, and `app.handle()` in process, reach them through Elysia.
 */
import type { BunRequest, Server } from "bun";
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import type { AccessGate } from "../access/gate.ts";
import type { BodyDeadline, BodyParser } from "../body.ts";
import type { HubContext } from "../context.ts";
import { toErrorResponse } from "../errors.ts";
import { roomScope } from "../room-scope.ts";
import { addressOnce, type AddressSource } from "../access/caller.ts";
import { shuttingDown } from "../shutdown.ts";
import type { Room } from "../rooms/registry.ts";
import { anthropicShaped } from "./anthropic-errors.ts";
import { checkInferenceBody } from "./body-check.ts";
import { countTokensAnswer } from "./count-tokens.ts";
import { dispatch } from "./dispatch.ts";

type RouteHandler = (request: BunRequest<string>, server: Server<unknown>) => Promise<Response>;
/** Bun's server (the request's address; the deadline of a body being read, body.ts); null in process. */
type ServerLike = (AddressSource & Partial<BodyDeadline>) | null;

export interface InferenceLane {
  /** For Bun.serve's `routes` (Elysia passes them on): the exact paths. */
  routes: Record<string, { POST: RouteHandler }>;
  /** The same handler, for Elysia's router: a trailing slash, and `app.handle()` in process. */
  handle(protocol: Protocol, request: Request, server: ServerLike, code: string, read?: { body: unknown }): Promise<Response>;
  /** `…/v1/messages/count_tokens`, for the same fallback. */
  countTokens(request: Request, server: ServerLike, code: string, read?: { body: unknown }): Promise<Response>;
}

export function inferenceLane(ctx: HubContext, access: AccessGate, parser: BodyParser): InferenceLane {
  const scope = roomScope(ctx, access);
  /** Steps 1–4 and then `serve`, the request's own step; a throw is answered as the hub answers errors. */
  const admit = async (
    request: Request,
    server: ServerLike,
    code: string,
    read: { body: unknown } | undefined,
    serve: (room: Room, raw: unknown, server: ServerLike) => Promise<Response> | Response,
  ): Promise<Response> => {
    try {
      if (ctx.shutdown.draining.aborted) return shuttingDown();
      const tooLarge = parser.checkLength(request);
      if (tooLarge) return tooLarge;
      const contentType = request.headers.get("content-type") ?? undefined;
      // No body at all is no object, as the schema said; JSON is read by the hub's own parser.
      const raw = read ? read.body : request.body === null ? undefined : await parser.parse(request, contentType, server);
      // An open room needs no await (most rooms, on every request); a protected one checks its password.
      let room = ctx.registry.require(code);
      if (room.passwordHash === null) ctx.registry.touch(room);
      else {
        // Its address serves the password check and then the ledger: asked of the kernel once.
        server = addressOnce(server);
        room = (await scope({ params: { code }, request, server })).room;
      }
      return await serve(room, raw, server);
    } catch (err) {
      // The client left (while its request waited, or before it went out): nobody reads an answer, nothing to log.
      if (request.signal.aborted && !(err instanceof GambiError)) return new Response(null, { status: 499 });
      return toErrorResponse(err instanceof GambiError ? "GAMBI" : "UNKNOWN", err, request, ctx.log);
    }
  };
  /** `read`: the body, when Elysia's fallback route already read it with the same parser. */
  const handle = (protocol: Protocol, request: Request, server: ServerLike, code: string, read?: { body: unknown }): Promise<Response> => {
    const arrivedAt = performance.now();
    const answer = admit(request, server, code, read, (room, raw, peer) => {
      const body = checkInferenceBody(protocol, raw);
      if (body instanceof GambiError) return body.toResponse();
      return dispatch(ctx, room, protocol, body, request, peer, arrivedAt);
    });
    // Messages clients read errors in Anthropic's shape, whoever made them (anthropic-errors.ts).
    return protocol === "messages" ? answer.then(anthropicShaped) : answer;
  };
  /** `POST …/v1/messages/count_tokens`: a Messages participant's count, else the hub's estimate (count-tokens.ts). */
  const countTokens = (request: Request, server: ServerLike, code: string, read?: { body: unknown }): Promise<Response> =>
    admit(request, server, code, read, (room, raw) => countTokensAnswer(ctx, room, raw, request)).then(anthropicShaped);
  const route =
    (protocol: Protocol): RouteHandler =>
    (request, server) =>
      handle(protocol, request, server, (request.params as { code: string }).code);
  return {
    routes: {
      "/rooms/:code/v1/chat/completions": { POST: route("chat") },
      "/rooms/:code/v1/responses": { POST: route("responses") },
      "/rooms/:code/v1/embeddings": { POST: route("embeddings") },
      "/rooms/:code/v1/messages": { POST: route("messages") },
      "/rooms/:code/v1/messages/count_tokens": { POST: (request, server) => countTokens(request, server, (request.params as { code: string }).code) },
    },
    handle,
    countTokens,
  };
}
