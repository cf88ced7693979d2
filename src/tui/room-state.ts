/**
 * The room view's state and how each room event changes it (pure). Participants come from
 * GET /rooms/:code/participants and the `connected` event's snapshot; the activity log and the
 * totals come from `llm.*` events; the queue from GET /rooms/:code.
 *
 * Requests in flight: each snapshot (a poll, `connected`) brings the hub's own count, and
 * between snapshots the events move it: `llm.request` starts an attempt; `llm.retry` (its
 * `from`), `llm.complete` and `llm.error` end one. A `participant.*` event's view is not taken
 * for the count: a 429's `participant.updated` is published before the end of the attempt that
 * got it, so its count already leaves that attempt out. Cooldowns are wall-clock times
 * (`cooldownUntil`, ms since the epoch) and are read against the `now` the caller passes.
 */
import type { RoomUsage } from "../client.ts";
import type { PublicRoom, RoomEvent } from "../client.ts";

export interface ParticipantRow {
  id: string;
  nickname: string;
  /** Its models, comma-separated (the first is its default). */
  model: string;
  status: string;
  protocols: string[];
  /** It serves through a tunnel it opened to the hub (`gambi join --tunnel`), not at an endpoint the hub dials. */
  tunnel?: boolean;
  inFlight: number;
  /** How many requests it serves at once (a hub from before capacities does not say). */
  maxConcurrency?: number;
  /** How many the hub lets it have now: `maxConcurrency`, lowered after a 429 (a hub from before pooling does not say). */
  limit?: number;
  /** Until when the hub sends it nothing after a 429 (ms since the epoch). */
  cooldownUntil?: number;
  served: number;
  lastTtftMs?: number;
  lastTokensPerSecond?: number;
}

export interface LogEntry {
  at: number;
  text: string;
  level: "info" | "error";
}

export interface RoomView {
  code: string;
  participants: ParticipantRow[];
  log: LogEntry[];
  requests: number;
  errors: number;
  ttftsMs: number[];
  tokensPerSecond: number[];
  /** Why the hub refused the room's data (e.g. a wrong password), shown instead of stale rows. */
  notice?: string;
  /** Requests waiting for a participant, and how many may (a hub from before pooling does not say). */
  queue?: { waiting: number; queueSize?: number };
  /** `u` shows the room's usage ledger in place of the activity log (room-follow.ts reads it on every poll). */
  showUsage?: boolean;
  usage?: RoomUsage;
  /** Why the ledger could not be read (an older hub has none). */
  usageError?: string;
}

/** How many log entries and samples are kept: enough for any screen, bounded for a long session. */
const KEEP = 200;

export function initialRoomView(code: string): RoomView {
  return { code, participants: [], log: [], requests: 0, errors: 0, ttftsMs: [], tokensPerSecond: [] };
}

const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

/**
 * A participant as the hub's API shows it → a row (counters kept from the row it replaces).
 * `snapshot`: the view is the hub's state now (a poll, `connected`), so its requests in flight are taken too.
 */
export function toRow(p: Record<string, unknown>, previous?: ParticipantRow, snapshot = false): ParticipantRow {
  const caps = (p.capabilities ?? {}) as { chatCompletions?: boolean; responses?: boolean; messages?: boolean };
  const protocols = [caps.chatCompletions ? "chat" : "", caps.responses ? "responses" : "", caps.messages ? "messages" : ""].filter(Boolean);
  return {
    id: String(p.id),
    nickname: String(p.nickname ?? p.id),
    model: Array.isArray(p.models) ? p.models.map(String).join(", ") : String(p.model ?? ""),
    status: p.health === "unhealthy" && p.status === "online" ? "unhealthy" : String(p.status ?? "?"),
    protocols,
    ...(p.transport === "tunnel" ? { tunnel: true } : {}),
    inFlight: (snapshot ? num(p.inFlight) : undefined) ?? previous?.inFlight ?? num(p.inFlight) ?? 0,
    maxConcurrency: num(p.maxConcurrency),
    limit: num(p.limit),
    cooldownUntil: num(p.cooldownUntil),
    served: previous?.served ?? 0,
    lastTtftMs: previous?.lastTtftMs,
    lastTokensPerSecond: previous?.lastTokensPerSecond,
  };
}

/** The participant list as the hub has it now (GET /rooms/:code/participants, `connected`). */
export function withParticipants(view: RoomView, list: Record<string, unknown>[]): RoomView {
  const byId = new Map(view.participants.map((r) => [r.id, r]));
  return { ...view, notice: undefined, participants: list.map((p) => toRow(p, byId.get(String(p.id)), true)) };
}

/** The room's public view (GET /rooms/:code): its queue, when the hub says. */
export function withRoom(view: RoomView, room: Pick<PublicRoom, "queue">): RoomView {
  const waiting = num(room.queue?.waiting);
  return { ...view, queue: waiting === undefined ? undefined : { waiting, queueSize: num(room.queue?.queueSize) } };
}

function upsert(view: RoomView, p: Record<string, unknown>): RoomView {
  const id = String(p.id);
  const old = view.participants.find((r) => r.id === id);
  const row = toRow(p, old);
  return { ...view, participants: old ? view.participants.map((r) => (r.id === id ? row : r)) : [...view.participants, row] };
}

function updateRow(view: RoomView, id: unknown, f: (r: ParticipantRow) => ParticipantRow): RoomView {
  return { ...view, participants: view.participants.map((r) => (r.id === id ? f(r) : r)) };
}

function logged(view: RoomView, at: number, text: string, level: LogEntry["level"] = "info"): RoomView {
  return { ...view, log: [...view.log, { at, text, level }].slice(-KEEP) };
}

const keep = (xs: number[], x: number | undefined) => (x === undefined || !Number.isFinite(x) ? xs : [...xs, x].slice(-KEEP));

/** A participant's nickname from its row, else its id (events name participants by id). */
const nameOf = (view: RoomView, id: unknown): string => view.participants.find((r) => r.id === id)?.nickname ?? String(id ?? "?");

const endAttempt = (r: ParticipantRow): ParticipantRow => ({ ...r, inFlight: Math.max(0, r.inFlight - 1) });

export function applyEvent(view: RoomView, e: RoomEvent, now: number): RoomView {
  const d = e.data ?? {};
  const at = e.timestamp ?? now;
  const who = String(d.nickname ?? (d.participant as Record<string, unknown> | undefined)?.nickname ?? d.participantId ?? "?");
  const metrics = (d.metrics ?? {}) as Record<string, number | undefined>;
  switch (e.type) {
    case "connected":
      return Array.isArray(d.participants) ? withParticipants(view, d.participants as Record<string, unknown>[]) : view;
    case "participant.joined":
    case "participant.updated":
    case "participant.online":
    case "participant.offline":
    case "participant.unhealthy":
    case "participant.healthy": {
      const next = d.participant ? upsert(view, d.participant as Record<string, unknown>) : view;
      const cooldownMs = num(d.cooldownMs);
      if (d.reason === "rate_limited") return logged(next, at, `${who} answered 429${cooldownMs === undefined ? "" : `: cooling down ${seconds(cooldownMs)}`}`, "error");
      return logged(next, at, `${who} ${e.type.slice("participant.".length)}`);
    }
    case "participant.left":
      return logged({ ...view, participants: view.participants.filter((r) => r.id !== d.participantId) }, at, `${who} left${d.reason === "timeout" ? " (timed out)" : ""}`);
    case "llm.request": {
      const attempt = num(d.attempt);
      const nth = attempt !== undefined && attempt > 1 ? ` (attempt ${attempt})` : "";
      return logged(updateRow(view, d.participantId, (r) => ({ ...r, inFlight: r.inFlight + 1 })), at, `→ ${who} ${d.model ?? ""} ${d.protocol ?? ""}${d.adapted ? " (adapted)" : ""}${nth}`);
    }
    case "llm.retry": {
      // The attempt on `from` is over; the one on `to` is its own `llm.request`. The request goes on: no total moves.
      const reason = typeof d.reason === "string" ? ` [${d.reason}]` : "";
      return logged(updateRow(view, d.from, endAttempt), at, `↻ ${nameOf(view, d.from)} → ${nameOf(view, d.to)}${reason} ${String(d.error ?? "")}`.trimEnd());
    }
    case "llm.complete": {
      const next = updateRow(view, d.participantId, (r) => ({ ...endAttempt(r), served: r.served + 1, lastTtftMs: metrics.ttftMs, lastTokensPerSecond: metrics.tokensPerSecond }));
      const tps = metrics.tokensPerSecond !== undefined ? ` · ${metrics.tokensPerSecond.toFixed(1)} tok/s` : "";
      const ttft = metrics.ttftMs !== undefined ? ` · TTFT ${formatMs(metrics.ttftMs)}` : "";
      return logged({ ...next, requests: next.requests + 1, ttftsMs: keep(next.ttftsMs, metrics.ttftMs), tokensPerSecond: keep(next.tokensPerSecond, metrics.tokensPerSecond) }, at, `✓ ${who} done${ttft}${tps}`);
    }
    case "llm.error": {
      // A request no participant took (`stage` queue or client) names none, or the one whose failed attempt it was to leave.
      const next = updateRow(view, d.participantId, endAttempt);
      const why = d.aborted ? "cancelled by the client" : String(d.error ?? `HTTP ${d.status ?? "?"}`);
      const stage = typeof d.stage === "string" && !d.aborted ? `[${d.stage}] ` : "";
      const by = d.participantId === null || d.participantId === undefined ? "" : `${who} `;
      return logged({ ...next, requests: next.requests + 1, errors: next.errors + 1 }, at, `✗ ${by}${stage}${why}`, "error");
    }
    default:
      return view;
  }
}

/** `12 s`, rounded up (a cooldown is never shown as over before it is). */
export function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** How long the participant's cooldown still runs at `now` (0: none). */
export function cooldownLeftMs(row: Pick<ParticipantRow, "cooldownUntil">, now: number): number {
  return row.cooldownUntil === undefined ? 0 : Math.max(0, row.cooldownUntil - now);
}

/** What the STATUS column says: the hub's status, or a cooldown's countdown while one runs (`cooling 12s`). */
export function statusText(row: ParticipantRow, now: number): string {
  const left = cooldownLeftMs(row, now);
  if (left === 0 || row.status !== "online") return row.status;
  const s = Math.ceil(left / 1000);
  return s < 100 ? `cooling ${s}s` : `cooling ${Math.ceil(s / 60)}m`;
}

/** Requests in flight over what the hub allows now: `1/4`, `1/2 (max 4)` when a 429 lowered it, `1` from a hub that does not say. */
export function activeText(row: ParticipantRow): string {
  const limit = row.limit ?? row.maxConcurrency;
  if (limit === undefined) return String(row.inFlight);
  const lowered = row.maxConcurrency !== undefined && limit < row.maxConcurrency ? ` (max ${row.maxConcurrency})` : "";
  return `${row.inFlight}/${limit}${lowered}`;
}

/** The room's queue: `3 waiting`, `64 waiting (full)`; nothing from a hub that does not say. */
export function queueText(view: Pick<RoomView, "queue">): string | undefined {
  const q = view.queue;
  if (!q) return undefined;
  return `${q.waiting} waiting${q.queueSize !== undefined && q.queueSize > 0 && q.waiting >= q.queueSize ? " (full)" : ""}`;
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
