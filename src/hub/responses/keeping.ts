/**
 * What every turn the hub keeps needs, whoever answers it: a chat-only participant's
 * (stored-turn.ts) or a Responses participant's that keeps no state itself (kept-turn.ts).
 * `item_reference` items put back, the Response shown while the turn runs, the stored copy of
 * an answer cleared of the participant's secrets, and the upstream request's own abort, which
 * POST …/cancel can pull.
 */
import type { ErrorCode } from "../../protocol/error-codes.ts";
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Json } from "../../protocol/json.ts";
import { redactSecrets } from "../../protocol/redact.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import type { RelayOutcome } from "../../proxy/types.ts";
import type { StoredResponse } from "./response-store.ts";

/**
 * What the hub keeps is answered later by GET /v1/responses/:id and replayed to other
 * participants, so it gets the same treatment as the bytes sent to the client: a provider that
 * echoed the key in an error or in the text must not have it stored.
 */
export function redacted(response: Json, participant: Participant): Json {
  const secrets = Object.values(participant.authHeaders);
  if (secrets.length === 0) return response;
  const text = JSON.stringify(response);
  const clean = redactSecrets(text, secrets);
  return clean === text ? response : (JSON.parse(clean) as Json);
}

/**
 * The model a kept turn is held with (for its Response and for a take-over by another
 * participant serving it): the one dispatch.ts wrote into the request's `model`, which is
 * always one of the participant's models.
 */
export function modelOf(request: Json, participant: Participant): string {
  return typeof request.model === "string" && participant.models.includes(request.model) ? request.model : participant.models[0]!;
}

/** The Response object while the turn runs: what GET /v1/responses/:id shows until it ends. */
export function inProgress(id: string, body: Json, now: number, model: string): Json {
  return { id, object: "response", created_at: Math.floor(now / 1000), status: "in_progress", model, output: [], previous_response_id: body.previous_response_id ?? null };
}

/**
 * Clients that rely on server-side storage (the AI SDK with `store` on) send
 * `{type: "item_reference", id}` for items of earlier responses instead of the items: the hub
 * kept those items, so it puts them back (llama.cpp answers 400 "Cannot determine type of
 * 'item'" to a reference).
 */
export function expandItemReferences(ctx: HubContext, room: Room, body: Json): Json {
  const input = body.input;
  if (!Array.isArray(input) || !input.some((item) => item?.type === "item_reference")) return body;
  return {
    ...body,
    input: input.map((item, n) => {
      if (item?.type !== "item_reference") return item;
      const found = typeof item.id === "string" ? ctx.responseStore.findItem(room.code, item.id) : undefined;
      if (!found) {
        throw new GambiError(404, `input[${n}]: item_reference "${String(item.id)}" is not an item of any response this hub keeps for room ${room.code}`, {
          code: "item_not_found",
          param: `input[${n}].id`,
        });
      }
      return found;
    }),
  };
}

/**
 * The upstream request of a kept turn stops when the client leaves or when POST …/cancel says
 * so. One controller fed by a listener removed at the end (`release`), not AbortSignal.any: in
 * Bun 1.4.5 a signal from AbortSignal.any that still has a listener is never collected, and
 * the proxy listens for the whole stream, so every stored response leaked its request state
 * (found by the bench's adapted memory phase, bench/experiments/listener-abort-any.ts).
 */
export function cancellable(client: AbortSignal) {
  const upstream = new AbortController();
  let cancelled = false;
  const onClientGone = () => upstream.abort();
  if (client.aborted) upstream.abort();
  else client.addEventListener("abort", onClientGone, { once: true });
  return {
    signal: upstream.signal,
    get cancelled() {
      return cancelled;
    },
    cancel() {
      cancelled = true;
      upstream.abort();
    },
    release() {
      client.removeEventListener("abort", onClientGone);
    },
  };
}

/**
 * A kept turn's end: refused before it started (an HTTP error) → nothing to keep; otherwise the
 * final Response (`final`, when the answer gave one), `cancelled`, or `failed` with the reason
 * when it ended without one.
 */
export function settle(ctx: HubContext, room: Room, participant: Participant, entry: StoredResponse, final: Json | undefined, outcome: RelayOutcome, cancelled: boolean): void {
  entry.cancel = undefined;
  if (outcome.status >= 400 && !cancelled) {
    ctx.responseStore.delete(room.code, entry.id);
    return;
  }
  if (final) entry.response = redacted(final, participant);
  if (cancelled) entry.response = { ...entry.response, status: "cancelled" };
  else if (entry.response.status === "in_progress") {
    const message = redactSecrets(outcome.error ?? "the response did not complete", Object.values(participant.authHeaders));
    entry.response = { ...entry.response, status: "failed", error: { code: "server_error" satisfies ErrorCode, message } };
  }
}
