/**
 * Which plan a request gets, once its participant is chosen:
 * - a Responses request on a participant without the Responses API (chat-only, or Messages-only):
 *   translated, and kept by the hub
 *   (responses/stored-turn.ts);
 * - a Responses request on a Responses participant not known to keep conversations
 *   (`unknown` or `stateless`): passed through, and kept by the hub (responses/kept-turn.ts);
 * - an embeddings request: passed through (embeddings.ts);
 * - anything else: plan.ts, passthrough or translated — the stateful participant's path, as
 *   it was before the hub kept any Responses participant's turns.
 * And what to send instead if the participant refuses the first for its conversation state
 * (dispatch.ts retries once).
 */
import { adapterFor } from "../../protocol/adapters/index.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import type { StateRejection } from "../../protocol/openai/responses-state.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import type { Continuation } from "../responses/continuation.ts";
import { planStoredTurn } from "../responses/stored-turn.ts";
import { planKeptTurn } from "../responses/kept-turn.ts";
import { planRequest, type Plan } from "./plan.ts";
import { planEmbeddings } from "./embeddings.ts";
import type { Json } from "../../protocol/json.ts";

/** One request's plan, and the one to retry with if the participant refuses it for the conversation state it carried. */
export interface Turn {
  plan: Plan;
  retryOn?: (why: StateRejection) => boolean;
  retry?: () => Plan;
}

export function planTurn(ctx: HubContext, room: Room, participant: Participant, protocol: Protocol, body: Json, continuation: Continuation | undefined, signal: AbortSignal): Turn {
  // Embeddings: passed through as they came, to a participant that embeds (embeddings.ts).
  if (protocol === "embeddings") return { plan: planEmbeddings(body, signal) };
  const defaults = participant.defaults;
  const adapter = adapterFor(protocol, participant.capabilities);
  // A Responses client on a participant without the Responses API: the hub keeps the turn (hub/responses/).
  if (adapter?.client === "responses") return { plan: planStoredTurn(ctx, room, participant, adapter, body, continuation, signal, defaults) };
  if (adapter || protocol !== "responses") return { plan: planRequest(ctx, protocol, adapter, body, continuation, signal, defaults, participant.id) };
  // A Responses participant not known to keep conversations: the hub keeps the turn; if it
  // refuses `store`, it is stateless now, and the same turn goes again with `store: false`.
  if (participant.responsesState !== "stateful") {
    const kept = () => planKeptTurn(ctx, room, participant, body, continuation, signal, defaults);
    return { plan: kept(), retryOn: (why) => why === "store", retry: kept };
  }
  // Its own response, kept by the hub before it was known to keep them itself: it continues it,
  // and if it cannot after all, the hub's copy is replayed.
  if (continuation?.kind === "stored" && continuation.owner === participant.id) {
    return {
      plan: planRequest(ctx, protocol, undefined, body, { kind: "native", participant }, signal, defaults),
      retryOn: () => true,
      retry: () =>
        participant.responsesState === "stateful"
          ? planRequest(ctx, protocol, undefined, body, continuation, signal, defaults)
          : planKeptTurn(ctx, room, participant, body, continuation, signal, defaults),
    };
  }
  return { plan: planRequest(ctx, protocol, undefined, body, continuation, signal, defaults) };
}

