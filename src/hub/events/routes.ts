/**
 * `GET /rooms/:code/events`: the room's live event stream as SSE (`event: <type>`,
 * `data: {type, roomCode, timestamp, data}`), opened by a `connected` event with the current
 * participants, kept alive by a comment every 15 s so idle proxies don't cut it. A
 * password-protected room wants its password as the bearer token (access/gate.ts). It ends
 * when the hub starts shutting down: it would never finish by itself, and the hub waits for
 * what is in flight (joiners subscribe again when the hub is back), and after `room.deleted`:
 * that room is gone, and a later room under the same code is another room.
 */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { publicParticipant } from "../rooms/views.ts";
import { encodeSse, encodeSseComment } from "../../protocol/sse/encode.ts";
import { SSE_HEADERS } from "../../proxy/headers.ts";
import type { HubEvent } from "./bus.ts";

const encodeEvent = (e: HubEvent) => encodeSse({ event: e.type, data: JSON.stringify(e) });

export function eventRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia().get("/rooms/:code/events", async ({ params, request, server }) => {
    const room = ctx.registry.require(params.code);
    await access.requireRoomPassword(room, request, server?.requestIP(request)?.address);
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (bytes: Uint8Array) => {
          try {
            controller.enqueue(bytes);
          } catch {
            cleanup();
          }
        };
        send(
          encodeEvent({
            type: "connected",
            roomCode: room.code,
            timestamp: ctx.now(),
            data: { participants: [...room.participants.values()].map((p) => publicParticipant(p, room)) },
          }),
        );
        const unsubscribe = ctx.bus.subscribe(room.code, (e) => {
          send(encodeEvent(e));
          if (e.type === "room.deleted") onDrain();
        });
        const timer = setInterval(() => send(encodeSseComment("heartbeat")), ctx.eventsHeartbeatMs);
        const onDrain = () => {
          cleanup();
          try {
            controller.close();
          } catch (err) {
            if (!(err instanceof TypeError)) throw err; // already closed or cancelled
          }
        };
        cleanup = () => {
          clearInterval(timer);
          unsubscribe();
          ctx.shutdown.draining.removeEventListener("abort", onDrain);
        };
        request.signal.addEventListener("abort", () => cleanup(), { once: true });
        if (ctx.shutdown.draining.aborted) onDrain();
        else ctx.shutdown.draining.addEventListener("abort", onDrain, { once: true });
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  });
}
