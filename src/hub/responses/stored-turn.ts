/**
 * A Responses request on a participant that speaks only Chat Completions: translated by the
 * responses-via-chat adapter, and — unless `store: false` — kept by the hub
 * (response-store.ts) as the Responses API would keep it, so `previous_response_id`, the
 * lifecycle routes (stored.ts) and POST …/cancel work. The entry is written before the request
 * starts (`in_progress`) and settled when it ends: completed, incomplete, failed or cancelled.
 * dispatch.ts sends a request here instead of to inference/plan.ts when adapterFor picks this
 * adapter; mapping still happens before anything is counted or forwarded, and defaults are
 * applied in the participant's protocol, as there.
 */
import type { ErrorCode } from "../../protocol/error-codes.ts";
import { GambiError } from "../../protocol/openai/errors.ts";
import type { AdapterContext } from "../../protocol/adapters/types.ts";
import type { ResponsesViaChat } from "../../protocol/adapters/index.ts";
import type { Json } from "../../protocol/json.ts";
import { normalizeInput } from "../../protocol/openai/responses-items.ts";
import { applyDefaults, type RuntimeConfig } from "../../protocol/defaults.ts";
import { redactSecrets } from "../../protocol/redact.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import type { Plan } from "../inference/plan.ts";
import type { StoredResponse } from "./response-store.ts";
import type { Continuation } from "./continuation.ts";

/**
 * What the hub keeps is answered later by GET /v1/responses/:id, so it gets the same treatment
 * as the bytes sent to the client: a provider that echoed the key in an error or in the text
 * must not have it stored.
 */
function redacted(response: Json, participant: Participant): Json {
  const secrets = Object.values(participant.authHeaders);
  if (secrets.length === 0) return response;
  const text = JSON.stringify(response);
  const clean = redactSecrets(text, secrets);
  return clean === text ? response : (JSON.parse(clean) as Json);
}

function responseIdFrom(ctx: HubContext): string {
  return `resp_${ctx.newId().replace(/-/g, "")}`;
}

/** The Response object while the turn runs: what GET /v1/responses/:id shows until it ends. */
function inProgress(id: string, body: Json, now: number, model: string): Json {
  return { id, object: "response", created_at: Math.floor(now / 1000), status: "in_progress", model, output: [], previous_response_id: body.previous_response_id ?? null };
}

/**
 * Clients that rely on server-side storage (the AI SDK with `store` on) send
 * `{type: "item_reference", id}` for items of earlier responses instead of the items: the hub
 * kept those items, so it puts them back before translating.
 */
function expandItemReferences(ctx: HubContext, room: Room, body: Json): Json {
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

/** A Responses request on a chat-only participant: translated, and (unless store:false) kept by the hub. */
export function planStoredTurn(
  ctx: HubContext,
  room: Room,
  participant: Participant,
  adapter: ResponsesViaChat,
  request: Json,
  continuation: Continuation | undefined,
  signal: AbortSignal,
  defaults: RuntimeConfig,
): Plan {
  const actx: AdapterContext = { newId: ctx.newId, now: ctx.now };
  const body = expandItemReferences(ctx, room, request);
  const history = continuation?.kind === "stored" ? continuation.history : [];
  const upstreamBody = applyDefaults(adapter.upstream, adapter.mapRequest(body, { history }), defaults);
  const responseId = responseIdFrom(ctx);
  // The upstream request stops when the client leaves or when POST …/cancel says so. One
  // controller fed by a listener removed at the end, not AbortSignal.any: in Bun 1.4.5 a signal
  // from AbortSignal.any that still has a listener is never collected, and the proxy listens
  // for the whole stream, so every stored response leaked its request state (found by the
  // bench's adapted memory phase, bench/experiments/listener-abort-any.ts).
  const upstream = new AbortController();
  let cancelled = false;
  const onClientGone = () => upstream.abort();
  const cancel = () => {
    cancelled = true;
    upstream.abort();
  };
  let mapper: ReturnType<ResponsesViaChat["createStreamMapper"]> | undefined;
  let entry: StoredResponse | undefined;
  if (body.store !== false) {
    entry = {
      id: responseId,
      participantId: participant.id,
      model: participant.model,
      previousId: continuation?.kind === "stored" ? continuation.previousId : undefined,
      input: normalizeInput(body, actx),
      response: inProgress(responseId, body, ctx.now(), participant.model),
      cancel,
    };
    ctx.responseStore.set(room.code, entry);
    if (signal.aborted) upstream.abort();
    else signal.addEventListener("abort", onClientGone, { once: true });
  }
  return {
    body: JSON.stringify(upstreamBody),
    signal: entry ? upstream.signal : signal,
    responseId,
    translation: {
      upstream: adapter.upstream,
      mapResponse: (json) => {
        const response = adapter.mapResponse(json, body, actx, { responseId });
        if (entry) entry.response = redacted(response, participant);
        return response;
      },
      createStreamMapper: () => (mapper = adapter.createStreamMapper(body, actx, { responseId })),
      abortReason: () => (cancelled ? { message: `response ${responseId} was cancelled`, type: "invalid_request_error", code: "response_cancelled" } : undefined),
    },
    onFinish(outcome) {
      signal.removeEventListener("abort", onClientGone);
      if (!entry) return;
      entry.cancel = undefined;
      // Refused before it started (an HTTP error): there is no response to keep.
      if (outcome.status >= 400 && !cancelled) {
        ctx.responseStore.delete(room.code, responseId);
        return;
      }
      const final = mapper?.result();
      if (final) entry.response = redacted(final, participant);
      if (cancelled) entry.response = { ...entry.response, status: "cancelled" };
      else if (entry.response.status === "in_progress") {
        const message = redactSecrets(outcome.error ?? "the response did not complete", Object.values(participant.authHeaders));
        entry.response = { ...entry.response, status: "failed", error: { code: "server_error" satisfies ErrorCode, message } };
      }
    },
    cancelled: () => (cancelled && entry ? { ...entry.response, status: "cancelled" } : undefined),
  };
}
