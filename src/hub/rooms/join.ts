/**
 * `POST /rooms/:code/join`: check the password, normalise the endpoint, probe it with the
 * participant's own auth headers, check each model against the endpoint's list, settle how
 * many requests it serves at once (declared, else what the probe learned or a default,
 * protocol/concurrency.ts), register.
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
import { servesInference, type Capabilities } from "../../protocol/protocols.ts";
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

/**
 * The models a join asks to serve: `models`, or `model` alone. With both, `model` must be
 * `models[0]` (what gambi's own joiner sends, so that an older hub reading only `model` serves
 * the first); anything else is ambiguous about which is the default, and refused.
 */
export function servedModels(body: Pick<JoinBody, "model" | "models" | "embeddingModels">): string[] {
  if (body.models) {
    if (body.model !== undefined && body.model !== body.models[0]) {
      throw badRequest(`"model" ("${body.model}") must be the first of "models" when both are given (the first is the participant's default); or send "models" alone`, "invalid_request", "model");
    }
    return [...body.models];
  }
  if (body.model !== undefined) return [body.model];
  // A participant that only embeds serves no chat model.
  if (body.embeddingModels?.length) return [];
  throw badRequest(`"model" is required (or "models", for several, or "embeddingModels", for embedding models): the model the endpoint serves, as it names it`, "invalid_request", "model");
}

/**
 * Which models a join says embed: its `embeddingModels`, none by default. Declared, not
 * probed (proxy/probe.ts says why); the probe checks only that `/v1/embeddings` exists.
 */
export function servedEmbeddingModels(body: Pick<JoinBody, "embeddingModels">): string[] {
  return [...(body.embeddingModels ?? [])];
}

/** Whether the probed endpoint has the routes the join's models need: chat, Responses or Messages for `models`, `/v1/embeddings` for `embeddingModels`. */
export function checkRoutes(capabilities: Capabilities, models: readonly string[], embeddingModels: readonly string[], what: string): void {
  if (models.length > 0 && !servesInference(capabilities)) {
    throw new GambiError(400, `${what} serves none of /v1/chat/completions, /v1/responses and /v1/messages (it only embeds): join its models as "embeddingModels", or give its OpenAI- or Anthropic-compatible base URL`, {
      code: "endpoint_not_openai_compatible",
      param: "endpoint",
    });
  }
  if (embeddingModels.length > 0 && !capabilities.embeddings) {
    const names = embeddingModels.map((m) => `"${m}"`).join(", ");
    throw badRequest(
      `${what} has no /v1/embeddings for ${embeddingModels.length === 1 ? "the embedding model" : "the embedding models"} ${names} (llama.cpp's llama-server serves it with --embeddings); join without them, or serve embeddings there`,
      "endpoint_no_embeddings",
      "embeddingModels",
    );
  }
}

/** The join's models (chat and embedding) the endpoint's list does not name, and the field to blame. */
export function unlistedModels(listed: string[], models: readonly string[], embeddingModels: readonly string[], modelsParam: "model" | "models"): { missing: string[]; param: "model" | "models" | "embeddingModels" } {
  const missing = models.filter((m) => !matchModel(listed, m));
  if (missing.length > 0) return { missing, param: modelsParam };
  return { missing: embeddingModels.filter((m) => !matchModel(listed, m)), param: "embeddingModels" };
}

export function notListed(endpoint: string, listed: string[], missing: string[], param: "model" | "models" | "embeddingModels"): GambiError {
  const few = suggestModels(listed, missing[0]!);
  const more = listed.length > few.length ? ` (and ${listed.length - few.length} more)` : "";
  const what = missing.length === 1 ? `model "${missing[0]}" is` : `models ${missing.map((m) => `"${m}"`).join(", ")} are`;
  return badRequest(
    `${what} not served by ${endpoint}; available: ${few.join(", ")}${more}. ` + `If the provider's list is incomplete, join with "allowUnlistedModel": true.`,
    "model_not_found",
    param,
  );
}

export async function joinRoom(
  ctx: HubContext,
  room: Room,
  body: JoinBody,
  transport: JoinTransport,
  claim: JoinClaim,
): Promise<{ participant: Participant; created: boolean }> {
  const clientAddress = transport.address;
  const models = servedModels(body);
  const embeddingModels = servedEmbeddingModels(body);
  await verifyRoomPassword(room, body.password);
  if (body.endpoint === undefined) throw badRequest(`"endpoint" is required: the base URL the hub calls (or join with "transport": "tunnel")`, "invalid_request", "endpoint");
  const endpoint = normalizeBaseUrl(body.endpoint);
  const authHeaders = validateAuthHeaders(body.authHeaders);
  const id = body.id ?? `p_${ctx.newId().replace(/-/g, "").slice(0, 12)}`;
  const label = `participant "${body.nickname}" (${id})`;

  const probe = await probeEndpoint(
    { base: endpoint, authHeaders, label },
    {
      timeoutMs: ctx.probeTimeoutMs,
      fetch: ctx.fetch,
      loopbackHint: isLoopbackHost(endpoint) && !isLoopbackAddress(clientAddress),
      responsesState: true,
      // A declared value costs the endpoint nothing more.
      concurrency: body.maxConcurrency === undefined,
      embeddings: embeddingModels.length > 0,
    },
  );
  checkRoutes(probe.capabilities, models, embeddingModels, `endpoint ${endpoint}`);

  const listed = probe.models;
  if (listed && listed.length > 0 && !body.allowUnlistedModel) {
    const { missing, param } = unlistedModels(listed, models, embeddingModels, body.models ? "models" : "model");
    if (missing.length > 0) throw notListed(endpoint, listed, missing, param);
  }
  const concurrency =
    body.maxConcurrency !== undefined
      ? { value: body.maxConcurrency, source: "declared" as const, why: "given in the join" }
      : (probe.concurrency ?? { value: 1, source: "default" as const, why: "nothing learned" });

  // The probe took time: the room may be gone, or the id taken (or re-joined) meanwhile.
  if (ctx.registry.find(room.code) !== room) throw notFound(`room "${room.code}" was deleted while joining`, "room_not_found");
  if (room.participants.get(id) !== claim.replaces) throw idTaken(room, id);

  // What the hub learned of the same endpoint's Responses state outlives a re-join the probe cannot settle.
  const learned = claim.replaces?.endpoint === endpoint ? claim.replaces.responsesState : "unknown";
  const result = ctx.registry.upsert(room, {
    id,
    nickname: body.nickname,
    models,
    embeddingModels,
    maxConcurrency: concurrency.value,
    maxConcurrencySource: concurrency.source,
    endpoint,
    transport: "direct",
    capabilities: probe.capabilities,
    responsesState: probe.responsesState === "unknown" ? learned : probe.responsesState,
    listedModels: probe.models,
    specs: body.specs ?? {},
    config: body.config ?? {},
    authHeaders,
    tokenDigest: digest(claim.token),
  });
  ctx.log.info(
    `${result.created ? "joined" : "re-joined"} room ${room.code}: ${body.nickname} (${id}) ${models.length === 1 ? "model" : "models"}=${models.join(",")}${embeddingModels.length ? ` embeddingModels=${embeddingModels.join(",")}` : ""} endpoint=${endpoint}` +
      ` maxConcurrency=${concurrency.value} (${concurrency.source}: ${concurrency.why})` +
      ` responses=${probe.capabilities.responses}${probe.capabilities.responses ? ` (state ${result.participant.responsesState})` : ""} chat=${probe.capabilities.chatCompletions} messages=${probe.capabilities.messages === true}${probe.capabilities.embeddings !== undefined ? ` embeddings=${probe.capabilities.embeddings}` : ""}` +
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
