/**
 * `GET /rooms/:code/tunnel`: the WebSocket a tunnelled participant's joiner keeps open
 * (docs/tunnel.md). A Bun route beside the Elysia app, like the inference lane: Bun.serve
 * upgrades it, and `websocket` (the handlers index.ts gives Bun.serve) runs each socket. The
 * upgrade needs the participant's id (`X-Gambi-Participant`) and its token
 * (`Authorization: Bearer <participantToken>`), checked as heartbeats are (access/gate.ts:
 * wrong tokens count against the address). A socket that fails those checks is still upgraded,
 * so that its joiner can read why: it gets a `refuse` frame and a close code (4401, 4404, 4409,
 * 4429), which a failed upgrade could not carry. A plain GET is answered 426.
 *
 * Each admitted socket gets a `TunnelSession` (proxy/tunnel/session.ts); attach.ts takes it
 * from its hello on. Frames over twice the size limit are closed by Bun itself (1009); frames
 * between the limit and that are closed by the session with 4413 and a reason.
 */
import type { BunRequest, Server, ServerWebSocket, WebSocketHandler } from "bun";
import { GambiError } from "../../protocol/openai/errors.ts";
import { encodeFrame } from "../../protocol/tunnel/codec.ts";
import { CLOSE, closeReason } from "../../protocol/tunnel/close.ts";
import { MAX_FRAME_BYTES } from "../../protocol/tunnel/frames.ts";
import { TunnelSession } from "../../proxy/tunnel/session.ts";
import type { AccessGate } from "../access/gate.ts";
import type { HubContext } from "../context.ts";
import { shuttingDown } from "../shutdown.ts";
import { onControl, sessionHooks, type TunnelPeer } from "./attach.ts";

/** The header naming the participant a tunnel is for. */
export const PARTICIPANT_HEADER = "x-gambi-participant";

interface Refusal {
  code: string;
  message: string;
  close: number;
  status: number;
}

export interface TunnelSocketData {
  peer?: TunnelPeer;
  refused?: Refusal;
  session?: TunnelSession;
}

type TunnelServer = Pick<Server<TunnelSocketData>, "upgrade" | "requestIP">;

const CLOSE_FOR_STATUS: Record<number, number> = { 401: CLOSE.unauthorized, 404: CLOSE.notFound, 409: CLOSE.notTunnelled, 429: CLOSE.rateLimited };

/** Who the upgrade is for, or why not (checked before the upgrade, told after it). */
function admit(ctx: HubContext, access: AccessGate, request: Request, code: string, address: string | undefined): TunnelSocketData {
  try {
    const room = ctx.registry.require(code);
    const id = request.headers.get(PARTICIPANT_HEADER);
    if (!id) throw new GambiError(400, `a tunnel needs the participant's id in "${PARTICIPANT_HEADER}" (and its participantToken as the bearer)`, { code: "invalid_request" });
    const p = ctx.registry.requireParticipant(room, id);
    access.requireParticipantToken(room, p, request, address);
    if (p.transport !== "tunnel") {
      throw new GambiError(409, `participant ${p.id} joined for direct connections; join again with "transport": "tunnel" to serve through a tunnel`, { code: "participant_not_tunnelled" });
    }
    return { peer: { code: room.code, participantId: p.id, tokenDigest: p.tokenDigest, address, helloSeen: false } };
  } catch (err) {
    if (!(err instanceof GambiError)) throw err;
    return { refused: { code: err.code ?? "invalid_request", message: err.message, status: err.status, close: CLOSE_FOR_STATUS[err.status] ?? CLOSE.protocolError } };
  }
}

export function tunnelSockets(ctx: HubContext, access: AccessGate) {
  const upgrade = (request: BunRequest<"/rooms/:code/tunnel">, server: TunnelServer): Response | undefined => {
    if (ctx.shutdown.draining.aborted) return shuttingDown();
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new GambiError(426, "GET /rooms/:code/tunnel is a WebSocket (gambi join --tunnel opens it); send an upgrade request", { code: "websocket_required" }).toResponse({
        upgrade: "websocket",
      });
    }
    const data = admit(ctx, access, request, request.params.code, server.requestIP(request)?.address);
    if (server.upgrade(request, { data })) return undefined;
    return new GambiError(400, "the WebSocket upgrade failed; check the request's Sec-WebSocket headers", { code: "websocket_required" }).toResponse();
  };

  const websocket: WebSocketHandler<TunnelSocketData> = {
    // Room for a frame over the limit to reach the session, which closes it with a reason.
    maxPayloadLength: 2 * MAX_FRAME_BYTES,
    // SSE is cheap to compress but costly per event; bodies cross as they came.
    perMessageDeflate: false,
    // The session's own pings keep it alive and notice a dead socket (15 s).
    idleTimeout: 0,
    sendPings: false,
    open(ws: ServerWebSocket<TunnelSocketData>) {
      const { refused, peer } = ws.data;
      if (refused || !peer) {
        const r = refused ?? { code: "invalid_request", message: "not admitted", status: 400, close: CLOSE.protocolError };
        ws.sendBinary(encodeFrame({ type: "refuse", code: r.code, message: r.message, status: r.status }));
        ws.close(r.close, closeReason(r.message));
        return;
      }
      let session!: TunnelSession;
      session = new TunnelSession({
        socket: { send: (bytes) => void ws.sendBinary(bytes), close: (code, reason) => ws.close(code, reason) },
        timers: ctx.timeouts.timers,
        pingMs: ctx.tunnel.pingMs,
        silentAfterMs: ctx.tunnel.silentAfterMs,
        onControl: (frame) => onControl(ctx, peer, session, frame),
        ...sessionHooks(ctx, peer, () => session),
      });
      ws.data.session = session;
    },
    message(ws, message) {
      ws.data.session?.receive(typeof message === "string" ? message : (message as Uint8Array));
    },
    close(ws, code, reason) {
      ws.data.session?.socketClosed(code, reason);
    },
  };

  return { routes: { "/rooms/:code/tunnel": { GET: upgrade } }, websocket };
}
export type TunnelSockets = ReturnType<typeof tunnelSockets>;
