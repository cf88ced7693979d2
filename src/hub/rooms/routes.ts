/**
 * Room management: create, list, delete, join, leave, heartbeat, participants. With a hub
 * token, creating and listing rooms need it; a protected room's participant list needs the
 * room password as the bearer token, and wrong join passwords count against the address like
 * wrong bearers do (access/). A join returns a `participantToken`, the participant's own
 * credential: heartbeats, leaving and a re-join under the same id need it as the bearer.
 * Deleting a room needs its `hostId` (returned to its creator only) or the hub token. A join
 * with `"transport": "tunnel"` registers the participant to be reached through its tunnel
 * (tunnel/join.ts) instead of probing an endpoint.
 */
import { Elysia } from "elysia";
import type { Server } from "bun";
import type { HubContext } from "../context.ts";
import { roomPasswordProblem } from "../../common/room-password.ts";
import type { AccessGate } from "../access/gate.ts";
import { badRequest, GambiError } from "../../protocol/openai/errors.ts";
import { CreateRoomBody, HeartbeatBody, JoinBody } from "./model.ts";
import { publicParticipant, publicRoom } from "./views.ts";
import { idTaken, joinRoom } from "./join.ts";
import { joinTunnel } from "../tunnel/join.ts";
import { hostIdDigest, newSecret } from "../access/credentials.ts";
import { bearerToken } from "../access/gate.ts";

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
        // The creator's credential for deleting the room: handed out here once, kept as a digest.
        const hostId = newSecret();
        const room = registry.create(body.name, hash, body.config ?? {}, hostIdDigest(hostId));
        ctx.log.info(`room ${room.code} created: "${room.name}"${hash ? " (password-protected)" : ""}`);
        set.status = 201;
        const { participantCount: _, ...view } = publicRoom(room);
        return { room: { ...view, hostId }, hostId };
      },
      { body: CreateRoomBody, ...hubToken },
    )
    .get("/rooms", () => ({ rooms: registry.list().map(publicRoom) }), hubToken)
    .get("/rooms/:code", ({ params }) => ({ room: publicRoom(registry.require(params.code)) }))
    .delete("/rooms/:code", ({ params, request, server }) => {
      const room = registry.require(params.code);
      const by = access.requireRoomOwner(room, request, addressOf(server, request));
      registry.remove(room, "deleted");
      ctx.log.info(`room ${room.code} deleted (with its ${by})`);
      return { ok: true };
    })
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
        // A taken id is re-joined only by the holder of its token, which it keeps; a free id gets a new one.
        const replaces = body.id ? room.participants.get(body.id) : undefined;
        if (replaces && !access.participantTokenMatches(replaces, request, address)) throw idTaken(room, replaces.id);
        const token = replaces ? bearerToken(request.headers.get("authorization"))! : newSecret();
        const claim = { replaces, token };
        const { participant } =
          body.transport === "tunnel" ? await joinTunnel(ctx, room, body, claim) : await joinRoom(ctx, room, body, { address, tls: new URL(request.url).protocol === "https:" }, claim);
        set.status = 201;
        return { participant: publicParticipant(participant, room), roomId: room.id, participantToken: token };
      },
      { body: JoinBody },
    )
    .delete("/rooms/:code/leave/:participantId", ({ params, request, server }) => {
      const room = registry.require(params.code);
      const p = registry.requireParticipant(room, params.participantId);
      access.requireParticipantToken(room, p, request, addressOf(server, request));
      registry.leave(room, p.id);
      return { ok: true };
    })
    .post(
      "/rooms/:code/health",
      ({ params, body, request, server }) => {
        const room = registry.require(params.code);
        // Unknown first (404: the joiner re-joins after a hub restart), then whose it is.
        access.requireParticipantToken(room, registry.requireParticipant(room, body.id), request, addressOf(server, request));
        const p = registry.heartbeat(room, body.id);
        // Its own view (limit, in flight, cooldown: what its status line shows, never a secret)
        // and how many requests wait in the room: the joiner hears no event for either changing.
        const s = room.scheduler;
        return { ok: true, status: p.status, lastSeen: p.lastSeen, participant: publicParticipant(p, room), queue: { waiting: s.waiting, queueSize: s.queueSize } };
      },
      { body: HeartbeatBody },
    )
    .get("/rooms/:code/participants", async ({ params, request, server }) => {
      const room = registry.require(params.code);
      await access.requireRoomPassword(room, request, addressOf(server, request));
      return { participants: [...room.participants.values()].map((p) => publicParticipant(p, room)) };
    });
}
