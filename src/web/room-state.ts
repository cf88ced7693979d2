/**
 * What the room page knows from the room's event stream: its participants (with what each
 * has served since the page opened), the activity log, the TTFT and tokens/s samples the
 * charts draw, and the totals. Pure: `applyEvent(state, event)` returns the next state, so
 * the page re-renders on a new object and tests feed events without a hub.
 */
import type { HubEvent, ParticipantView } from "./types.ts";

export interface Served {
  served: number;
  errors: number;
  lastTtftMs: number | null;
  lastTokensPerSecond: number | null;
}

export interface LogEntry {
  id: number;
  at: number;
  level: "info" | "ok" | "warn" | "error";
  text: string;
}

export interface Sample {
  at: number;
  participantId: string;
  nickname: string;
  ttftMs: number | null;
  tokensPerSecond: number | null;
}

export interface Totals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

export interface RoomState {
  participants: ParticipantView[];
  served: Record<string, Served>;
  log: LogEntry[];
  samples: Sample[];
  totals: Totals;
  deleted: boolean;
  nextId: number;
}

/** How many log lines and samples the page keeps (older ones drop off). */
export const LOG_MAX = 200;
export const SAMPLE_WINDOW_MS = 10 * 60_000;
const SAMPLE_MAX = 1000;

export const emptyRoomState = (): RoomState => ({
  participants: [],
  served: {},
  log: [],
  samples: [],
  totals: { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0 },
  deleted: false,
  nextId: 1,
});

const str = (v: unknown, fallback = "?") => (typeof v === "string" ? v : fallback);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function upsert(list: ParticipantView[], p: ParticipantView): ParticipantView[] {
  const i = list.findIndex((q) => q.id === p.id);
  if (i < 0) return [...list, p];
  const next = list.slice();
  next[i] = p;
  return next;
}

function log(state: RoomState, at: number, level: LogEntry["level"], text: string): Pick<RoomState, "log" | "nextId"> {
  const entry = { id: state.nextId, at, level, text };
  const next = state.log.length >= LOG_MAX ? [...state.log.slice(1 - LOG_MAX), entry] : [...state.log, entry];
  return { log: next, nextId: state.nextId + 1 };
}

const servedOf = (state: RoomState, id: string): Served => state.served[id] ?? { served: 0, errors: 0, lastTtftMs: null, lastTokensPerSecond: null };

export function applyEvent(state: RoomState, e: HubEvent): RoomState {
  const d = e.data;
  const at = e.timestamp;
  switch (e.type) {
    case "connected": {
      const participants = (d.participants as ParticipantView[] | undefined) ?? [];
      return { ...state, participants, ...log(state, at, "info", `connected: ${participants.length} participant(s)`) };
    }
    case "participant.joined":
    case "participant.updated":
    case "participant.online":
    case "participant.offline":
    case "participant.unhealthy":
    case "participant.healthy": {
      const p = d.participant as ParticipantView | undefined;
      if (!p) return state;
      const level = e.type === "participant.unhealthy" || e.type === "participant.offline" ? "warn" : e.type === "participant.updated" ? "info" : "ok";
      const why = typeof d.reason === "string" ? ` (${d.reason})` : "";
      const text = `${p.nickname} ${e.type.slice("participant.".length)}${why}${e.type === "participant.joined" ? `: ${p.models.join(", ")}` : ""}`;
      return { ...state, participants: upsert(state.participants, p), ...log(state, at, level, text) };
    }
    case "participant.left": {
      const id = str(d.participantId);
      return { ...state, participants: state.participants.filter((p) => p.id !== id), ...log(state, at, "warn", `${str(d.nickname, id)} left (${str(d.reason, "left")})`) };
    }
    case "llm.request":
      return { ...state, ...log(state, at, "info", `${str(d.requestId)} → ${str(d.nickname)} · ${str(d.model)} (${str(d.protocol)}${d.stream ? ", stream" : ""}${d.adapted ? ", adapted" : ""})`) };
    case "llm.retry":
      return { ...state, ...log(state, at, "warn", `${str(d.requestId)} retried on another participant: ${str(d.reason)}`) };
    case "llm.complete":
    case "llm.error": {
      const id = str(d.participantId);
      const m = (d.metrics as Record<string, unknown> | undefined) ?? {};
      const ok = e.type === "llm.complete";
      const ttftMs = ok ? num(m.ttftMs) : null;
      const tokensPerSecond = ok ? num(m.tokensPerSecond) : null;
      const before = servedOf(state, id);
      const served: Served = ok
        ? { served: before.served + 1, errors: before.errors, lastTtftMs: ttftMs ?? before.lastTtftMs, lastTokensPerSecond: tokensPerSecond ?? before.lastTokensPerSecond }
        : { ...before, errors: before.errors + 1 };
      const totals = {
        requests: state.totals.requests + 1,
        errors: state.totals.errors + (ok ? 0 : 1),
        inputTokens: state.totals.inputTokens + (num(m.inputTokens) ?? 0),
        outputTokens: state.totals.outputTokens + (num(m.outputTokens) ?? 0),
      };
      const samples = ok ? [...state.samples.filter((s) => s.at >= at - SAMPLE_WINDOW_MS).slice(-SAMPLE_MAX + 1), { at, participantId: id, nickname: str(d.nickname), ttftMs, tokensPerSecond }] : state.samples;
      const text = ok
        ? `${str(d.requestId)} ✓ ${str(d.nickname)} · TTFT ${ttftMs === null ? "—" : `${Math.round(ttftMs)} ms`}${tokensPerSecond === null ? "" : ` · ${tokensPerSecond.toFixed(1)} tok/s`}${num(m.outputTokens) === null ? "" : ` · ${num(m.outputTokens)} tokens out`}`
        : `${str(d.requestId)} ✗ ${str(d.nickname)}: ${str(d.error, `HTTP ${String(d.status)}`)}`;
      return { ...state, served: { ...state.served, [id]: served }, totals, samples, ...log(state, at, ok ? "ok" : "error", text) };
    }
    case "room.deleted":
      return { ...state, deleted: true, participants: [], ...log(state, at, "error", `room deleted (${str(d.reason, "deleted")})`) };
    default:
      return state;
  }
}
