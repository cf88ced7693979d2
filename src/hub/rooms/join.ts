/**
 * `POST /rooms/:code/join`: check the password, normalise the endpoint, probe it with the
 * participant's own auth headers, check the model against the endpoint's list, register.
 * Error messages name header *names* and URLs, never header values. A participant that first
 * joins with auth headers over plain HTTP from another machine gets the hub's warning: its
 * keys crossed the network in clear text (once per participant: not again on each update).
 *
 * An id that is taken belongs to whoever joined it: routes.ts lets such a join through only
 * with that participant's token, and here the slot must still hold the same participant after
 * the probe, so a join racing another under the same id cannot replace it either.
 */
import { GambiError, badRequest, notFound } from "../../protocol/openai/errors.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../../protocol/endpoint.ts";
import { validateAuthHeaders } from "../../proxy/headers.ts";
import { matchModel, probeEndpoint, suggestModels } from "../../proxy/probe.ts";
import type { HubContext } from "../context.ts";
import type { JoinBody } from "./model.ts";
import type { Participant, Room } from "./registry.ts";
import { digest } from "../access/credentials.ts";

export function idTaken(room: Room, id: string): GambiError {
  return new GambiError(409, `participant id "${id}" is taken in room ${room.code}: re-joining under it needs its participantToken as "Authorization: Bearer <participantToken>"; join without "id" to get a new one`, {
    code: "participant_id_taken",
    param: "id",
  });
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return true; // in-process (app.handle): same machine
  const a = address.replace(/^::ffff:/, "");
  return a === "::1" || a.startsWith("127.");
}

export async function verifyRoomPassword(room: Room, password: string | undefined): Promise<void> {
  if (room.passwordHash === null) return;
  if (!password) throw new GambiError(401, `room ${room.code} is password-protected: include "password"`, { code: "password_required", param: "password" });
  const ok = await Bun.password.verify(password, room.passwordHash).catch(() => false);
  if (!ok) throw new GambiError(401, `wrong password for room ${room.code}`, { code: "invalid_password", param: "password" });
}

/** How the join request reached the hub: the peer's address, and whether over TLS. */
export interface JoinTransport {
  address: string | undefined;
  tls: boolean;
}

/** Who the join may replace: the participant whose token it showed (none: the id must be free), and the token to keep. */
export interface JoinClaim {
  replaces: Participant | undefined;
  token: string;
}

export async function joinRoom(
  ctx: HubContext,
  room: Room,
  body: JoinBody,
  transport: JoinTransport,
  claim: JoinClaim,
): Promise<{ participant: Participant; created: boolean }> {
  const clientAddress = transport.address;
  await verifyRoomPassword(room, body.password);
  const endpoint = normalizeBaseUrl(body.endpoint);
  const authHeaders = validateAuthHeaders(body.authHeaders);
  const id = body.id ?? `p_${ctx.newId().replace(/-/g, "").slice(0, 12)}`;
  const label = `participant "${body.nickname}" (${id})`;

  const probe = await probeEndpoint(
    { base: endpoint, authHeaders, label },
    { timeoutMs: ctx.probeTimeoutMs, fetch: ctx.fetch, loopbackHint: isLoopbackHost(endpoint) && !isLoopbackAddress(clientAddress), responsesState: true },
  );

  if (probe.models && probe.models.length > 0 && !body.allowUnlistedModel && !matchModel(probe.models, body.model)) {
    const few = suggestModels(probe.models, body.model);
    const more = probe.models.length > few.length ? ` (and ${probe.models.length - few.length} more)` : "";
    throw badRequest(
      `model "${body.model}" is not served by ${endpoint}; available: ${few.join(", ")}${more}. ` +
        `If the provider's list is incomplete, join with "allowUnlistedModel": true.`,
      "model_not_found",
      "model",
    );
  }

  // The probe took time: the room may be gone, or the id taken (or re-joined) meanwhile.
  if (ctx.registry.find(room.code) !== room) throw notFound(`room "${room.code}" was deleted while joining`, "room_not_found");
  if (room.participants.get(id) !== claim.replaces) throw idTaken(room, id);

  // What the hub learned of the same endpoint's Responses state outlives a re-join the probe cannot settle.
  const learned = claim.replaces?.endpoint === endpoint ? claim.replaces.responsesState : "unknown";
  const result = ctx.registry.upsert(room, {
    id,
    nickname: body.nickname,
    model: body.model,
    endpoint,
    capabilities: probe.capabilities,
    responsesState: probe.responsesState === "unknown" ? learned : probe.responsesState,
    models: probe.models,
    specs: body.specs ?? {},
    config: body.config ?? {},
    authHeaders,
    tokenDigest: digest(claim.token),
  });
  ctx.log.info(
    `${result.created ? "joined" : "re-joined"} room ${room.code}: ${body.nickname} (${id}) model=${body.model} endpoint=${endpoint}` +
      ` responses=${probe.capabilities.responses}${probe.capabilities.responses ? ` (state ${result.participant.responsesState})` : ""} chat=${probe.capabilities.chatCompletions}` +
      (Object.keys(authHeaders).length ? ` auth=[${Object.keys(authHeaders).join(",")}]` : ""),
  );
  if (result.created && !transport.tls && !isLoopbackAddress(clientAddress) && Object.keys(authHeaders).length > 0) {
    ctx.log.warn(
      `${body.nickname} (${id}) joined room ${room.code} from ${clientAddress} with auth headers [${Object.keys(authHeaders).join(", ")}] over plain HTTP: ` +
        `they crossed the network unencrypted; serve the hub over HTTPS (gambi hub --tls-cert FILE --tls-key FILE)`,
    );
  }
  return result;
}
