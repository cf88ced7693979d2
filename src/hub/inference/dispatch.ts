/**
 * One inference request, hub side: pick a participant (or the one a `previous_response_id`
 * belongs to, responses/continuation.ts), rewrite `model` to the one of its models the request
 * asked for (select.ts's upstreamModel; a kept conversation's own model), plan the upstream
 * request with the room's and participant's defaults (turn.ts chooses how), forward it through
 * the proxy, and report `llm.request` / `llm.complete` / `llm.error` on the room's event bus
 * with the metrics the proxy observed. Each end also feeds the participant's health
 * (rooms/registry.ts): a fault counts towards unhealthy, a success resets the count; a client
 * leaving or an HTTP error answer does neither.
 *
 * A passthrough Responses request refused before its first byte for the conversation state it
 * carried (responses/state.ts) is sent once more, planned again with what the refusal taught
 * (turn.ts says when): the client, the room's events and the participant's health see only the
 * second answer.
 */
import type { HubContext } from "../context.ts";
import type { Room } from "../rooms/registry.ts";
import { pickParticipant, upstreamModel } from "./select.ts";
import type { Plan } from "./plan.ts";
import { planTurn } from "./turn.ts";
import { resolveContinuation } from "../responses/continuation.ts";
import { refusalOf } from "../responses/state.ts";
import type { StateRejection } from "../../protocol/openai/responses-state.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import { redactSecrets } from "../../protocol/redact.ts";
import { forwardRequest } from "../../proxy/forward.ts";
import type { RelayOutcome } from "../../proxy/types.ts";

export interface InferenceBody {
  model: string;
  stream?: boolean;
  [key: string]: unknown;
}

export function metricsOf(outcome: RelayOutcome, startedAt: number, endedAt: number) {
  const o = outcome.observation;
  const firstAt = o.firstContentAt ?? o.firstEventAt ?? endedAt;
  const metrics: Record<string, number> = { ttftMs: firstAt - startedAt, durationMs: endedAt - startedAt };
  if (o.usage?.inputTokens !== undefined) metrics.inputTokens = o.usage.inputTokens;
  if (o.usage?.outputTokens !== undefined) metrics.outputTokens = o.usage.outputTokens;
  if (o.usage?.totalTokens !== undefined) metrics.totalTokens = o.usage.totalTokens;
  const genMs = endedAt - firstAt;
  if (o.usage?.outputTokens && genMs > 0) metrics.tokensPerSecond = (o.usage.outputTokens * 1000) / genMs;
  return metrics;
}

/**
 * Where a failed request failed, for the room's `llm.error` event: the client went away
 * (`client`), the endpoint could not be reached (`connect`), a deadline passed before the first
 * byte (`timeout`), the endpoint answered with an error (`upstream`), or the stream broke or
 * carried an error after it had started (`stream`).
 */
export type ErrorStage = "client" | "connect" | "timeout" | "upstream" | "stream";

export function errorStage(outcome: RelayOutcome): ErrorStage {
  if (outcome.aborted) return "client";
  const started = outcome.observation.firstEventAt !== undefined || outcome.observation.firstContentAt !== undefined;
  if (started) return "stream";
  if (outcome.fault === "unreachable") return "connect";
  if (outcome.fault === "timeout") return "timeout";
  return outcome.fault === "disconnected" ? "stream" : "upstream";
}

export async function dispatch(ctx: HubContext, room: Room, protocol: Protocol, body: InferenceBody, request: Request): Promise<Response> {
  const requested = body.model;
  const continuation = resolveContinuation(ctx, room, body, protocol);
  const participant = continuation?.participant ?? pickParticipant([...room.participants.values()], requested, protocol, ctx.random);
  // A follow-up right after a turn of an `unknown` participant: the lookup that settles its state is under way.
  if (continuation && participant.stateCheck) await participant.stateCheck;
  const stream = body.stream === true;
  const model = (continuation?.kind === "stored" ? continuation.model : undefined) ?? upstreamModel(participant, requested);
  body.model = model;
  const turn = planTurn(ctx, room, participant, protocol, body, continuation, request.signal);

  const requestId = `req_${ctx.newId().replace(/-/g, "").slice(0, 16)}`;
  const startedAt = ctx.now();
  const adapted = turn.plan.translation !== undefined;
  const base = { requestId, participantId: participant.id, nickname: participant.nickname, model, protocol, stream, adapted };
  if (ctx.bus.watched(room.code)) ctx.bus.publish(room.code, "llm.request", { ...base, requested });

  let refused: StateRejection | undefined;
  const forward = (plan: Plan, retryOn?: (why: StateRejection) => boolean): Promise<Response> => {
    participant.inFlight++;
    const forwarding = forwardRequest({
      protocol,
      target: participant.target,
      body: plan.body,
      translation: plan.translation,
      stream,
      signal: plan.signal,
      clientHeaders: request.headers,
      headers: { "x-gambi-participant": participant.id, "x-gambi-request-id": requestId },
      now: ctx.now,
      fetch: ctx.fetch,
      timeouts: ctx.timeouts,
      shutdown: ctx.shutdown.cutoff,
      onResponseId: (id) => {
        ctx.responseOwners.set(room.code, id, participant.id);
        plan.onResponseId?.(id);
      },
      onRepair: (reason) => ctx.registry.noteRepairs(room, participant, reason),
      abortReason: plan.abortReason,
      echo: plan.echo,
      // A passthrough chat answer's usage and in-band error feed only the room's events: with no
      // one watching, the hub passes the bytes on without parsing them.
      wantsObservation: () => plan.translation !== undefined || ctx.bus.watched(room.code),
      onFinish: (outcome) => {
        plan.onFinish(outcome);
        participant.inFlight--;
        const failed = outcome.error !== undefined || outcome.status >= 400;
        if (failed && plan.upstreamJson) {
          refused = refusalOf(ctx, room, participant, plan, outcome);
          // Retried at once: neither the client nor the room's events see this refusal.
          if (refused && retryOn?.(refused)) return;
        }
        if (outcome.fault && !outcome.aborted) ctx.registry.recordFault(room, participant, redactSecrets(outcome.error ?? outcome.fault, Object.values(participant.authHeaders)));
        else if (!failed) ctx.registry.recordSuccess(room, participant);
        if (failed) {
          const error = redactSecrets(outcome.error ?? `HTTP ${outcome.status}`, Object.values(participant.authHeaders));
          ctx.log.debug(`${requestId} ${participant.nickname}: ${error}`);
          if (!ctx.bus.watched(room.code)) return;
          const metrics = metricsOf(outcome, startedAt, ctx.now());
          ctx.bus.publish(room.code, "llm.error", { ...base, status: outcome.status, stage: errorStage(outcome), error, aborted: outcome.aborted ?? false, metrics });
        } else if (ctx.bus.watched(room.code)) {
          ctx.bus.publish(room.code, "llm.complete", { ...base, status: outcome.status, metrics: metricsOf(outcome, startedAt, ctx.now()) });
        }
      },
    });
    // A non-streaming response cancelled with POST …/cancel answers with its cancelled state.
    return (plan.answer ? forwarding.then(plan.answer) : forwarding).catch((err: unknown) => {
      const cancelled = plan.cancelled();
      if (cancelled) return Response.json(cancelled, { headers: { "x-gambi-participant": participant.id, "x-gambi-request-id": requestId } });
      throw err;
    });
  };

  const first = await forward(turn.plan, turn.retryOn);
  if (!refused || !turn.retry || !turn.retryOn?.(refused)) return first;
  ctx.log.debug(`${requestId} ${participant.nickname}: refused for its conversation state (${refused}); sent again with the conversation itself`);
  return forward(turn.retry());
}
