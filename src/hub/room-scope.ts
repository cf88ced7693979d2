/**
 * The room a `/rooms/:code/v1/...` request names, once the caller has shown the room's
 * password (access/gate.ts). Both plugins under that prefix (inference/routes.ts,
 * responses/routes.ts) derive it with this one function, so the rule cannot drift between
 * them; deriving runs in the transform phase, before body validation, so without the
 * password a caller learns nothing about what the room would accept. A request that gets
 * this far counts as use of the room (rooms/registry.ts removes empty, unused ones).
 */
import type { AccessGate } from "./access/gate.ts";
import type { HubContext } from "./context.ts";
import type { Room } from "./rooms/registry.ts";

/** What the derive hook needs from Elysia's context (Bun's server tells the caller's address). */
interface RoomRequest {
  params: { code: string };
  request: Request;
  server: { requestIP(request: Request): { address: string } | null } | null;
}

export function roomScope(ctx: HubContext, access: AccessGate) {
  return async ({ params, request, server }: RoomRequest): Promise<{ room: Room }> => {
    const room = ctx.registry.require(params.code);
    // Open rooms check nothing: no peer address lookup, no await (this runs on every request).
    if (room.passwordHash !== null) await access.requireRoomPassword(room, request, server?.requestIP(request)?.address);
    ctx.registry.touch(room); // a room somebody still calls is not expired (--room-ttl)
    return { room };
  };
}
