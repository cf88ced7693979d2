/**
 * The room view's state and how each room event changes it (pure). Participants come from
 * GET /rooms/:code/participants and the `connected` event's snapshot; the activity log and the
 * totals come from `llm.*` events.
 */
import type { RoomEvent } from "../client.ts";

export interface ParticipantRow {
  id: string;
  nickname: string;
  /** Its models, comma-separated (the first is its default). */
  model: string;
  status: string;
  protocols: string[];
  inFlight: number;
  /** How many requests it serves at once (a hub from before capacities does not say). */
  maxConcurrency?: number;
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
}

/** How many log entries and samples are kept: enough for any screen, bounded for a long session. */
const KEEP = 200;

export function initialRoomView(code: string): RoomView {
  return { code, participants: [], log: [], requests: 0, errors: 0, ttftsMs: [], tokensPerSecond: [] };
}

/** A participant as the hub's API shows it → a row (counters kept from the row it replaces). */
export function toRow(p: Record<string, unknown>, previous?: ParticipantRow): ParticipantRow {
  const caps = (p.capabilities ?? {}) as { chatCompletions?: boolean; responses?: boolean };
  const protocols = [caps.chatCompletions ? "chat" : "", caps.responses ? "responses" : ""].filter(Boolean);
  return {
    id: String(p.id),
    nickname: String(p.nickname ?? p.id),
    model: Array.isArray(p.models) ? p.models.map(String).join(", ") : String(p.model ?? ""),
    status: p.health === "unhealthy" && p.status === "online" ? "unhealthy" : String(p.status ?? "?"),
    protocols,
    inFlight: previous?.inFlight ?? 0,
    maxConcurrency: typeof p.maxConcurrency === "number" ? p.maxConcurrency : undefined,
    served: previous?.served ?? 0,
    lastTtftMs: previous?.lastTtftMs,
    lastTokensPerSecond: previous?.lastTokensPerSecond,
  };
}

export function withParticipants(view: RoomView, list: Record<string, unknown>[]): RoomView {
  const byId = new Map(view.participants.map((r) => [r.id, r]));
  return { ...view, notice: undefined, participants: list.map((p) => toRow(p, byId.get(String(p.id)))) };
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
      return logged(next, at, `${who} ${e.type.slice("participant.".length)}`);
    }
    case "participant.left":
      return logged({ ...view, participants: view.participants.filter((r) => r.id !== d.participantId) }, at, `${who} left${d.reason === "timeout" ? " (timed out)" : ""}`);
    case "llm.request":
      return logged(updateRow(view, d.participantId, (r) => ({ ...r, inFlight: r.inFlight + 1 })), at, `→ ${who} ${d.model ?? ""} ${d.protocol ?? ""}${d.adapted ? " (adapted)" : ""}`);
    case "llm.complete": {
      const next = updateRow(view, d.participantId, (r) => ({ ...r, inFlight: Math.max(0, r.inFlight - 1), served: r.served + 1, lastTtftMs: metrics.ttftMs, lastTokensPerSecond: metrics.tokensPerSecond }));
      const tps = metrics.tokensPerSecond !== undefined ? ` · ${metrics.tokensPerSecond.toFixed(1)} tok/s` : "";
      const ttft = metrics.ttftMs !== undefined ? ` · TTFT ${formatMs(metrics.ttftMs)}` : "";
      return logged({ ...next, requests: next.requests + 1, ttftsMs: keep(next.ttftsMs, metrics.ttftMs), tokensPerSecond: keep(next.tokensPerSecond, metrics.tokensPerSecond) }, at, `✓ ${who} done${ttft}${tps}`);
    }
    case "llm.error": {
      const next = updateRow(view, d.participantId, (r) => ({ ...r, inFlight: Math.max(0, r.inFlight - 1) }));
      const why = d.aborted ? "cancelled by the client" : String(d.error ?? `HTTP ${d.status ?? "?"}`);
      const stage = typeof d.stage === "string" && !d.aborted ? `[${d.stage}] ` : "";
      return logged({ ...next, requests: next.requests + 1, errors: next.errors + 1 }, at, `✗ ${who} ${stage}${why}`, "error");
    }
    default:
      return view;
  }
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
