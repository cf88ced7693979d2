/**
 * A tunnel socket's life once admitted (socket.ts): its hello, then the participant's probe
 * through it, then routing. In order:
 * 1. the hello's major version must be the hub's (else `refuse` + close 4426);
 * 2. the participant must still be there under the token the socket showed (a re-join or a
 *    restart since: 4404 / 4401, and the joiner joins again);
 * 3. `hello-ok`, pings begin, and this socket becomes the participant's tunnel: an older one
 *    is closed (4001, "replaced"), its requests fail (before their first byte: failover);
 * 4. the hub probes the endpoint through the tunnel with the join's own probe (proxy/probe.ts)
 *    and checks the models as a direct join does; a failure is `refuse` + close 4422 with the
 *    probe's error;
 * 5. the participant is registered again, online, with what the probe learned, and `ready`
 *    tells the joiner (with its public view).
 * While it is up, each pong is the participant's heartbeat and each ping carries a `status`
 * (its view, the room's queue); when it closes, the participant goes offline until another
 * tunnel comes up.
 */
import { GambiError, notFound } from "../../protocol/openai/errors.ts";
import { CLOSE } from "../../protocol/tunnel/close.ts";
import { TUNNEL_MAJOR, TUNNEL_MINOR, type Frame, type HelloFrame } from "../../protocol/tunnel/frames.ts";
import { refuseJoinerVersion } from "../../protocol/tunnel/version.ts";
import { probeEndpoint } from "../../proxy/probe.ts";
import type { TunnelSession } from "../../proxy/tunnel/session.ts";
import { VERSION } from "../../version.ts";
import type { HubContext } from "../context.ts";
import { checkRoutes, notListed, unlistedModels } from "../rooms/join.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import { publicParticipant } from "../rooms/views.ts";

/** Who a tunnel socket is for, as its upgrade established. */
export interface TunnelPeer {
  code: string;
  participantId: string;
  tokenDigest: Buffer;
  address: string | undefined;
  /** Its hello came (a second one is a protocol error). */
  helloSeen: boolean;
}

/** The participant this socket is the tunnel of, now (a probe's re-registration replaces the object). */
function current(ctx: HubContext, peer: TunnelPeer, session: TunnelSession): { room: Room; p: Participant } | undefined {
  const room = ctx.registry.find(peer.code);
  const p = room?.participants.get(peer.participantId);
  if (!room || !p || p.tunnel?.link.session !== session) return undefined;
  return { room, p };
}

/** What the session tells the hub: liveness, the status sent with pings, its end. */
export function sessionHooks(ctx: HubContext, peer: TunnelPeer, get: () => TunnelSession) {
  return {
    onAlive: () => {
      const here = current(ctx, peer, get());
      if (here) ctx.registry.seen(here.p);
    },
    withPing: (): Frame | undefined => {
      const here = current(ctx, peer, get());
      if (!here) return undefined;
      const s = here.room.scheduler;
      return { type: "status", participant: publicParticipant(here.p, here.room), queue: { waiting: s.waiting, queueSize: s.queueSize } };
    },
    onClosed: (_code: number, reason: string) => {
      const room = ctx.registry.find(peer.code);
      const p = room?.participants.get(peer.participantId);
      if (room && p?.tunnel?.link.detach(get())) ctx.registry.tunnelDown(room, p, reason);
    },
  };
}

export function onControl(ctx: HubContext, peer: TunnelPeer, session: TunnelSession, frame: Frame): void {
  if (frame.type === "refuse") {
    // The joiner will not go on (it does not speak the hub's version): it closes; the log says why.
    ctx.log.warn(`tunnel for ${peer.participantId} in room ${peer.code} refused by its joiner: ${frame.message}`);
    return;
  }
  if (frame.type !== "hello") return;
  if (peer.helloSeen) return session.refuse(new GambiError(400, "tunnel protocol error: a second hello", { code: "tunnel_protocol_error" }), CLOSE.protocolError);
  peer.helloSeen = true;
  void hello(ctx, peer, session, frame);
}

async function hello(ctx: HubContext, peer: TunnelPeer, session: TunnelSession, frame: HelloFrame): Promise<void> {
  const wrongVersion = refuseJoinerVersion(frame.major, frame.minor, frame.gambi);
  if (wrongVersion) return session.refuse(new GambiError(400, wrongVersion, { code: "tunnel_version_unsupported" }), CLOSE.version);
  const room = ctx.registry.find(peer.code);
  if (!room) return session.refuse(notFound(`room "${peer.code}" does not exist (any more)`, "room_not_found"), CLOSE.notFound);
  const p = room.participants.get(peer.participantId);
  if (!p) return session.refuse(notFound(`participant "${peer.participantId}" is not in room ${room.code}; join again`, "participant_not_found"), CLOSE.notFound);
  if (!p.tokenDigest.equals(peer.tokenDigest) || !p.tunnel) {
    const joinedAgain = new GambiError(401, `participant ${p.id} joined again since this tunnel was opened; open it with the new participantToken`, { code: "invalid_participant_token" });
    return session.refuse(joinedAgain, CLOSE.unauthorized);
  }

  session.send({ type: "hello-ok", major: TUNNEL_MAJOR, minor: TUNNEL_MINOR, gambi: VERSION, window: session.window, maxFrame: session.maxFrame, pingMs: session.pingMs });
  session.start();
  const previous = p.tunnel.link.attach(session);
  previous?.close(CLOSE.replaced, "replaced by a newer tunnel for the same participant");
  ctx.log.info(`${p.nickname} (${p.id}) in room ${room.code}: tunnel up from ${peer.address ?? "this process"} (gambi ${frame.gambi}); probing its endpoint through it`);

  let probed: Awaited<ReturnType<typeof probeEndpoint>>;
  try {
    probed = await probeEndpoint(p.target, {
      timeoutMs: ctx.probeTimeoutMs,
      responsesState: true,
      concurrency: p.maxConcurrencySource !== "declared",
      embeddings: p.embeddingModels.length > 0,
      throughTunnel: true,
    });
    checkRoutes(probed.capabilities, p.models, p.embeddingModels, "your endpoint (through the tunnel)");
    const listed = probed.models;
    if (listed && listed.length > 0 && !p.tunnel.allowUnlistedModel) {
      const { missing, param } = unlistedModels(listed, p.models, p.embeddingModels, p.models.length > 1 ? "models" : "model");
      if (missing.length > 0) throw notListed("your endpoint", listed, missing, param);
    }
  } catch (err) {
    if (session.closed) return;
    const e = err instanceof GambiError ? err : new GambiError(502, `probing the endpoint through the tunnel failed: ${(err as Error).message}`, { code: "endpoint_unreachable" });
    ctx.log.info(`${p.nickname} (${p.id}) in room ${room.code}: its endpoint failed the probe through the tunnel: ${e.message}`);
    return session.refuse(e, CLOSE.refused);
  }
  const here = current(ctx, peer, session);
  if (!here || here.p !== p || session.closed) return;

  const concurrency =
    p.maxConcurrencySource === "declared"
      ? { value: p.maxConcurrency, source: "declared" as const, why: "given in the join" }
      : (probed.concurrency ?? { value: 1, source: "default" as const, why: "nothing learned" });
  const { participant } = ctx.registry.upsert(
    room,
    {
      id: p.id,
      nickname: p.nickname,
      models: p.models,
      embeddingModels: p.embeddingModels,
      maxConcurrency: concurrency.value,
      maxConcurrencySource: concurrency.source,
      endpoint: p.endpoint,
      transport: "tunnel",
      tunnel: p.tunnel,
      capabilities: probed.capabilities,
      responsesState: probed.responsesState === "unknown" ? p.responsesState : probed.responsesState,
      listedModels: probed.models,
      specs: p.specs,
      config: p.config,
      authHeaders: {},
      tokenDigest: p.tokenDigest,
    },
    { online: true },
  );
  ctx.log.info(
    `${p.nickname} (${p.id}) in room ${room.code} serves through its tunnel: maxConcurrency=${concurrency.value} (${concurrency.source}: ${concurrency.why})` +
      ` responses=${probed.capabilities.responses}${probed.capabilities.responses ? ` (state ${participant.responsesState})` : ""} chat=${probed.capabilities.chatCompletions} messages=${probed.capabilities.messages === true}`,
  );
  session.send({ type: "ready", participant: publicParticipant(participant, room) });
}
