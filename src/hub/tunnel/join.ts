/**
 * `POST /rooms/:code/join` with `"transport": "tunnel"`: the participant is registered at once
 * but not routable (offline), with what its joiner declared (models, maxConcurrency, specs,
 * config) and nothing the hub cannot know yet: it has no endpoint URL to probe and holds no
 * auth headers (a join that sends either is refused: they stay on the joiner's machine). Its
 * joiner then opens `GET /rooms/:code/tunnel` (socket.ts) and, once the tunnel says hello, the
 * hub probes the endpoint through it and makes it routable (attach.ts). One that never opens
 * its tunnel is forgotten by the sweeper like any participant gone silent.
 */
import { badRequest } from "../../protocol/openai/errors.ts";
import { TunnelLink } from "../../proxy/tunnel/link.ts";
import { digest } from "../access/credentials.ts";
import type { HubContext } from "../context.ts";
import type { JoinBody } from "../rooms/model.ts";
import { idTaken, servedEmbeddingModels, servedModels, verifyRoomPassword, type JoinClaim } from "../rooms/join.ts";
import type { Participant, Room } from "../rooms/registry.ts";

/** The base URL a tunnelled participant's target has: its id, never its endpoint's address. */
export const tunnelBase = (id: string) => `tunnel://${id}`;

export async function joinTunnel(ctx: HubContext, room: Room, body: JoinBody, claim: JoinClaim): Promise<{ participant: Participant; created: boolean }> {
  const models = servedModels(body);
  const embeddingModels = servedEmbeddingModels(body);
  await verifyRoomPassword(room, body.password);
  if (body.endpoint !== undefined) {
    throw badRequest(`a tunnelled participant keeps its endpoint on its own machine: leave "endpoint" out with "transport": "tunnel"`, "invalid_request", "endpoint");
  }
  if (body.authHeaders !== undefined) {
    throw badRequest(`a tunnelled participant keeps its auth headers on its own machine: leave "authHeaders" out with "transport": "tunnel"`, "invalid_request", "authHeaders");
  }
  const id = body.id ?? `p_${ctx.newId().replace(/-/g, "").slice(0, 12)}`;
  if (room.participants.get(id) !== claim.replaces) throw idTaken(room, id);
  const endpoint = tunnelBase(id);
  const declared = body.maxConcurrency;
  const result = ctx.registry.upsert(
    room,
    {
      id,
      nickname: body.nickname,
      models,
      embeddingModels,
      maxConcurrency: declared ?? 1,
      maxConcurrencySource: declared !== undefined ? "declared" : "default",
      endpoint,
      transport: "tunnel",
      tunnel: { link: new TunnelLink(endpoint), allowUnlistedModel: body.allowUnlistedModel === true },
      // Unknown until the probe through the tunnel: nothing routes to it before then.
      capabilities: { responses: false, chatCompletions: false },
      responsesState: "unknown",
      listedModels: null,
      specs: body.specs ?? {},
      config: body.config ?? {},
      authHeaders: {},
      tokenDigest: digest(claim.token),
    },
    { online: false },
  );
  ctx.log.info(
    `${result.created ? "joined" : "re-joined"} room ${room.code}: ${body.nickname} (${id}) ${models.length === 1 ? "model" : "models"}=${models.join(",")}${embeddingModels.length ? ` embeddingModels=${embeddingModels.join(",")}` : ""} transport=tunnel: waiting for its tunnel`,
  );
  return result;
}
