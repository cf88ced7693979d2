/**
 * A Responses request on a participant that does not speak the Responses API (Chat Completions,
 * or only Anthropic's Messages API): translated by the responses-via-chat or
 * responses-via-messages adapter, and — unless `store: false` — kept by the hub
 * (response-store.ts) as the Responses API would keep it, so `previous_response_id`, the
 * lifecycle routes (stored.ts) and POST …/cancel work. The entry is written before the request
 * starts (`in_progress`) and settled when it ends: completed, incomplete, failed or cancelled.
 * dispatch.ts sends a request here instead of to inference/plan.ts when adapterFor picks this
 * adapter; mapping still happens before anything is counted or forwarded, and defaults are
 * applied in the participant's protocol, as there.
 */
import type { AdapterContext } from "../../protocol/adapters/types.ts";
import type { ResponsesAdapter } from "../../protocol/adapters/index.ts";
import type { Json } from "../../protocol/json.ts";
import { normalizeInput } from "../../protocol/openai/responses-items.ts";
import { applyDefaults, type RuntimeConfig } from "../../protocol/defaults.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import { cancellable, expandItemReferences, inProgress, modelOf, redacted, settle } from "./keeping.ts";
import type { Plan } from "../inference/plan.ts";
import type { StoredResponse } from "./response-store.ts";
import type { Continuation } from "./continuation.ts";

function responseIdFrom(ctx: HubContext): string {
  return `resp_${ctx.newId().replace(/-/g, "")}`;
}

/** A Responses request on a participant without the Responses API: translated, and (unless store:false) kept by the hub. */
export function planStoredTurn(
  ctx: HubContext,
  room: Room,
  participant: Participant,
  adapter: ResponsesAdapter,
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
  // Aborted by the client leaving or by POST …/cancel (keeping.ts); only a kept turn can be cancelled.
  const upstream = body.store !== false ? cancellable(signal) : undefined;
  let mapper: ReturnType<ResponsesAdapter["createStreamMapper"]> | undefined;
  let entry: StoredResponse | undefined;
  if (upstream) {
    entry = {
      id: responseId,
      participantId: participant.id,
      model: modelOf(body, participant),
      previousId: continuation?.kind === "stored" ? continuation.previousId : undefined,
      input: normalizeInput(body, actx),
      response: inProgress(responseId, body, ctx.now(), modelOf(body, participant)),
      cancel: upstream.cancel,
    };
    ctx.responseStore.set(room.code, entry);
  }
  return {
    body: JSON.stringify(upstreamBody),
    signal: upstream ? upstream.signal : signal,
    responseId,
    translation: {
      upstream: adapter.upstream,
      mapResponse: (json) => {
        const response = adapter.mapResponse(json, body, actx, { responseId });
        if (entry) entry.response = redacted(response, participant);
        return response;
      },
      createStreamMapper: () => (mapper = adapter.createStreamMapper(body, actx, { responseId })),
      abortReason: () => (upstream?.cancelled ? { message: `response ${responseId} was cancelled`, type: "invalid_request_error", code: "response_cancelled" } : undefined),
    },
    onFinish(outcome) {
      upstream?.release();
      if (entry) settle(ctx, room, participant, entry, mapper?.result(), outcome, upstream!.cancelled);
    },
    cancelled: () => (upstream?.cancelled && entry ? { ...entry.response, status: "cancelled" } : undefined),
  };
}
