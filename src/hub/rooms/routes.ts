/** Room management: create, list, join, leave, heartbeat, participants. */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import { CreateRoomBody, HeartbeatBody, JoinBody } from "./model.ts";
import { publicParticipant, publicRoom } from "./registry.ts";
import { joinRoom } from "./join.ts";

export function roomRoutes(ctx: HubContext) {
  const { registry } = ctx;
  return new Elysia()
    .post(
      "/rooms",
      async ({ body, set }) => {
        const hash = body.password ? await Bun.password.hash(body.password, { algorithm: "argon2id" }) : null;
        const room = registry.create(body.name, hash, body.config ?? {});
        ctx.log.info(`room ${room.code} created: "${room.name}"${hash ? " (password-protected)" : ""}`);
        set.status = 201;
        const { participantCount: _, ...view } = publicRoom(room);
        return { room: { ...view, hostId: room.hostId }, hostId: room.hostId };
      },
      { body: CreateRoomBody },
    )
    .get("/rooms", () => ({ rooms: registry.list().map(publicRoom) }))
    .get("/rooms/:code", ({ params }) => ({ room: publicRoom(registry.require(params.code)) }))
    .post(
      "/rooms/:code/join",
      async ({ params, body, set, request, server }) => {
        const room = registry.require(params.code);
        const address = server?.requestIP(request)?.address;
        const { participant } = await joinRoom(ctx, room, body, address);
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
    .get("/rooms/:code/participants", ({ params }) => {
      const room = registry.require(params.code);
      return { participants: [...room.participants.values()].map(publicParticipant) };
    });
}
