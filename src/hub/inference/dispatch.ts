/**
 * One inference request, hub side: a lease from the room's scheduler (pool/scheduler.ts: a free
 * participant at once, or a place in the room's queue), then, per attempt, `model` rewritten to
 * the lease's, the upstream request planned for that participant with the room's and its
 * defaults (turn.ts chooses how), forwarded through the proxy, and the lease released with what
 * happened (a success's speeds, a 429's wait, a fault). `llm.request` / `llm.retry` /
 * `llm.complete` / `llm.error` go on the room's event bus with the metrics the proxy observed.
 * Each end also feeds the participant's health (rooms/registry.ts): a fault counts towards
 * unhealthy, a success resets the count; a client leaving or an HTTP error answer does neither,
 * except a 401/403, which marks it unhealthy at once (its credentials stopped working).
 *
 * Who may serve: the request's `model` (`*`, a model among all each participant serves, a
 * participant id, `<participant id>/<model>`: the scheduler's `want`, whose lease says which
 * model the body is sent with); a `previous_response_id` decides instead (responses/continuation.ts): its owner,
 * waited for and never failed over from, except a conversation the hub keeps, which another
 * participant serving the same model may take over when the owner fails.
 *
 * Failover, before the first byte reaches the client: a participant that could not be
 * reached, reset the connection, passed the connect or first-byte deadline, answered 429, 500,
 * 502, 503, 504 or 529 (Anthropic's "overloaded"), refused its credentials (401/403) or opened its stream with an error is
 * dropped for this request and the request goes to another eligible participant (waiting for
 * one if all are busy), at most `maxAttempts` participants in all, never one already tried,
 * never when the request names its participant (by id, or a conversation only it holds). Each
 * retry is an `llm.retry` event; the answer says how many participants were tried
 * (`x-gambi-attempts`), and `llm.complete` / `llm.error` too, with the time spent queued
 * (`metrics.queueMs`). A failed attempt's plan is finished like any other (`plan.onFinish`), so
 * nothing is kept for it. 400/404/422 and the rest go back to the client as they came.
 *
 * A passthrough Responses request refused before its first byte for the conversation state it
 * carried (responses/state.ts) is sent once more to the same participant, on the same lease,
 * planned again with what the refusal taught (turn.ts says when): the client, the room's
 * events and the participant's health see only the second answer.
 *
 * A streaming request that waits for a slot longer than a second is answered at once with a
 * 200 and comments while it waits (queued-stream.ts); the rest of its walk is the same.
 *
 * The common path (a participant free, the first attempt served) costs the scheduler's lease and
 * this request's own object (which is also what it asks the scheduler with); no timer, no set
 * of tried participants (made on the first retry), and its caller's fairness key is a hash of
 * what the ledger reads of the caller anyway (access/caller.ts).
 */
import type { HubContext } from "../context.ts";
import type { Participant, Room, RoomMember } from "../rooms/registry.ts";
import type { Plan } from "./plan.ts";
import { planTurn, type Turn } from "./turn.ts";
import { QueuedStream, QUEUED_ANSWER_AFTER_MS } from "./queued-stream.ts";
import { unservable } from "./unservable.ts";
import { resolveContinuation, type Continuation } from "../responses/continuation.ts";
import { refusalOf } from "../responses/state.ts";
import { callerAddress, callerToken, fairnessKey, type AddressSource, type CallerKind } from "../access/caller.ts";
import type { AttemptEnd, ErrorStage } from "./attempt-end.ts";
import { estimateInputTokens, estimateOutputTokens } from "../ledger/estimate.ts";
import type { AcquireRequest, Lease, LeaseOutcome, Waiting, Want } from "../pool/scheduler.ts";
import type { StateRejection } from "../../protocol/openai/responses-state.ts";
import { hasCode } from "../../protocol/error-codes.ts";
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import { redactSecrets } from "../../protocol/redact.ts";
import { forwardRequest } from "../../proxy/forward.ts";
import type { RelayOutcome } from "../../proxy/types.ts";

export interface InferenceBody {
  model: string;
  stream?: boolean;
  [key: string]: unknown;
}

type ServerLike = AddressSource | null;

/**
 * What the room's events say of a request's last attempt: its time to first content and
 * duration (from the attempt's start), tokens and rate, and `queueMs`, the time the request
 * spent waiting for a participant before it (every wait, when it was retried).
 */
export function metricsOf(outcome: RelayOutcome, startedAt: number, endedAt: number, queueMs = 0) {
  const o = outcome.observation;
  const firstAt = o.firstContentAt ?? o.firstEventAt ?? endedAt;
  const metrics: Record<string, number> = { ttftMs: firstAt - startedAt, durationMs: endedAt - startedAt, queueMs };
  if (o.usage?.inputTokens !== undefined) metrics.inputTokens = o.usage.inputTokens;
  if (o.usage?.outputTokens !== undefined) metrics.outputTokens = o.usage.outputTokens;
  if (o.usage?.totalTokens !== undefined) metrics.totalTokens = o.usage.totalTokens;
  const genMs = endedAt - firstAt;
  if (o.usage?.outputTokens && genMs > 0) metrics.tokensPerSecond = (o.usage.outputTokens * 1000) / genMs;
  return metrics;
}

/**
 * What a served request teaches the scheduler about its participant's speed (pool/speed.ts):
 * a stream's time to first content and its output rate after it; a whole body only its rate
 * over the whole request (time to first token included, so it compares with a stream's
 * first-token-plus-rate over an answer of the same length).
 */
function speedOf(outcome: RelayOutcome, stream: boolean, startedAt: number, endedAt: number): LeaseOutcome {
  const o = outcome.observation;
  const tokens = o.usage?.outputTokens;
  if (!stream) return { kind: "success", tokensPerSecond: tokens && endedAt > startedAt ? (tokens * 1000) / (endedAt - startedAt) : undefined };
  const firstAt = o.firstContentAt ?? o.firstEventAt;
  if (firstAt === undefined) return SUCCESS;
  return { kind: "success", ttftMs: firstAt - startedAt, tokensPerSecond: tokens && endedAt > firstAt ? (tokens * 1000) / (endedAt - firstAt) : undefined };
}

const SUCCESS: LeaseOutcome = Object.freeze({ kind: "success" });
const ENDED: LeaseOutcome = Object.freeze({ kind: "ended" });
const FAULT: LeaseOutcome = Object.freeze({ kind: "fault" });

/**
 * Where a failed request failed, for the room's `llm.error` event: the client went away
 * (`client`), no participant took it (`queue`: the room was busy, the wait passed its
 * deadline), the endpoint could not be reached (`connect`), a deadline passed before the first
 * byte (`timeout`), the endpoint answered with an error (`upstream`), or the stream broke or
 * carried an error after it had started (`stream`).
 */
export type { ErrorStage };

export function errorStage(outcome: RelayOutcome): ErrorStage {
  if (outcome.aborted) return "client";
  const started = outcome.observation.firstEventAt !== undefined || outcome.observation.firstContentAt !== undefined;
  if (started) return "stream";
  if (outcome.fault === "unreachable") return "connect";
  if (outcome.fault === "timeout") return "timeout";
  return outcome.fault === "disconnected" ? "stream" : "upstream";
}

/** Why an attempt is given up for another participant (`llm.retry`'s `reason`). */
export type RetryReason = "unreachable" | "timeout" | "disconnected" | "stream_error" | "rate_limited" | "credentials" | `http_${500 | 502 | 503 | 504 | 529}`;

/** Whether a failure before the first byte reached the client may go to another participant, and why. */
export function failoverReason(outcome: RelayOutcome): RetryReason | undefined {
  if (outcome.aborted) return undefined;
  if (outcome.fault !== undefined) return outcome.fault;
  if (outcome.errorFirst) return "stream_error";
  if (!outcome.upstreamHeaders) return undefined;
  switch (outcome.status) {
    case 429:
      return "rate_limited";
    case 401:
    case 403:
      return "credentials";
    case 500:
    case 502:
    case 503:
    case 504:
    // Anthropic's "overloaded": another participant may well have room.
    case 529:
      return `http_${outcome.status}`;
  }
  return undefined;
}

function hasAny(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** One participant's attempt at a request, as its forward and what settles it see it. */
interface Attempt {
  lease: Lease<RoomMember>;
  turn: Turn;
  /** Whether a failure before the first byte may still go to another participant (asked before it starts). */
  failover: boolean;
  /** Set by the attempt's end when the participant refused the conversation state it was sent. */
  state: { refused: StateRejection | undefined };
  /** Not the same turn sent again after such a refusal. */
  first: boolean;
}

class Dispatch implements AcquireRequest {
  want: Want;
  exclude: Set<string> | undefined;
  readonly signal: AbortSignal;
  readonly stream: boolean;
  readonly requestId: string;
  /** Named by id, or a conversation only its owner holds: never failed over from. */
  private pinned: boolean;
  /** A conversation the hub keeps: who may take it over when its owner fails. */
  private fallback: Want | undefined;
  private caller_: string | undefined;
  private callerKind_: CallerKind | undefined;
  private callerId = "";
  private attempt = 0;
  private queueMs = 0;
  /** The participant of the attempt before, and why it was given up. */
  private previous: { id: string; reason: RetryReason; error: string } | undefined;
  /** Set by an attempt's end when the request goes to another participant. */
  private retry: RetryReason | undefined;
  /** That attempt's end, counted as one failed over from: the request's for its caller if no one takes it after all. */
  private failedOver: AttemptEnd | undefined;
  private queued: QueuedStream | undefined;
  /** `performance.now()` when the lane took the request: the start of the hub's own time (`gambi_hub_overhead_seconds`). */
  private readonly arrivedAt: number;

  constructor(
    private readonly ctx: HubContext,
    private readonly room: Room,
    readonly protocol: Protocol,
    private readonly body: InferenceBody,
    private readonly request: Request,
    private readonly server: ServerLike,
    private readonly requested: string,
    private readonly continuation: Continuation | undefined,
    arrivedAt: number | undefined,
  ) {
    this.arrivedAt = arrivedAt ?? performance.now();
    this.signal = request.signal;
    // Embeddings never stream (a `stream` in their body is the participant's to ignore).
    this.stream = protocol !== "embeddings" && body.stream === true;
    this.requestId = ctx.requestId();
    const c = continuation;
    if (c?.kind === "native") this.want = { kind: "participant", id: c.participant.id };
    else if (c?.kind === "stored") {
      const owner = room.participants.get(c.owner);
      const model: Want = { kind: "model", model: c.model };
      // Its owner, with the conversation's model while it still serves it.
      this.want = owner?.status === "online" ? { kind: "participant", id: owner.id, model: owner.models.includes(c.model) ? c.model : undefined } : model;
      this.fallback = model;
    } else this.want = room.scheduler.want(requested, protocol === "embeddings");
    this.pinned = this.want.kind === "participant" && this.fallback === undefined;
  }

  /** The fairness key (access/caller.ts), from who the ledger's row names (read once per request either way). */
  get caller(): string {
    return (this.caller_ ??= fairnessKey(this.ctx.callerSeed, this.callerKind(), this.callerId));
  }

  /**
   * Not async, nor are the attempt's own steps: on the common path (a free participant, one
   * attempt) the request's promise is the forward's, with one reaction of this class on it
   * (`forward`'s), where nested async frames cost a promise and a few microtasks each. A throw
   * here reaches the lane's try as a throw from an async function's body would.
   */
  run(): Promise<Response> {
    let got: Lease<RoomMember> | Waiting<RoomMember>;
    try {
      got = this.room.scheduler.acquire(this);
    } catch (err) {
      this.queueFailed(err, 0);
      throw this.continuation ? err : unservable(this.room, this.requested, this.want, err);
    }
    return got.waiting ? this.waitThenAttempt(got) : this.attemptOn(got);
  }

  private async waitThenAttempt(got: Waiting<RoomMember>): Promise<Response> {
    const lease = await this.wait(got);
    return lease instanceof Response ? lease : this.attemptOn(lease);
  }

  /**
   * A wait for a slot. A stream not yet answered that waits a second gets its 200 now (the
   * returned Response), and the rest of the request goes on behind it.
   */
  private async wait(got: Waiting<RoomMember>): Promise<Lease<RoomMember> | Response> {
    const timers = this.ctx.timeouts.timers;
    const since = timers.now();
    try {
      if (this.queued) {
        this.queued.waiting(got.position, false);
        return await got.granted;
      }
      if (!this.stream) return await got.granted;
      let timer: unknown;
      const later = new Promise<undefined>((resolve) => (timer = timers.setTimeout(() => resolve(undefined), QUEUED_ANSWER_AFTER_MS)));
      try {
        const lease = await Promise.race([got.granted, later]);
        if (lease) return lease;
      } finally {
        timers.clearTimeout(timer);
      }
      return this.answerQueued(got, since);
    } catch (err) {
      this.queueFailed(err, timers.now() - since);
      throw err;
    }
  }

  /** The 200 of a stream that waits; what follows feeds it. */
  private answerQueued(got: Waiting<RoomMember>, since: number): Response {
    const ctx = this.ctx;
    const queued = new QueuedStream(this.protocol, this.body, ctx.timeouts.timers, ctx.now, { "x-gambi-request-id": this.requestId });
    this.queued = queued;
    queued.waiting(got.position, true);
    void (async () => {
      let answer: Response;
      try {
        let lease: Lease<RoomMember>;
        try {
          lease = await got.granted;
        } catch (err) {
          this.queueFailed(err, ctx.timeouts.timers.now() - since);
          throw err;
        }
        answer = await this.attemptOn(lease);
      } catch (err) {
        if (!(err instanceof GambiError) && !this.signal.aborted) ctx.log.error("unexpected error", err);
        queued.fail(err);
        return;
      }
      await queued.answer(answer);
    })();
    return queued.response;
  }

  /**
   * After an attempt, from its forward's reaction: the participant's refusal of the
   * conversation state sent once more (turn.ts says when), a failure that may go elsewhere sent
   * to the next participant, or the attempt's answer (or failure) as the request's.
   */
  private settled(attempt: Attempt, res: Response | undefined, failure: unknown): Promise<Response> | Response {
    const { lease, turn, state } = attempt;
    const refused = state.refused;
    if (res && attempt.first && refused && turn.retry && turn.retryOn?.(refused)) {
      const participant = lease.member.participant;
      this.ctx.log.debug(`${this.requestId} ${participant.nickname}: refused for its conversation state (${refused}); sent again with the conversation itself`);
      return this.forward({ ...attempt, first: false }, turn.retry());
    }
    if (this.retry === undefined) {
      if (res) return res;
      throw failure;
    }
    this.retry = undefined;
    return this.failOver(lease, res, failure);
  }

  /** The next participant, once an attempt failed where another may serve; if there is none any more, this attempt's answer stands. */
  private async failOver(lease: Lease<RoomMember>, res: Response | undefined, failure: unknown): Promise<Response> {
    let got: ReturnType<Dispatch["nextAcquire"]>;
    try {
      got = this.nextAcquire();
    } catch (err) {
      void res?.body?.cancel().catch(() => undefined);
      throw err;
    }
    if (got instanceof Error) {
      // Nobody left after all: the attempt counted as failed over from was the request's last.
      if (this.failedOver) this.ctx.ledger.requestEnded(this.failedOver);
      this.publishFinalFailure(lease.member.participant, res, failure);
      if (res) return res;
      throw failure;
    }
    void res?.body?.cancel().catch(() => undefined);
    if (!got.waiting) return this.attemptOn(got);
    const waited = await this.wait(got);
    // A stream answered while it waited: what is left goes on behind that answer.
    return waited instanceof Response ? waited : this.attemptOn(waited);
  }

  /** After a failed attempt: a lease on another participant, a wait for one, or the error that says there is none. */
  private nextAcquire(): Lease<RoomMember> | Waiting<RoomMember> | Error {
    try {
      return this.room.scheduler.acquire(this);
    } catch (err) {
      // Turned away by a full queue, or the room went: said like any request's; nobody left: the last answer stands.
      if (err instanceof GambiError && (hasCode(err, "room_busy") || hasCode(err, "room_not_found") || hasCode(err, "hub_shutting_down"))) {
        this.queueFailed(err, 0);
        throw err;
      }
      return err as Error;
    }
  }

  /** Whether a failure of this attempt may still go elsewhere (asked before it starts, for the relay, and when it ends). */
  private mayFailOver(current: RoomMember): boolean {
    if (this.pinned || this.attempt >= this.ctx.maxAttempts) return false;
    const want = this.fallback ?? this.want;
    // Everyone eligible but those tried before and `current`, which may have gone offline by
    // now (its tunnel closed under the request): counting it as one of them would be wrong then.
    return this.room.scheduler.alternatives(want, this.exclude, current.id) > 0;
  }

  /** One participant's attempt. Throws (the client left, planning failed) release the lease first. */
  private attemptOn(lease: Lease<RoomMember>): Promise<Response> {
    const { ctx, room } = this;
    const participant = lease.member.participant;
    this.attempt++;
    this.queueMs += lease.waitedMs;
    this.queued?.dispatched();
    if (this.queued?.gone || this.signal.aborted) {
      lease.release(ENDED);
      throw this.signal.reason ?? new DOMException("the client left", "AbortError");
    }
    const previous = this.previous;
    if (previous) ctx.metrics.retried(room.code, previous.reason);
    if (previous && ctx.bus.watched(room.code)) {
      ctx.bus.publish(room.code, "llm.retry", { requestId: this.requestId, from: previous.id, to: participant.id, reason: previous.reason, error: previous.error, attempt: this.attempt });
    }
    // A follow-up right after a turn of an `unknown` participant: the lookup that settles its state is under way.
    if (this.continuation && participant.stateCheck) {
      return participant.stateCheck.then(
        () => this.planned(lease),
        (err: unknown) => {
          lease.release(ENDED);
          throw err;
        },
      );
    }
    return this.planned(lease);
  }

  private planned(lease: Lease<RoomMember>): Promise<Response> {
    const { ctx, room, body } = this;
    const participant = lease.member.participant;
    let turn: Turn;
    try {
      body.model = lease.model;
      // Defaults are written into the body: a copy, so the next participant gets the client's own.
      const planned = hasAny(participant.defaults) ? { ...body } : body;
      turn = planTurn(ctx, room, participant, this.protocol, planned, this.continuation, this.signal);
    } catch (err) {
      lease.release(ENDED);
      throw err;
    }
    const attempt: Attempt = { lease, turn, failover: this.mayFailOver(lease.member), state: { refused: undefined }, first: true };
    return this.forward(attempt, turn.plan);
  }

  private forward(attempt: Attempt, plan: Plan): Promise<Response> {
    const { ctx, room, requestId } = this;
    const { lease, failover, state } = attempt;
    const participant = lease.member.participant;
    // Said on the room's events (`llm.request`): not for the same turn sent again after a refusal.
    const announce = attempt.first;
    const retryOn = attempt.first ? attempt.turn.retryOn : undefined;
    const startedAt = ctx.now();
    const adapted = plan.translation !== undefined;
    // What every event of this attempt says: made only when someone watches the room.
    const base = () => ({ requestId, participantId: participant.id, nickname: participant.nickname, model: lease.model, protocol: this.protocol, stream: this.stream, adapted });
    if (announce && ctx.bus.watched(room.code)) ctx.bus.publish(room.code, "llm.request", { ...base(), requested: this.requested, attempt: this.attempt });
    const headers = { "x-gambi-participant": participant.id, "x-gambi-request-id": requestId, "x-gambi-attempts": String(this.attempt) };
    let answered = false;
    // The lease's wait for a slot, and on the request's first attempt the hub's own time: its
    // arrival to this first upstream fetch, less the wait.
    if (attempt.first) ctx.metrics.leased(room.code, this.protocol, lease.waitedMs, this.attempt === 1 ? Math.max(0, (performance.now() - this.arrivedAt - this.queueMs) / 1000) : undefined);
    const forwarding = forwardRequest({
      protocol: this.protocol,
      target: participant.target,
      body: plan.body,
      translation: plan.translation,
      stream: this.stream,
      signal: plan.signal,
      clientHeaders: this.request.headers,
      headers,
      now: ctx.now,
      fetch: ctx.fetch,
      timeouts: ctx.timeouts,
      shutdown: ctx.shutdown.cutoff,
      failover,
      onResponseId: (id) => {
        ctx.responseOwners.set(room.code, id, participant.id);
        plan.onResponseId?.(id);
      },
      onRepair: (reason) => ctx.registry.noteRepairs(room, participant, reason),
      abortReason: plan.abortReason,
      echo: plan.echo,
      dropUsageChunk: plan.usageAdded,
      // A passthrough chat answer's usage and in-band error feed only the room's events: with no
      // one watching, the hub passes the bytes on without parsing them.
      wantsObservation: () => plan.translation !== undefined || ctx.bus.watched(room.code),
      onFinish: (outcome) => {
        plan.onFinish(outcome);
        const failed = outcome.error !== undefined || outcome.status >= 400;
        if (failed && plan.upstreamJson) {
          state.refused = refusalOf(ctx, room, participant, plan, outcome);
          // Retried at once, on the same lease: neither the client nor the room's events see this refusal.
          if (state.refused && retryOn?.(state.refused)) return;
        }
        const endedAt = ctx.now();
        const secrets = () => Object.values(participant.authHeaders);
        if (outcome.fault && !outcome.aborted) ctx.registry.recordFault(room, participant, redactSecrets(outcome.error ?? outcome.fault, secrets()));
        else if (!failed) ctx.registry.recordSuccess(room, participant);
        // Once the answer is out, nothing can go elsewhere.
        const reason = failed && !answered ? failoverReason(outcome) : undefined;
        if (reason === "credentials" && !ctx.poolOff) ctx.registry.credentialsRejected(room, participant, outcome.status);
        lease.release(this.leaseOutcome(outcome, failed, startedAt, endedAt));
        const retrying = reason !== undefined && failover && this.mayFailOver(lease.member);
        const end = this.attemptEnd(participant, lease.model, adapted, outcome, failed, !retrying, startedAt, endedAt);
        this.ended(end);
        if (retrying) this.failedOver = end;
        if (retrying) {
          const error = redactSecrets(outcome.error ?? `HTTP ${outcome.status}`, secrets());
          ctx.log.debug(`${requestId} ${participant.nickname}: ${error}; trying another participant`);
          (this.exclude ??= new Set()).add(participant.id);
          if (this.fallback) this.want = this.fallback;
          this.previous = { id: participant.id, reason, error };
          this.retry = reason;
          return;
        }
        if (failed) {
          const error = redactSecrets(outcome.error ?? `HTTP ${outcome.status}`, secrets());
          ctx.log.debug(`${requestId} ${participant.nickname}: ${error}`);
          if (!ctx.bus.watched(room.code)) return;
          const metrics = metricsOf(outcome, startedAt, endedAt, this.queueMs);
          ctx.bus.publish(room.code, "llm.error", { ...base(), status: outcome.status, stage: errorStage(outcome), error, aborted: outcome.aborted ?? false, metrics, attempts: this.attempt });
        } else if (ctx.bus.watched(room.code)) {
          ctx.bus.publish(room.code, "llm.complete", { ...base(), status: outcome.status, metrics: metricsOf(outcome, startedAt, endedAt, this.queueMs), attempts: this.attempt });
        }
      },
    });
    // A non-streaming response cancelled with POST …/cancel answers with its cancelled state.
    return (plan.answer ? forwarding.then(plan.answer) : forwarding).then(
      (res) => {
        answered = true;
        return this.settled(attempt, res, undefined);
      },
      (err: unknown) => {
        answered = true;
        const cancelled = plan.cancelled();
        if (cancelled) return this.settled(attempt, Response.json(cancelled, { headers }), undefined);
        return this.settled(attempt, undefined, err);
      },
    );
  }

  /**
   * What an attempt was, for /metrics and the room's ledger. Tokens are the participant's own
   * count; where its answer carried none (no usage in a stream, a body without it) and it
   * produced something, the hub's estimate (ledger/estimate.ts), said as such.
   */
  private attemptEnd(participant: Participant, model: string, adapted: boolean, outcome: RelayOutcome, failed: boolean, final: boolean, startedAt: number, endedAt: number): AttemptEnd {
    const o = outcome.observation;
    const stream = this.stream;
    let inputTokens = o.usage?.inputTokens;
    let outputTokens = o.usage?.outputTokens;
    let estimatedInputTokens = 0;
    let estimatedOutputTokens = 0;
    if (stream ? o.firstContentAt !== undefined : !failed) {
      if (inputTokens === undefined) inputTokens = estimatedInputTokens = estimateInputTokens(this.body);
      // An embedding is no generated text: no output tokens, none estimated from the vectors' bytes.
      if (this.protocol === "embeddings") outputTokens ??= 0;
      else if (outputTokens === undefined) outputTokens = estimatedOutputTokens = estimateOutputTokens(o, stream);
    }
    const firstAt = stream ? o.firstContentAt : undefined;
    return {
      room: this.room,
      participant,
      model,
      protocol: this.protocol,
      stream,
      adapted,
      result: outcome.aborted ? "aborted" : failed ? "error" : "ok",
      stage: failed ? errorStage(outcome) : undefined,
      final,
      ttftMs: firstAt === undefined ? undefined : firstAt - startedAt,
      durationMs: endedAt - startedAt,
      generationMs: endedAt - (firstAt ?? startedAt),
      inputTokens: inputTokens ?? 0,
      outputTokens: outputTokens ?? 0,
      estimatedInputTokens,
      estimatedOutputTokens,
      callerKind: this.callerKind(),
      callerId: this.callerId,
    };
  }

  /**
   * Who asked, for the ledger's caller row (access/caller.ts): an open room's token, else the
   * address key; taken once per request, while it is open (its address is gone after). The
   * value is `callerId`.
   */
  private callerKind(): CallerKind {
    if (this.callerKind_ === undefined) {
      const token = callerToken(this.room.passwordHash !== null, this.request);
      this.callerId = token ?? callerAddress(this.request, this.server);
      this.callerKind_ = token !== undefined ? "t:" : "a:";
    }
    return this.callerKind_;
  }

  private ended(a: AttemptEnd): void {
    this.ctx.metrics.attemptEnded(a);
    this.ctx.ledger.attemptEnded(a);
  }

  private leaseOutcome(outcome: RelayOutcome, failed: boolean, startedAt: number, endedAt: number): LeaseOutcome {
    // Before pooling the hub learnt nothing from an answer.
    if (this.ctx.poolOff) return ENDED;
    if (!failed) return speedOf(outcome, this.stream, startedAt, endedAt);
    if (outcome.status === 429 && outcome.upstreamHeaders) return { kind: "rate_limited", headers: outcome.upstreamHeaders };
    return outcome.fault && !outcome.aborted ? FAULT : ENDED;
  }

  /**
   * The request ends without any participant's answer: no one serves what it asks for, turned
   * away by a busy room, or timed out (or left) in the queue. Counted in /metrics and for its
   * caller in the room's ledger (a room that went has no ledger left), and said on the room's
   * events after a wait (no participant: none took it).
   */
  private queueFailed(err: unknown, waitedMs: number): void {
    const { ctx, room } = this;
    this.queueMs += waitedMs;
    const aborted = this.signal.aborted;
    const end: AttemptEnd = {
      room,
      participant: undefined,
      model: undefined,
      protocol: this.protocol,
      stream: this.stream,
      adapted: false,
      result: aborted ? "aborted" : "error",
      stage: aborted ? "client" : "queue",
      final: true,
      ttftMs: undefined,
      durationMs: this.queueMs,
      generationMs: 0,
      inputTokens: 0,
      outputTokens: 0,
      estimatedInputTokens: 0,
      estimatedOutputTokens: 0,
      callerKind: this.callerKind(),
      callerId: this.callerId,
    };
    ctx.metrics.attemptEnded(end);
    if (!(err instanceof GambiError && hasCode(err, "room_not_found"))) ctx.ledger.attemptEnded(end);
    if (!(err instanceof GambiError) || !ctx.bus.watched(room.code)) {
      if (this.signal.aborted && waitedMs > 0 && ctx.bus.watched(room.code)) this.publishQueueError(499, "client", "the client left while the request waited for a participant", true);
      return;
    }
    if (waitedMs === 0 && !hasCode(err, "room_busy")) return;
    this.publishQueueError(err.status, "queue", err.message, false);
  }

  private publishQueueError(status: number, stage: ErrorStage, error: string, aborted: boolean): void {
    const { ctx, room } = this;
    const last = this.previous ? room.participants.get(this.previous.id) : undefined;
    ctx.bus.publish(room.code, "llm.error", {
      requestId: this.requestId,
      participantId: last?.id ?? null,
      nickname: last?.nickname ?? null,
      requested: this.requested,
      protocol: this.protocol,
      stream: this.stream,
      status,
      stage,
      error,
      aborted,
      metrics: { queueMs: this.queueMs },
      attempts: this.attempt,
    });
  }

  /** An attempt that was to be retried is the last after all (nobody left): its failure, said as any final one. */
  private publishFinalFailure(participant: Participant, res: Response | undefined, failure: unknown): void {
    const { ctx, room } = this;
    const previous = this.previous;
    this.previous = undefined;
    if (!ctx.bus.watched(room.code) || !previous) return;
    ctx.bus.publish(room.code, "llm.error", {
      requestId: this.requestId,
      participantId: participant.id,
      nickname: participant.nickname,
      requested: this.requested,
      protocol: this.protocol,
      stream: this.stream,
      status: res?.status ?? (failure instanceof GambiError ? failure.status : 502),
      stage: previous.reason === "unreachable" ? "connect" : previous.reason === "timeout" ? "timeout" : "upstream",
      error: previous.error,
      aborted: false,
      metrics: { queueMs: this.queueMs },
      attempts: this.attempt,
    });
  }
}

/** May throw, like `run`: the lane awaits it in its try. */
export function dispatch(ctx: HubContext, room: Room, protocol: Protocol, body: InferenceBody, request: Request, server: ServerLike = null, arrivedAt?: number): Promise<Response> {
  const requested = body.model;
  const continuation = resolveContinuation(ctx, room, body, protocol);
  return new Dispatch(ctx, room, protocol, body, request, server, requested, continuation, arrivedAt).run();
}
