/**
 * A Responses request on a participant that speaks the Responses API but does not keep
 * conversations (`stateless`: llama.cpp, Ollama, OpenRouter, vLLM without its store) or is not
 * known to (`unknown`, state.ts). The request passes through in its own protocol, bytes
 * untouched on the way back, and the hub keeps the turn as it does for a chat-only participant
 * (stored-turn.ts), so `previous_response_id`, `item_reference` and the lifecycle routes work:
 *
 * - the turn is kept under the participant's own id (from `response.created` or the body,
 *   observe.ts), so nothing in the answer is rewritten; the final Response is the one the
 *   observation already parsed (the terminal event's, or the body), redacted;
 * - `previous_response_id` (always a hub-kept response here: continuation.ts answers 404 for
 *   any other on such a participant): the conversation goes upstream as `input`
 *   (replayConversation), never the id;
 * - `item_reference` items are put back (keeping.ts); `store: false` keeps nothing; a
 *   `stateless` participant is always sent `store: false` (the hub is the one storing, and
 *   vLLM without its store refuses the default `true`; llama.cpp accepts either);
 * - POST …/cancel aborts the upstream; a stream then ends with a `response_cancelled` error
 *   event (`abortReason`, read by proxy/relay-passthrough.ts).
 *
 * When a kept turn of an `unknown` participant completes, state.ts asks the participant whether
 * it kept it too.
 */
import type { AdapterContext } from "../../protocol/adapters/types.ts";
import { isObject, type Json } from "../../protocol/json.ts";
import { normalizeInput } from "../../protocol/openai/responses-items.ts";
import { applyDefaults, type RuntimeConfig } from "../../protocol/defaults.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import type { Plan } from "../inference/plan.ts";
import type { StoredResponse } from "./response-store.ts";
import { replayConversation, type Continuation } from "./continuation.ts";
import { cancellable, expandItemReferences, inProgress, modelOf, redacted, settle } from "./keeping.ts";
import { checkResponsesState } from "./state.ts";

/** A turn the participant finished: one it would have kept, if it keeps any. */
const ENDED = new Set(["completed", "incomplete"]);

/**
 * The answer's final Response, as the hub keeps it: its own, with the previous id the API
 * echoes (llama.cpp leaves it out), and an `output` of items only — the hub replays it and
 * searches it for item references, so a participant's malformed output cannot break later
 * requests.
 */
function finalResponse(response: Json | undefined, id: string, previousId: string | undefined): Json | undefined {
  if (!isObject(response) || response.id !== id) return undefined;
  const output = Array.isArray(response.output) ? response.output.filter(isObject) : [];
  return { ...response, output, previous_response_id: response.previous_response_id ?? previousId ?? null };
}

export function planKeptTurn(
  ctx: HubContext,
  room: Room,
  participant: Participant,
  request: Json,
  continuation: Continuation | undefined,
  signal: AbortSignal,
  defaults: RuntimeConfig,
): Plan {
  const actx: AdapterContext = { newId: ctx.newId, now: ctx.now };
  const body = applyDefaults("responses", expandItemReferences(ctx, room, request), defaults);
  const upstreamBody = continuation?.kind === "stored" ? replayConversation(body, continuation.history, actx) : { ...body };
  // The hub stores; `store` is on by default, and vLLM without its store refuses that.
  if (participant.responsesState === "stateless") upstreamBody.store = false;
  const previousId = typeof body.previous_response_id === "string" ? body.previous_response_id : undefined;
  const keep = body.store !== false;
  // Aborted by the client leaving or by POST …/cancel. Only a kept stream can be cancelled: a
  // non-streamed turn is filed under its id when it has ended (the id comes with the body).
  const upstream = keep && body.stream === true ? cancellable(signal) : undefined;
  let entry: StoredResponse | undefined;
  // A follow-up's answer says which response it continues (`previous_response_id`), as OpenAI's
  // does; a participant that was sent the conversation instead cannot. The body is in memory
  // and parsed: a non-streamed one is given back with it (a stream: `echo` below).
  let echoed: string | undefined;
  const echo = previousId !== undefined && body.stream !== true;

  return {
    body: JSON.stringify(upstreamBody),
    signal: upstream?.signal ?? signal,
    upstreamJson: upstreamBody,
    // A stream's events go through the repairing pass, which echoes it in every Response object.
    echo: previousId !== undefined && body.stream === true ? { previous_response_id: previousId } : undefined,
    onResponseId(id) {
      if (!keep || entry) return;
      // An id already kept (a participant repeating its ids, or another's): the first keeps it.
      if (ctx.responseStore.get(room.code, id)) return;
      entry = {
        id,
        participantId: participant.id,
        model: modelOf(body, participant),
        previousId,
        input: normalizeInput(body, actx),
        response: inProgress(id, body, ctx.now(), modelOf(body, participant)),
        cancel: upstream?.cancel,
      };
      ctx.responseStore.set(room.code, entry);
    },
    abortReason: () => (upstream?.cancelled && entry ? { message: `response ${entry.id} was cancelled`, type: "invalid_request_error", code: "response_cancelled" } : undefined),
    onFinish(outcome) {
      upstream?.release();
      const { response, responseId } = outcome.observation;
      const final = responseId === undefined ? undefined : finalResponse(response, responseId, previousId);
      if (entry) {
        settle(ctx, room, participant, entry, final, outcome, upstream?.cancelled ?? false);
        if (participant.responsesState === "unknown" && ENDED.has(entry.response.status as string)) checkResponsesState(ctx, room, participant, entry.id);
      }
      // The answer as kept (or, not kept, redacted the same way), with the previous id it lacked.
      if (echo && final && outcome.status === 200 && response?.previous_response_id !== previousId) {
        echoed = JSON.stringify(entry?.response ?? redacted(final, participant));
      }
    },
    answer: echo ? (relayed) => (echoed === undefined ? relayed : new Response(echoed, { status: relayed.status, headers: relayed.headers })) : undefined,
    cancelled: () => (upstream?.cancelled && entry ? { ...entry.response, status: "cancelled" } : undefined),
  };
}
