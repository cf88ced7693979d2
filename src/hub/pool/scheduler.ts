/**
 * One room's scheduler: who serves each request, when, and what its result teaches. One per
 * room, because everything it weighs is the room's: its participants and their capacities,
 * its queue and its bounds (a room may get its own queueSize), its callers' fair shares. Rooms
 * never share a participant, so a hub-wide scheduler would only add a lookup per request and a
 * lock-step between rooms that have nothing in common; a room's removal drops its scheduler
 * with it (`close`).
 *
 * - `acquire(request)`: a free participant that may serve it (`choose.ts` ranks them) → a
 *   `Lease` at once; none free → a `Waiting`, whose `granted` resolves with a lease the moment
 *   one frees (fair-queue.ts decides whose turn it is), or rejects: `queue_timeout` (503) at
 *   the deadline, `room_busy` (429) when turned away by a full queue, the signal's reason when
 *   the client leaves, `no_participant_available` when nobody who could serve it is left.
 *   Nothing online that could serve it throws at once (404 / 503).
 * - `Lease.release(outcome)`: frees the slot and feeds capacity.ts (AIMD, cooldowns) and
 *   speed.ts; the slot goes straight to the next eligible waiter. Call it exactly once per lease
 *   (more calls are ignored), whatever happened, even if the client has gone meanwhile.
 * - `upsert` / `setStatus` / `remove`: the registry tells it who is in the room and usable.
 *
 * Eligibility, for a new request and a waiter alike: online, not in `exclude` (participants
 * already tried for this request), matching what it asked for (a pinned id, a model, or `*`),
 * among the models it serves for that kind of request (`Want.embed`: an embeddings request
 * sees only `embeddingModels`, and `*` any participant that has one; the others see only
 * `models`, and `*` any participant that has one),
 * and healthy, unless no healthy one matches (then an unhealthy one may serve: it may be back).
 * Free: fewer in flight than its effective limit, and not cooling down. The invariant every
 * change restores: no waiter has a free eligible participant.
 *
 * Costs: when a participant is free, acquire and release do O(participants matching) work
 * and set no timer. A waiter costs one timer (its deadline) and an abort listener; one more
 * timer per room wakes the queue when a cooldown that holds waiters back ends.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import { supports, type Capabilities, type Protocol } from "../../protocol/protocols.ts";
import type { Timers } from "../../proxy/timeouts.ts";
import { queueTimeout, roomBusy, type BusyState } from "./busy.ts";
import { Capacity, DEFAULT_CAPACITY, type CapacitySettings } from "./capacity.ts";
import { choose, type Choice } from "./choose.ts";
import { FairQueue, type QueueEntry } from "./fair-queue.ts";
import { cooldownHint, type HeaderSource } from "./retry-after.ts";
import { Speed, SPEED_ALPHA } from "./speed.ts";

export interface PoolMember {
  readonly id: string;
  /** The models it serves, sharing its capacity; the first is the one `*` and a pin get. */
  readonly models: readonly string[];
  /** The models it serves for embeddings requests (may overlap `models`; none when unset); the first is the one `*` and a pin get there. */
  readonly embeddingModels?: readonly string[];
  readonly capabilities: Capabilities;
  /** Declared by its joiner, else learned or a default for its kind of server (protocol/concurrency.ts). */
  readonly maxConcurrency: number;
}

/** `embed`: an embeddings request, served only from participants' `embeddingModels`. */
export type Want =
  | { kind: "any"; embed?: boolean }
  | { kind: "model"; model: string; embed?: boolean }
  /** That participant; with `model`, that one of its models (else its first). */
  | { kind: "participant"; id: string; model?: string; embed?: boolean };

export interface AcquireRequest {
  want: Want;
  /** The client's protocol: a participant speaking it natively ranks first among equals. */
  protocol: Protocol;
  /** Whose request: the fairness key (opaque; a hash of the bearer token or the address). */
  caller: string;
  /** Participant ids already tried for this request. */
  exclude?: ReadonlySet<string>;
  /** The client's: a waiter whose signal aborts leaves the queue at once, with no lease. */
  signal?: AbortSignal;
}

/** How a leased request ended. */
export type LeaseOutcome =
  /** It was served: speeds for the EWMA when measured (`ttftMs` only from a stream). */
  | { kind: "success"; ttftMs?: number; tokensPerSecond?: number }
  /** The upstream answered 429: its headers carry the wait it asks for. */
  | { kind: "rate_limited"; headers?: HeaderSource }
  /** The endpoint failed (unreachable, timed out, broke off): health is the registry's business. */
  | { kind: "fault" }
  /** Anything that says nothing about capacity: the client left, an HTTP error other than 429. */
  | { kind: "ended" };

export interface Lease<M extends PoolMember = PoolMember> {
  readonly waiting: false;
  readonly member: M;
  /** The model this request goes to on `member`. */
  readonly model: string;
  /** Time it spent in the queue, ms (0 when a slot was free). */
  readonly waitedMs: number;
  readonly released: boolean;
  release(outcome: LeaseOutcome): void;
}

export interface Waiting<M extends PoolMember = PoolMember> {
  readonly waiting: true;
  readonly granted: Promise<Lease<M>>;
  /** 1-based place in the queue (fair-queue.ts `position`); 0 once it has left it. */
  position(): number;
}

export interface SchedulerOptions {
  /** Monotonic clock and the timers for waiters' deadlines and the cooldown wake-up. */
  timers: Timers;
  /** Wall clock, for HTTP dates in Retry-After and for views (default Date.now). */
  wallNow?: () => number;
  random?: () => number;
  /** Waiting requests at most (default 256; 0: no queue, a busy room answers 429 at once). */
  queueSize?: number;
  /** How long a request may wait (default 120 s; 0: until the client leaves). */
  queueTimeoutMs?: number;
  capacity?: Partial<CapacitySettings>;
  /** Callers whose place in the rotation is remembered while they have nothing waiting. */
  rememberCallers?: number;
  /** The room's code, for messages. */
  room?: string;
  /** Told when a 429 starts or extends a cooldown (the hub publishes it on the room's events). */
  onCooldown?: (member: PoolMember, info: { cooldownMs: number; hinted: boolean; limit: number }) => void;
}

export const DEFAULT_QUEUE_SIZE = 256;
export const DEFAULT_QUEUE_TIMEOUT_MS = 120_000;

export interface MemberView {
  id: string;
  maxConcurrency: number;
  /** The effective limit (AIMD). */
  limit: number;
  inFlight: number;
  /** Wall-clock ms until which routing skips it after a 429; null: not cooling down. */
  cooldownUntil: number | null;
}

interface Ranked<M extends PoolMember> extends Choice {
  state: MemberState<M>;
}

class MemberState<M extends PoolMember> {
  online = true;
  healthy = true;
  models: ReadonlySet<string>;
  embeds: ReadonlySet<string>;
  readonly speed = new Map<string, Speed>();
  readonly self: MemberState<M>[] = [this];
  readonly choice: Ranked<M>;
  readonly cap: Capacity;

  constructor(
    public member: M,
    settings: CapacitySettings,
  ) {
    this.models = new Set(member.models);
    this.embeds = new Set(member.embeddingModels ?? []);
    this.cap = new Capacity(member.maxConcurrency, settings);
    this.choice = { state: this, inFlight: 0, limit: 1, score: undefined, native: false };
  }
}

interface Waiter<M extends PoolMember> {
  readonly request: AcquireRequest;
  readonly enqueuedAt: number;
  readonly resolve: (lease: Lease<M>) => void;
  readonly reject: (err: unknown) => void;
  entry: QueueEntry<Waiter<M>> | undefined;
  timer: unknown;
  onAbort: (() => void) | undefined;
}

class PoolLease<M extends PoolMember> implements Lease<M> {
  readonly waiting = false;
  released = false;
  constructor(
    private readonly settle: (lease: PoolLease<M>, outcome: LeaseOutcome) => void,
    readonly state: MemberState<M>,
    readonly member: M,
    readonly model: string,
    readonly startedAt: number,
    readonly waitedMs: number,
    readonly epoch: number,
  ) {}

  release(outcome: LeaseOutcome): void {
    if (this.released) return;
    this.released = true;
    this.settle(this, outcome);
  }
}

const ANY: Want = Object.freeze({ kind: "any" });
const ANY_EMBEDDING: Want = Object.freeze({ kind: "any", embed: true });

function describeWant(want: Want): string {
  if (want.kind === "any") return want.embed ? "any participant that embeds" : "any participant";
  const model = want.embed ? "embedding model" : "model";
  if (want.kind === "model") return `${model} "${want.model}"`;
  return want.model === undefined ? `participant "${want.id}"` : `participant "${want.id}" with ${model} "${want.model}"`;
}

/** The models a participant serves for this kind of request. */
function servedFor<M extends PoolMember>(want: Want, s: MemberState<M>): ReadonlySet<string> {
  return want.embed ? s.embeds : s.models;
}

export class RoomScheduler<M extends PoolMember = PoolMember> {
  private readonly timers: Timers;
  private readonly wallNow: () => number;
  private readonly random: () => number;
  private readonly capacity: CapacitySettings;
  readonly queueSize: number;
  readonly queueTimeoutMs: number;
  private readonly room: string | undefined;
  private readonly onCooldown: SchedulerOptions["onCooldown"];

  private readonly states = new Map<string, MemberState<M>>();
  private all: MemberState<M>[] = [];
  /** Those with a chat model, and those with an embedding model: `*` for each kind of request. */
  private chatters: MemberState<M>[] = [];
  private embedders: MemberState<M>[] = [];
  private byModel = new Map<string, MemberState<M>[]>();
  private byEmbeddingModel = new Map<string, MemberState<M>[]>();
  private readonly queue: FairQueue<Waiter<M>>;
  /** Reused by every pick: free candidates, healthy ones and unhealthy ones. */
  private readonly healthyFree: Ranked<M>[] = [];
  private readonly sickFree: Ranked<M>[] = [];
  /** What the last pick saw: online candidates not excluded, and whether one is healthy. */
  private seenOnline = 0;
  private seenHealthy = false;
  /** EWMA of how long a lease is held, ms: the basis of Retry-After estimates. */
  private holdMs: number | undefined;
  private wake: { at: number; handle: unknown } | undefined;
  private closed: Error | undefined;
  private readonly settle = (lease: PoolLease<M>, outcome: LeaseOutcome) => this.settleLease(lease, outcome);

  constructor(opts: SchedulerOptions) {
    this.timers = opts.timers;
    this.wallNow = opts.wallNow ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.capacity = { ...DEFAULT_CAPACITY, ...opts.capacity };
    this.queueSize = opts.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.queueTimeoutMs = opts.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
    this.room = opts.room;
    this.onCooldown = opts.onCooldown;
    this.queue = new FairQueue(opts.rememberCallers);
  }

  // — membership —

  /** A participant joined, or re-joined (same id: its counters, cooldown and speeds carry on). */
  upsert(member: M): void {
    const existing = this.states.get(member.id);
    if (existing) {
      existing.member = member;
      existing.models = new Set(member.models);
      existing.embeds = new Set(member.embeddingModels ?? []);
      existing.cap.setMax(member.maxConcurrency);
      existing.online = true;
      existing.healthy = true;
    } else this.states.set(member.id, new MemberState(member, this.capacity));
    this.reindex();
    this.changed();
  }

  /** Heartbeats (online) and health, as the registry sees them. */
  setStatus(id: string, status: { online?: boolean; healthy?: boolean }): void {
    const s = this.states.get(id);
    if (!s) return;
    if (status.online !== undefined) s.online = status.online;
    if (status.healthy !== undefined) s.healthy = status.healthy;
    this.changed();
  }

  /** It left: no new request goes to it; leases it holds still release normally. */
  remove(id: string): void {
    if (!this.states.delete(id)) return;
    this.reindex();
    this.changed();
  }

  /** The room is gone or the hub stops: every waiter is rejected with `error`, new requests too. */
  close(error: Error): void {
    this.closed = error;
    if (this.wake) this.timers.clearTimeout(this.wake.handle);
    this.wake = undefined;
    for (const entry of this.queue.entries()) this.dropWaiter(entry.item, error);
  }

  // — requests —

  /**
   * A request's `model`: `*`/`any`, `model:<name>`, a participant id, a model name (served by
   * anyone, among all the models each serves), or `<participant id>/<model>` (that pair; read
   * only when no model has the whole name: a model may have a slash in it). An id wins over a
   * model of the same name. A name nobody serves is a model (acquire answers 404).
   * `embed`: the same, for an embeddings request, among the models that embed.
   */
  want(spec: string, embed = false): Want {
    const s = spec.trim();
    if (s === "*" || s === "any") return embed ? ANY_EMBEDDING : ANY;
    const e = embed ? { embed } : undefined;
    if (s.startsWith("model:")) return { kind: "model", model: s.slice("model:".length), ...e };
    if (this.states.has(s)) return { kind: "participant", id: s, ...e };
    if ((embed ? this.byEmbeddingModel : this.byModel).has(s)) return { kind: "model", model: s, ...e };
    const slash = s.indexOf("/");
    const pinned = slash > 0 ? this.states.get(s.slice(0, slash)) : undefined;
    if (pinned && (embed ? pinned.embeds : pinned.models).has(s.slice(slash + 1))) return { kind: "participant", id: pinned.member.id, model: s.slice(slash + 1), ...e };
    return { kind: "model", model: s, ...e };
  }

  /** Whether any participant of the room (online or not) serves `model` for this kind of request. */
  serves(model: string, embed: boolean): boolean {
    return (embed ? this.byEmbeddingModel : this.byModel).has(model);
  }

  /** The models the room's participants (online or not) serve for embeddings, in the order they joined. */
  embeddingModels(): string[] {
    return [...this.byEmbeddingModel.keys()];
  }

  /** Online participants that match `want`, are not excluded and are not `besides`: whether a failover has anywhere to go. */
  alternatives(want: Want, exclude?: ReadonlySet<string>, besides?: string): number {
    let n = 0;
    for (const s of this.candidates(want)) if (s.online && !exclude?.has(s.member.id) && s.member.id !== besides) n++;
    return n;
  }

  /**
   * An online participant that matches `want` and `fits`, healthy ones first, then in the order
   * they joined, with the model it serves the request as; undefined when none. No lease, no
   * capacity taken: for a small request that asks a participant something beside the room's
   * traffic (`count_tokens`, inference/count-tokens.ts).
   */
  lookup(want: Want, fits: (member: M) => boolean): { member: M; model: string } | undefined {
    let sick: MemberState<M> | undefined;
    for (const s of this.candidates(want)) {
      if (!s.online || !fits(s.member)) continue;
      if (s.healthy) return { member: s.member, model: this.modelFor(want, s) };
      sick ??= s;
    }
    return sick && { member: sick.member, model: this.modelFor(want, sick) };
  }

  /**
   * The 404 `model_not_found` `acquire` throws for a request nobody in the room matches, online
   * or not (a model no one serves, an unknown participant, a pair that does not exist); undefined
   * when someone does, and always for `*` (nobody online is a 503, and only at `acquire`). For
   * what must answer as a request would without taking a slot (`count_tokens`).
   */
  unknown(want: Want): GambiError | undefined {
    if (want.kind === "any" || this.candidates(want).length > 0) return undefined;
    const models = [...(want.embed ? this.byEmbeddingModel : this.byModel).keys()].slice(0, 10);
    const known = models.length ? `models served: ${models.map((m) => `"${m}"`).join(", ")}` : "no participant is in this room";
    return new GambiError(404, `no participant or model matches ${describeWant(want)} (${known}); use "*" for any participant`, { code: "model_not_found", param: "model" });
  }

  acquire(request: AcquireRequest): Lease<M> | Waiting<M> {
    if (this.closed) throw this.closed;
    if (request.signal?.aborted) throw request.signal.reason;
    const list = this.candidates(request.want);
    const now = this.timers.now();
    const picked = this.pick(list, request, now);
    if (picked) {
      this.queue.served(request.caller);
      return this.lease(picked, request.want, now, 0);
    }
    if (this.seenOnline === 0) throw this.unservable(request, list);
    return this.enqueue(request, list, now);
  }

  // — views —

  /** Requests waiting in the queue now. */
  get waiting(): number {
    return this.queue.size;
  }

  memberView(id: string): MemberView | undefined {
    const s = this.states.get(id);
    if (!s) return undefined;
    const now = this.timers.now();
    const cooling = s.cap.cooldownUntil > now;
    return {
      id,
      maxConcurrency: s.cap.max,
      limit: s.cap.limit,
      inFlight: s.cap.inFlight,
      cooldownUntil: cooling ? Math.round(this.wallNow() + (s.cap.cooldownUntil - now)) : null,
    };
  }

  view(): { waiting: number; callers: number; queueSize: number; queueTimeoutMs: number; participants: MemberView[] } {
    return {
      waiting: this.queue.size,
      callers: this.queue.callers,
      queueSize: this.queueSize,
      queueTimeoutMs: this.queueTimeoutMs,
      participants: this.all.map((s) => this.memberView(s.member.id)!),
    };
  }

  // — inside —

  private reindex(): void {
    this.all = [...this.states.values()];
    this.chatters = this.all.filter((s) => s.models.size > 0);
    this.embedders = this.all.filter((s) => s.embeds.size > 0);
    const index = (served: (s: MemberState<M>) => ReadonlySet<string>) => {
      const by = new Map<string, MemberState<M>[]>();
      for (const s of this.all) for (const m of served(s)) by.set(m, [...(by.get(m) ?? []), s]);
      return by;
    };
    this.byModel = index((s) => s.models);
    this.byEmbeddingModel = index((s) => s.embeds);
  }

  private candidates(want: Want): readonly MemberState<M>[] {
    if (want.kind === "any") return want.embed ? this.embedders : this.chatters;
    if (want.kind === "model") return (want.embed ? this.byEmbeddingModel : this.byModel).get(want.model) ?? [];
    const s = this.states.get(want.id);
    // A participant pinned for a kind of request it serves no model for: nobody.
    return s && servedFor(want, s).size > 0 ? s.self : [];
  }

  private modelFor(want: Want, s: MemberState<M>): string {
    if (want.kind === "model") return want.model;
    const served = servedFor(want, s);
    return (want.kind === "participant" && want.model !== undefined && served.has(want.model) ? want.model : undefined) ?? (want.embed ? s.member.embeddingModels! : s.member.models)[0]!;
  }

  /**
   * The participant a request should get now, or undefined. Also notes (seenOnline,
   * seenHealthy) who could serve it at all, free or not.
   */
  private pick(list: readonly MemberState<M>[], request: Pick<AcquireRequest, "want" | "protocol" | "exclude">, now: number): MemberState<M> | undefined {
    const healthyFree = this.healthyFree;
    const sickFree = this.sickFree;
    healthyFree.length = 0;
    sickFree.length = 0;
    let online = 0;
    let healthy = false;
    for (const s of list) {
      if (!s.online || request.exclude?.has(s.member.id)) continue;
      online++;
      if (s.healthy) healthy = true;
      if (!s.cap.free(now)) continue;
      const c = s.choice;
      c.inFlight = s.cap.inFlight;
      c.limit = s.cap.limit;
      c.score = s.speed.get(this.modelFor(request.want, s))?.score(now);
      c.native = supports(s.member.capabilities, request.protocol);
      (s.healthy ? healthyFree : sickFree).push(c);
    }
    this.seenOnline = online;
    this.seenHealthy = healthy;
    return choose(healthy ? healthyFree : sickFree, this.random)?.state;
  }

  private lease(s: MemberState<M>, want: Want, now: number, waitedMs: number): PoolLease<M> {
    s.cap.inFlight++;
    return new PoolLease(this.settle, s, s.member, this.modelFor(want, s), now, waitedMs, s.cap.epoch);
  }

  private unservable(request: AcquireRequest, list: readonly MemberState<M>[]): GambiError {
    const unknown = this.unknown(request.want);
    if (unknown) return unknown;
    const tried = request.exclude?.size ? `, or all ${list.length} that could were tried already` : "";
    return new GambiError(503, `${describeWant(request.want)}: nothing online to serve it${tried}`, { code: "no_participant_available" });
  }

  private busyState(want: Want, exclude: ReadonlySet<string> | undefined, now: number): BusyState {
    let serving = 0;
    let slots = 0;
    let coolingUntil = Infinity;
    let allCooling = true;
    for (const s of this.candidates(want)) {
      if (!s.online || exclude?.has(s.member.id)) continue;
      serving++;
      slots += s.cap.limit;
      if (s.cap.cooldownUntil > now) coolingUntil = Math.min(coolingUntil, s.cap.cooldownUntil);
      else allCooling = false;
    }
    // Everyone ahead, and this one, served at the room's pace: each lease held ~holdMs, `slots` at a time.
    const pace = ((this.queue.size + 1) * (this.holdMs ?? 1000)) / Math.max(1, slots);
    const cooling = allCooling && coolingUntil !== Infinity ? coolingUntil - now : 0;
    return { what: describeWant(want), serving, waiting: this.queue.size, retryAfterMs: Math.max(pace, cooling), room: this.room };
  }

  private enqueue(request: AcquireRequest, list: readonly MemberState<M>[], now: number): Waiting<M> {
    // Every participant it could use cools down past its deadline: say so now, not after the wait.
    if (this.queueTimeoutMs > 0 && this.allCoolingPast(list, request, this.seenHealthy, now + this.queueTimeoutMs)) {
      throw roomBusy(this.busyState(request.want, request.exclude, now), "cooling");
    }
    if (this.queue.size >= this.queueSize) {
      const victim = this.queue.victimFor(request.caller);
      if (!victim) throw roomBusy(this.busyState(request.want, request.exclude, now), "full");
      this.dropWaiter(victim.item, roomBusy(this.busyState(victim.item.request.want, victim.item.request.exclude, now), "full"));
    }
    const { promise, resolve, reject } = Promise.withResolvers<Lease<M>>();
    const w: Waiter<M> = { request, enqueuedAt: now, resolve, reject, entry: undefined, timer: undefined, onAbort: undefined };
    w.entry = this.queue.push(request.caller, w);
    if (this.queueTimeoutMs > 0) w.timer = this.timers.setTimeout(() => this.expire(w), this.queueTimeoutMs);
    if (request.signal) {
      const signal = request.signal;
      w.onAbort = () => this.dropWaiter(w, signal.reason);
      signal.addEventListener("abort", w.onAbort, { once: true });
    }
    this.armWake(now);
    const queue = this.queue;
    return { waiting: true, granted: promise, position: () => (w.entry ? queue.position(w.entry) : 0) };
  }

  /** Whether every participant that may serve `request` cools down until after `deadline`. */
  private allCoolingPast(list: readonly MemberState<M>[], request: AcquireRequest, healthyOnly: boolean, deadline: number): boolean {
    let any = false;
    for (const s of list) {
      if (!s.online || request.exclude?.has(s.member.id) || (healthyOnly && !s.healthy)) continue;
      if (s.cap.cooldownUntil <= deadline) return false;
      any = true;
    }
    return any;
  }

  /** Out of the queue with an error (deadline, abort, turned away, nobody left, closed). */
  private dropWaiter(w: Waiter<M>, error: unknown): void {
    if (!w.entry) return;
    this.queue.remove(w.entry);
    w.entry = undefined;
    this.cleanup(w);
    w.reject(error);
  }

  private cleanup(w: Waiter<M>): void {
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    w.timer = undefined;
    if (w.onAbort) w.request.signal?.removeEventListener("abort", w.onAbort);
    w.onAbort = undefined;
  }

  private expire(w: Waiter<M>): void {
    w.timer = undefined;
    if (!w.entry) return;
    const now = this.timers.now();
    this.queue.remove(w.entry);
    w.entry = undefined;
    this.cleanup(w);
    // Counted without itself: "N requests waiting" are the others.
    w.reject(queueTimeout(this.busyState(w.request.want, w.request.exclude, now), now - w.enqueuedAt));
  }

  private grant(w: Waiter<M>, s: MemberState<M>, now: number): void {
    // queue.take has already taken it out.
    w.entry = undefined;
    this.cleanup(w);
    w.resolve(this.lease(s, w.request.want, now, now - w.enqueuedAt));
  }

  /** Whether waiter `w` may go to `s` (the same rule as `pick`, for one participant). */
  private eligible(w: Waiter<M>, s: MemberState<M>): boolean {
    const r = w.request;
    if (!s.online || r.exclude?.has(s.member.id)) return false;
    const want = r.want;
    const served = servedFor(want, s);
    if (served.size === 0 || (want.kind === "model" ? !served.has(want.model) : want.kind === "participant" && want.id !== s.member.id)) return false;
    if (s.healthy) return true;
    for (const c of this.candidates(want)) if (c.online && c.healthy && !r.exclude?.has(c.member.id)) return false;
    return true;
  }

  private settleLease(lease: PoolLease<M>, outcome: LeaseOutcome): void {
    const s = lease.state;
    const cap = s.cap;
    const now = this.timers.now();
    cap.inFlight--;
    const held = now - lease.startedAt;
    this.holdMs = this.holdMs === undefined ? held : this.holdMs + SPEED_ALPHA * (held - this.holdMs);
    if (outcome.kind === "success") {
      cap.succeeded();
      if (outcome.ttftMs !== undefined || outcome.tokensPerSecond !== undefined) {
        let speed = s.speed.get(lease.model);
        if (!speed) s.speed.set(lease.model, (speed = new Speed()));
        speed.add(outcome, now);
      }
    } else if (outcome.kind === "rate_limited") {
      const hint = outcome.headers ? cooldownHint(outcome.headers, this.wallNow()) : undefined;
      const cooldownMs = cap.rateLimited(now, hint, lease.epoch);
      this.onCooldown?.(lease.member, { cooldownMs, hinted: hint !== undefined, limit: cap.limit });
    }
    if (this.queue.size === 0 || this.states.get(s.member.id) !== s) return;
    this.drainFor(s, now);
    if (outcome.kind === "rate_limited") this.armWake(now);
  }

  /** `s` may have a free slot: hand it to the first waiter, in fairness order, that may take it. */
  private drainFor(s: MemberState<M>, now: number): void {
    const eligible = (w: Waiter<M>) => this.eligible(w, s);
    while (this.queue.size > 0 && s.online && s.cap.free(now)) {
      const w = this.queue.take(eligible);
      if (!w) return;
      this.grant(w, s, now);
    }
  }

  /** Something changed for many waiters at once: dispatch all who can go now, drop those nobody is left to serve. */
  private changed(): void {
    if (this.queue.size === 0) return;
    const now = this.timers.now();
    this.drainAll(now);
    for (const entry of this.queue.entries()) {
      const r = entry.item.request;
      if (this.alternatives(r.want, r.exclude) > 0) continue;
      this.dropWaiter(entry.item, new GambiError(503, `${describeWant(r.want)}: every participant that could serve it has gone offline or left`, { code: "no_participant_available" }));
    }
    this.armWake(now);
  }

  private drainAll(now: number): void {
    let target: MemberState<M> | undefined;
    const canGo = (w: Waiter<M>) => (target = this.pick(this.candidates(w.request.want), w.request, now)) !== undefined;
    for (let w = this.queue.take(canGo); w; w = this.queue.take(canGo)) this.grant(w, target!, now);
  }

  /** One timer for the room: when the first cooldown ends, while anyone waits. */
  private armWake(now: number): void {
    let at = Infinity;
    if (this.queue.size > 0) for (const s of this.all) if (s.online && s.cap.cooldownUntil > now) at = Math.min(at, s.cap.cooldownUntil);
    if (this.wake && this.wake.at <= at && this.wake.at > now) return;
    if (this.wake) this.timers.clearTimeout(this.wake.handle);
    this.wake = undefined;
    if (at === Infinity) return;
    const handle = this.timers.setTimeout(() => {
      this.wake = undefined;
      const t = this.timers.now();
      this.drainAll(t);
      this.armWake(t);
    }, at - now);
    this.wake = { at, handle };
  }
}
