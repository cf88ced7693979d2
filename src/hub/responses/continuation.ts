/**
 * `previous_response_id`: which participant continues a conversation, and with what.
 *
 * - A response a Responses-speaking participant produced (and stores itself): the follow-up
 *   goes back to that participant, untouched. If it is offline or gone, nobody else has the
 *   conversation: 503 / 404 saying so.
 * - A response the hub stored (a chat-only or Messages-only participant's, adapted, or a Responses participant's
 *   that keeps no state, kept-turn.ts): the follow-up goes back to the same participant while
 *   it is online (dispatch.ts waits for it, and if it fails, another online participant serving
 *   the conversation's model takes over); if it is gone, another online participant serving
 *   that model (among all it serves) — the hub holds the whole conversation and can replay it.
 *   Either way the follow-up is sent with the conversation's model while the participant still
 *   serves it.
 * - A response of a participant not known to keep state, which the hub did not keep (`store:
 *   false`, or gone from its memory): nobody has it, 404 — sent on, the participant would
 *   refuse it or, like Ollama, answer without the conversation.
 * - An id nobody knows, or a conversation with an expired turn: 404 in OpenAI's shape.
 *
 * The conversation decides the participant: the request's `model` is not consulted (dispatch.ts
 * asks the room's scheduler for the owner, else for anyone serving the conversation's model). The
 * ids come from owners.ts (a participant's) and response-store.ts (the hub's). A hub-kept
 * conversation continued by a Responses participant is replayed whole (replayConversation).
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import type { Json } from "../../protocol/json.ts";
import { normalizeInput, type IdSource } from "../../protocol/openai/responses-items.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";

export type Continuation =
  | { kind: "native"; participant: Participant }
  /** `owner`: the participant that answered it (it may have left); `model`: what it served, and who else may continue it. */
  | { kind: "stored"; previousId: string; history: Json[]; owner: string; model: string };

const notFound = (id: string, why: string) =>
  new GambiError(404, `previous_response_id "${id}": ${why}`, { code: "previous_response_not_found", param: "previous_response_id" });

export function resolveContinuation(ctx: HubContext, room: Room, body: Json, protocol: Protocol): Continuation | undefined {
  const id = body.previous_response_id;
  if (protocol !== "responses" || id === undefined || id === null) return undefined;
  if (typeof id !== "string" || id === "") throw new GambiError(400, "previous_response_id must be a response id string", { code: "invalid_request", param: "previous_response_id" });

  const stored = ctx.responseStore.get(room.code, id);
  if (stored) {
    const history = ctx.responseStore.history(room.code, id);
    if ("missing" in history) throw notFound(id, `an earlier turn (${history.missing}) has expired from the hub's memory`);
    const owner = room.participants.get(stored.participantId);
    if (owner?.status !== "online" && !room.scheduler.alternatives({ kind: "model", model: stored.model })) {
      throw new GambiError(503, `previous_response_id "${id}": the participant that answered it is ${owner ? "offline" : "gone"} and nobody online serves ${stored.model}`, {
        code: "no_participant_available",
      });
    }
    return { kind: "stored", previousId: id, history: history.items, owner: stored.participantId, model: stored.model };
  }

  const owner = ctx.responseOwners.get(room.code, id);
  if (!owner) throw notFound(id, `no such response in room ${room.code} (unknown, deleted, or older than the hub remembers)`);
  const participant = room.participants.get(owner.participantId);
  if (!participant) throw notFound(id, `the participant that holds this conversation (${owner.participantId}) has left the room`);
  // Sent on, it would be refused (llama.cpp) or, worse, ignored (Ollama): an answer that forgot the conversation.
  if (participant.responsesState !== "stateful" && participant.capabilities.responses) {
    const keeps = participant.responsesState === "stateless" ? "keeps no conversations" : "is not known to keep conversations";
    throw notFound(id, `its participant (${participant.nickname}) ${keeps} and the hub did not keep this one (store: false, or older than the hub remembers)`);
  }
  if (participant.status !== "online") {
    throw new GambiError(503, `previous_response_id "${id}": the participant that holds this conversation (${participant.nickname}) is offline`, {
      code: "no_participant_available",
    });
  }
  return { kind: "native", participant };
}

/**
 * A Responses participant taking over a conversation the hub kept: it has never seen the id,
 * so it gets the conversation itself. Reasoning items stay out (adapted from another model's
 * chat output), and item ids too: they name items only the hub has, and a Responses server
 * may take an id as a reference to something it stored.
 */
export function replayConversation(body: Json, history: Json[], ctx: IdSource): Json {
  const { previous_response_id: _previous, ...rest } = body;
  const input = [...history, ...normalizeInput(body, ctx)]
    .filter((item) => item.type !== "reasoning")
    .map(({ id: _id, ...item }) => item);
  return { ...rest, input };
}
