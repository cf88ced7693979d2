/**
 * The joiner's live status line: room, model, requests served, its requests in flight over
 * what the hub allows it now, and a 429's cooldown, from its join answer and the room's event
 * stream (the client's `watchRoomEvents`, `GET /rooms/:code/events`). `applyRoomEvent` and
 * `renderStatus` are pure (the clock is passed in), and `createStatusLine` draws one
 * self-rewriting line on a terminal, or logs one line per finished request elsewhere.
 *
 * Requests in flight are attempts: `llm.request` starts one; `llm.complete`, `llm.error` and an
 * `llm.retry` away from this participant end one (the last neither served nor failed here:
 * passed on). The limit and the cooldown come from views of this participant (the join answer,
 * the `connected` snapshot, `participant.*` events); the count is taken only from the snapshot,
 * since a 429's `participant.updated` comes before the end of the attempt that got it. A limit
 * lowered by a 429 rises again with successes without an event: the line shows the last one
 * said until a new view comes (a re-join, a reconnect, another 429). The room's queue is not
 * shown: no event says how many requests wait.
 */
import type { RoomEvent } from "../client.ts";
import type { Logger } from "../logger.ts";
import type { ParticipantState } from "./runtime.ts";

export interface StatusState {
  code: string;
  model: string;
  participant: ParticipantState;
  served: number;
  failed: number;
  /** Attempts handed to another participant before their first byte (`llm.retry` from this one). */
  passedOn: number;
  inFlight: number;
  /** How many requests it serves at once, as the hub settled it. */
  maxConcurrency?: number;
  /** How many the hub lets it have now (`maxConcurrency`, lowered after a 429). */
  limit?: number;
  /** Until when the hub sends it nothing after a 429 (ms since the epoch). */
  cooldownUntil?: number;
  lastTokensPerSecond?: number;
  lastDurationMs?: number;
  /** Requests waiting in the room's queue, as the last heartbeat answer said. */
  queueWaiting?: number;
}

/** What one finished request of ours looked like, for the per-request log line. */
export interface Finished {
  ok: boolean;
  /** Not served here, not failed: the hub gave it to another participant (why: `error`). */
  passedOn?: boolean;
  protocol?: string;
  durationMs?: number;
  tokensPerSecond?: number;
  error?: string;
}

export function initialStatus(code: string, model: string): StatusState {
  return { code, model, participant: "joined", served: 0, failed: 0, passedOn: 0, inFlight: 0 };
}

const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

/**
 * What a view of this participant (its join answer, `connected`, a `participant.*` event) says
 * of its capacity; `snapshot` (the join answer, `connected`): its requests in flight too.
 */
export function withOwnView(state: StatusState, view: Record<string, unknown>, snapshot = false): StatusState {
  return {
    ...state,
    maxConcurrency: num(view.maxConcurrency) ?? state.maxConcurrency,
    limit: num(view.limit) ?? state.limit,
    cooldownUntil: num(view.cooldownUntil),
    inFlight: snapshot ? (num(view.inFlight) ?? state.inFlight) : state.inFlight,
  };
}

/** A heartbeat's answer: its own view (a snapshot: the hub's count in flight) and the room's queue. */
export function withHeartbeat(state: StatusState, answer: { participant?: Record<string, unknown>; queue?: { waiting?: unknown } }): StatusState {
  const next = answer.participant ? withOwnView(state, answer.participant, true) : state;
  const waiting = num(answer.queue?.waiting);
  return waiting === undefined ? next : { ...next, queueWaiting: waiting };
}

/** Folds one room event into the state; events about other participants change nothing. */
export function applyRoomEvent(state: StatusState, event: RoomEvent, participantId: string): { state: StatusState; finished?: Finished } {
  const d = event.data ?? {};
  switch (event.type) {
    case "connected": {
      const me = Array.isArray(d.participants) ? (d.participants as Record<string, unknown>[]).find((p) => p?.id === participantId) : undefined;
      return { state: me ? withOwnView(state, me, true) : state };
    }
    case "participant.joined":
    case "participant.updated":
    case "participant.online":
    case "participant.offline":
    case "participant.unhealthy":
    case "participant.healthy": {
      const me = d.participant as Record<string, unknown> | undefined;
      return { state: me?.id === participantId ? withOwnView(state, me) : state };
    }
    case "llm.retry": {
      if (d.from !== participantId) return { state };
      const why = typeof d.reason === "string" ? ` (${d.reason})` : "";
      return {
        state: { ...state, inFlight: Math.max(0, state.inFlight - 1), passedOn: state.passedOn + 1 },
        finished: { ok: false, passedOn: true, error: `${String(d.error ?? "failed")}${why}` },
      };
    }
  }
  if (d.participantId !== participantId) return { state };
  const metrics = (d.metrics ?? {}) as Record<string, number | undefined>;
  switch (event.type) {
    case "llm.request":
      return { state: { ...state, inFlight: state.inFlight + 1 } };
    case "llm.complete":
      return {
        state: { ...state, inFlight: Math.max(0, state.inFlight - 1), served: state.served + 1, lastTokensPerSecond: metrics.tokensPerSecond, lastDurationMs: metrics.durationMs },
        finished: { ok: true, protocol: d.protocol as string | undefined, durationMs: metrics.durationMs, tokensPerSecond: metrics.tokensPerSecond },
      };
    case "llm.error":
      return {
        state: { ...state, inFlight: Math.max(0, state.inFlight - 1), failed: state.failed + 1 },
        finished: { ok: false, protocol: d.protocol as string | undefined, durationMs: metrics.durationMs, error: d.aborted ? "cancelled by the client" : String(d.error ?? "failed") },
      };
    default:
      return { state };
  }
}

export const STATE_WORDS: Record<ParticipantState, string> = {
  joined: "online",
  rejoining: "re-joining",
  "room-gone": "room gone, retrying",
  "hub-unreachable": "hub unreachable, retrying",
  stopped: "left",
};

/** `HH:MM:SS` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** The line at `now` (a cooldown is shown until it is over). */
export function renderStatus(s: StatusState, now: number): string {
  const parts = [`${s.participant === "joined" ? "●" : "○"} room ${s.code}`, s.model, STATE_WORDS[s.participant], `${s.served} served`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.passedOn) parts.push(`${s.passedOn} passed on`);
  const limit = s.limit ?? s.maxConcurrency;
  if (limit !== undefined) {
    const lowered = s.maxConcurrency !== undefined && limit < s.maxConcurrency ? ` (max ${s.maxConcurrency})` : "";
    parts.push(`in flight ${s.inFlight}/${limit}${lowered}`);
  } else if (s.inFlight) parts.push(`${s.inFlight} in progress`);
  if (s.cooldownUntil !== undefined && s.cooldownUntil > now) parts.push(`cooling down until ${clockTime(s.cooldownUntil)}`);
  if (s.queueWaiting) parts.push(`${s.queueWaiting} waiting in the room`);
  if (s.lastTokensPerSecond !== undefined) parts.push(`last ${s.lastTokensPerSecond.toFixed(1)} tok/s`);
  return parts.join(" · ");
}

export function describeFinished(f: Finished): string {
  if (f.passedOn) return `request passed to another participant: ${f.error}`;
  const took = f.durationMs !== undefined ? ` in ${(f.durationMs / 1000).toFixed(2)} s` : "";
  if (!f.ok) return `request failed${took}: ${f.error}`;
  const speed = f.tokensPerSecond !== undefined ? ` · ${f.tokensPerSecond.toFixed(1)} tok/s` : "";
  const kind = f.protocol === "responses" ? "a Responses" : f.protocol === "embeddings" ? "an embeddings" : f.protocol === "messages" ? "a Messages" : "a chat";
  return `served ${kind} request${took}${speed}`;
}

/**
 * On a terminal: one line at the bottom, rewritten in place; log lines are printed above it
 * (the line is cleared before each log and drawn again after). Elsewhere: nothing drawn; each
 * finished request is logged as a line instead.
 */
export function createStatusLine(opts: { log: Logger; tty: boolean; write?: (s: string) => void; now?: () => number }) {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  const now = opts.now ?? Date.now;
  let current = "";
  if (opts.tty) {
    const reporters = opts.log.options.reporters;
    opts.log.setReporters(
      reporters.map((r) => ({
        log: (obj, ctx) => {
          if (current) write("\r\x1b[2K");
          r.log(obj, ctx);
          if (current) write(current);
        },
      })),
    );
  }
  return {
    update(s: StatusState, finished?: Finished) {
      if (!opts.tty) {
        if (finished) (finished.ok ? opts.log.info : opts.log.warn)(describeFinished(finished));
        return;
      }
      current = renderStatus(s, now());
      write(`\r\x1b[2K${current}`);
    },
    clear() {
      if (opts.tty && current) write("\r\x1b[2K");
      current = "";
    },
  };
}
