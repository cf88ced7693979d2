/**
 * `POST /rooms/:code/join`: check the password, normalise the endpoint, probe it with the
 * participant's own auth headers, check the model against the endpoint's list, register.
 * Error messages name header *names* and URLs, never header values.
 */
import { GambiError, badRequest } from "../../proxy/openai/errors.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../../proxy/endpoint.ts";
import { validateAuthHeaders } from "../../proxy/headers.ts";
import { matchModel, probeEndpoint, suggestModels } from "../../proxy/probe.ts";
import type { HubContext } from "../context.ts";
import type { JoinBody } from "./model.ts";
import type { Participant, Room } from "./registry.ts";

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

export async function joinRoom(ctx: HubContext, room: Room, body: JoinBody, clientAddress: string | undefined): Promise<{ participant: Participant; created: boolean }> {
  await verifyRoomPassword(room, body.password);
  const endpoint = normalizeBaseUrl(body.endpoint);
  const authHeaders = validateAuthHeaders(body.authHeaders);
  const id = body.id ?? `p_${ctx.newId().replace(/-/g, "").slice(0, 12)}`;
  const label = `participant "${body.nickname}" (${id})`;

  const probe = await probeEndpoint(
    { base: endpoint, authHeaders, label },
    { timeoutMs: ctx.probeTimeoutMs, fetch: ctx.fetch, loopbackHint: isLoopbackHost(endpoint) && !isLoopbackAddress(clientAddress) },
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

  const result = ctx.registry.upsert(room, {
    id,
    nickname: body.nickname,
    model: body.model,
    endpoint,
    capabilities: probe.capabilities,
    models: probe.models,
    specs: body.specs ?? {},
    config: body.config ?? {},
    authHeaders,
  });
  ctx.log.info(
    `${result.created ? "joined" : "re-joined"} room ${room.code}: ${body.nickname} (${id}) model=${body.model} endpoint=${endpoint}` +
      ` responses=${probe.capabilities.responses} chat=${probe.capabilities.chatCompletions}` +
      (Object.keys(authHeaders).length ? ` auth=[${Object.keys(authHeaders).join(",")}]` : ""),
  );
  return result;
}
