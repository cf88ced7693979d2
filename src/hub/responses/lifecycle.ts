/**
 * Responses API lifecycle routes (`GET|DELETE /v1/responses/:id`, `POST …/cancel`,
 * `GET …/input_items`): forwarded, with its auth headers, to the participant that created the
 * response, which owners.ts remembers. Responses the hub keeps itself never get here: stored.ts
 * answers them first (routes.ts); a participant that keeps no responses is not asked.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import { callUpstream } from "../../proxy/upstream.ts";
import { clientResponseHeaders } from "../../proxy/headers.ts";
import { shapeUpstreamError } from "../../proxy/upstream-error.ts";
import type { HubContext } from "../context.ts";
import type { Room } from "../rooms/registry.ts";

export async function forwardLifecycle(
  ctx: HubContext,
  room: Room,
  responseId: string,
  method: "GET" | "POST" | "DELETE",
  suffix: "" | "/cancel" | "/input_items",
  request: Request,
): Promise<Response> {
  const owner = ctx.responseOwners.get(room.code, responseId);
  if (!owner) {
    throw new GambiError(404, `no response with id "${responseId}" in room ${room.code} (unknown, or older than the hub remembers)`, {
      code: "response_not_found",
    });
  }
  const participant = room.participants.get(owner.participantId);
  if (!participant) {
    throw new GambiError(404, `response "${responseId}" was created by participant ${owner.participantId}, who has left the room`, {
      code: "response_owner_gone",
    });
  }
  if (participant.responsesState === "stateless") {
    throw new GambiError(404, `response "${responseId}" was not kept: ${participant.nickname} keeps no responses, and the hub keeps only those created without store: false (and not yet expired)`, {
      code: "response_not_found",
    });
  }
  const query = new URL(request.url).search;
  const res = await callUpstream(
    participant.target,
    {
      method,
      path: `/responses/${encodeURIComponent(responseId)}${suffix}${query}`,
      signal: request.signal,
      body: method === "POST" ? "{}" : undefined,
      // Small JSON answers about a stored response: bounded as a whole by the first-byte deadline.
      timeoutMs: ctx.timeouts.firstByteMs || undefined,
    },
    ctx.fetch,
  );
  if (method === "DELETE" && res.ok) ctx.responseOwners.delete(room.code, responseId);
  const headers = clientResponseHeaders(res.headers, { "x-gambi-participant": participant.id }, participant.target.redactText);
  if (res.ok) {
    // The body is already in memory (the call has a deadline for the whole exchange): a stored
    // response may quote the key (in its instructions, say), so it is redacted like any answer.
    const bytes = new Uint8Array(await res.arrayBuffer());
    return new Response(participant.target.redactBytes?.(bytes) ?? bytes, { status: res.status, headers });
  }
  // Error bodies are small: read them so a provider echoing the key cannot leak it.
  const shaped = shapeUpstreamError(res.status, await res.text(), participant.target.label, Object.values(participant.authHeaders));
  headers["content-type"] = "application/json";
  return new Response(shaped.body, { status: res.status, headers });
}
