/**
 * Room management: create, list, join, leave, heartbeat, participants. With a hub token,
 * creating and listing rooms need it; a protected room's participant list needs the room
 * password as the bearer token, and wrong join passwords count against the address like
 * wrong bearers do (access/).
 */
import { Elysia } from "elysia";
import type { Server } from "bun";
import type { HubContext } from "../context.ts";
import { roomPasswordProblem, type AccessGate } from "../access/gate.ts";
import { badRequest, GambiError } from "../../protocol/openai/errors.ts";
import { CreateRoomBody, HeartbeatBody, JoinBody } from "./model.ts";
import { publicParticipant, publicRoom } from "./registry.ts";
import { joinRoom } from "./join.ts";

const addressOf = (server: Server<unknown> | null, request: Request) => server?.requestIP(request)?.address;

export function roomRoutes(ctx: HubContext, access: AccessGate) {
  const { registry } = ctx;
  // A transform hook runs before body validation: without the token, nothing about the body is said.
  const hubToken = { transform: ({ request, server }: { request: Request; server: Server<unknown> | null }) => access.requireHubToken(request, addressOf(server, request)) };
  return new Elysia()
    .post(
      "/rooms",
      async ({ body, set }) => {
        const problem = body.password ? roomPasswordProblem(body.password) : undefined;
        if (problem) throw badRequest(problem, "invalid_password", "password");
        const hash = body.password ? await Bun.password.hash(body.password, { algorithm: "argon2id" }) : null;
        const room = registry.create(body.name, hash, body.config ?? {});
        ctx.log.info(`room ${room.code} created: "${room.name}"${hash ? " (password-protected)" : ""}`);
        set.status = 201;
        const { participantCount: _, ...view } = publicRoom(room);
        return { room: { ...view, hostId: room.hostId }, hostId: room.hostId };
      },
      { body: CreateRoomBody, ...hubToken },
    )
    .get("/rooms", () => ({ rooms: registry.list().map(publicRoom) }), hubToken)
    .get("/rooms/:code", ({ params }) => ({ room: publicRoom(registry.require(params.code)) }))
    .post(
      "/rooms/:code/join",
      async ({ params, body, set, request, server }) => {
        const room = registry.require(params.code);
        const address = addressOf(server, request);
        // joinRoom checks the password too (and says when it is missing); this check is the
        // one that counts wrong ones, and runs first so a blocked address gets 429.
        if (room.passwordHash !== null && body.password && !(await access.verifyJoinPassword(room, body.password, address))) {
          throw new GambiError(401, `wrong password for room ${room.code}`, { code: "invalid_password", param: "password" });
        }
        const { participant } = await joinRoom(ctx, room, body, { address, tls: new URL(request.url).protocol === "https:" });
        set.status = 201;
        return { participant: publicParticipant(participant), roomId: room.id };
      },
      { body: JoinBody },
    )
    .delete("/rooms/:code/leave/:participantId", ({ params }) => {
      const room = registry.require(params.code);
      registry.leave(room, params.participantId);
      return { ok: true };
    })
    .post(
      "/rooms/:code/health",
      ({ params, body }) => {
        const room = registry.require(params.code);
        const p = registry.heartbeat(room, body.id);
        return { ok: true, status: p.status, lastSeen: p.lastSeen };
      },
      { body: HeartbeatBody },
    )
    .get("/rooms/:code/participants", async ({ params, request, server }) => {
      const room = registry.require(params.code);
      await access.requireRoomPassword(room, request, addressOf(server, request));
      return { participants: [...room.participants.values()].map(publicParticipant) };
    });
}
