/**
 * A Responses participant's conversation state (`unknown | stateful | stateless`, rooms/types.ts)
 * as the hub learns it. The join probe gives the first value (proxy/probe.ts); then:
 *
 * - After the first turn the hub kept for an `unknown` participant (kept-turn.ts), the hub asks
 *   it for that response: `GET /v1/responses/{its own id}`. The response back means it keeps
 *   them (`stateful`: later turns go to it untouched, the hub keeps nothing more); a 4xx means
 *   it does not (`stateless`). No tokens are spent, and no answer that merely accepts
 *   `previous_response_id` counts: Ollama accepts it, ignores it and answers without the
 *   conversation, so "a follow-up went through" proves nothing. A lookup that tells nothing
 *   (5xx, network) is tried again after a minute, on a later turn.
 * - A refusal before the first byte (`stateRejection`): "previous_response_id not supported"
 *   (llama.cpp) or "store not supported" (vLLM) → `stateless`. A "not found" for a response
 *   it produced changes nothing: the server lost one response, not necessarily its store.
 *
 * Each change is one log line and a `participant.updated` event (its view carries the state).
 */
import { callUpstream, describeNetworkError } from "../../proxy/upstream.ts";
import { classifyStoredLookup, sentState, stateRejection, type ResponsesState, type StateRejection } from "../../protocol/openai/responses-state.ts";
import { redactSecrets } from "../../protocol/redact.ts";
import type { RelayOutcome } from "../../proxy/types.ts";
import type { HubContext } from "../context.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import { publicParticipant } from "../rooms/views.ts";
import type { Plan } from "../inference/plan.ts";

/** After a lookup that told nothing, the next one waits this long. */
export const RECHECK_AFTER_MS = 60_000;

export function setResponsesState(ctx: HubContext, room: Room, p: Participant, state: ResponsesState, why: string): void {
  if (p.responsesState === state) return;
  const was = p.responsesState;
  p.responsesState = state;
  const consequence = state === "stateful" ? "its conversations stay with it" : "the hub keeps its conversations";
  ctx.log.info(`${p.nickname} (${p.id}) in room ${room.code}: Responses state ${was} → ${state} (${why}); ${consequence}`);
  if (room.participants.get(p.id) === p) ctx.bus.publish(room.code, "participant.updated", { participant: publicParticipant(p, room), reason: "responses_state" });
}

async function lookup(ctx: HubContext, p: Participant, id: string): Promise<{ state: ResponsesState; why: string }> {
  const path = `/responses/${encodeURIComponent(id)}`;
  try {
    const res = await callUpstream(p.target, { method: "GET", path, timeoutMs: ctx.probeTimeoutMs }, ctx.fetch);
    const state = classifyStoredLookup(res.status, await res.text(), id);
    return { state, why: `GET /v1${path} of its own response answered ${res.status}` };
  } catch (err) {
    return { state: "unknown", why: describeNetworkError(err) };
  }
}

/** After a kept turn of an `unknown` participant ended with `id`: ask it for that response (one lookup at a time). */
export function checkResponsesState(ctx: HubContext, room: Room, p: Participant, id: string): void {
  if (p.responsesState !== "unknown" || p.stateCheck || ctx.now() < p.stateCheckAfter) return;
  p.stateCheck = lookup(ctx, p, id).then(({ state, why }) => {
    p.stateCheck = undefined;
    if (state === "unknown") {
      p.stateCheckAfter = ctx.now() + RECHECK_AFTER_MS;
      ctx.log.debug(`${p.nickname} (${p.id}): its Responses state is still unknown: ${redactSecrets(why, Object.values(p.authHeaders))}`);
    } else if (p.responsesState === "unknown") setResponsesState(ctx, room, p, state, why);
  });
}

/**
 * Whether a refused passthrough Responses request was refused for the conversation state it
 * carried (plan.upstreamJson), and what the participant's state becomes: only an explicit
 * "not supported" says it keeps nothing.
 */
export function refusalOf(ctx: HubContext, room: Room, p: Participant, plan: Plan, outcome: RelayOutcome): StateRejection | undefined {
  if (!plan.upstreamJson || outcome.status < 400 || outcome.observation.firstEventAt !== undefined) return undefined;
  const why = stateRejection(outcome.status, outcome.error, sentState(plan.upstreamJson));
  if (why === "unsupported" || why === "store") {
    const field = why === "store" ? "store" : "previous_response_id";
    setResponsesState(ctx, room, p, "stateless", `it refused ${field}: HTTP ${outcome.status} "${redactSecrets(outcome.error ?? "", Object.values(p.authHeaders)).slice(0, 200)}"`);
  }
  return why;
}
