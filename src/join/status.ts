/**
 * The joiner's live status line: room, model, requests served, from the room's event stream
 * (`GET /rooms/:code/events`). `applyRoomEvent` and `renderStatus` are pure; `watchRoomEvents`
 * keeps a subscription open (re-connecting with backoff while the hub is away), and
 * `createStatusLine` draws one self-rewriting line on a terminal, or logs one line per finished
 * request elsewhere.
 */
import { FetchError, ofetch } from "ofetch";
import { bearer } from "../client.ts";
import type { Logger } from "../logger.ts";
import { SseDecoder } from "../protocol/sse/decode.ts";
import type { ParticipantState } from "./runtime.ts";

export interface RoomEvent {
  type: string;
  roomCode?: string;
  timestamp?: number;
  data?: Record<string, unknown>;
}

export interface StatusState {
  code: string;
  model: string;
  participant: ParticipantState;
  served: number;
  failed: number;
  inFlight: number;
  lastTokensPerSecond?: number;
  lastDurationMs?: number;
}

/** What one finished request of ours looked like, for the per-request log line. */
export interface Finished {
  ok: boolean;
  protocol?: string;
  durationMs?: number;
  tokensPerSecond?: number;
  error?: string;
}

export function initialStatus(code: string, model: string): StatusState {
  return { code, model, participant: "joined", served: 0, failed: 0, inFlight: 0 };
}

/** Folds one room event into the state; events about other participants change nothing. */
export function applyRoomEvent(state: StatusState, event: RoomEvent, participantId: string): { state: StatusState; finished?: Finished } {
  const d = event.data ?? {};
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

export function renderStatus(s: StatusState): string {
  const parts = [`${s.participant === "joined" ? "●" : "○"} room ${s.code}`, s.model, STATE_WORDS[s.participant], `${s.served} served`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.inFlight) parts.push(`${s.inFlight} in progress`);
  if (s.lastTokensPerSecond !== undefined) parts.push(`last ${s.lastTokensPerSecond.toFixed(1)} tok/s`);
  return parts.join(" · ");
}

export function describeFinished(f: Finished): string {
  const took = f.durationMs !== undefined ? ` in ${(f.durationMs / 1000).toFixed(2)} s` : "";
  if (!f.ok) return `request failed${took}: ${f.error}`;
  const speed = f.tokensPerSecond !== undefined ? ` · ${f.tokensPerSecond.toFixed(1)} tok/s` : "";
  return `served a ${f.protocol === "responses" ? "Responses" : "chat"} request${took}${speed}`;
}

export interface WatchOptions {
  /** The room password the participant joined with: a protected room's events need it as the bearer. */
  password?: string;
  /** The hub client's fetch (it carries --ca for a hub with a self-signed certificate). */
  fetch?: typeof fetch;
  /** Told (once per distinct message) when the hub refuses the subscription, e.g. a 401. */
  onRefused?: (message: string) => void;
}

/**
 * Subscribes to the room's events until `signal` aborts, re-connecting with backoff (1 s up
 * to 15 s) when the stream ends or the hub is unreachable. The joiner's own runtime reports
 * hub trouble; this stays quiet about it, but says why the hub refused the stream (4xx), since
 * a status line that never moves would otherwise be all the user sees.
 */
export async function watchRoomEvents(hubUrl: string, code: string, onEvent: (e: RoomEvent) => void, signal: AbortSignal, opts: WatchOptions = {}): Promise<void> {
  let delay = 1000;
  let refused: string | undefined;
  const get = opts.fetch ? ofetch.create({}, { fetch: opts.fetch }) : ofetch;
  while (!signal.aborted) {
    try {
      const body = await get(`${hubUrl}/rooms/${encodeURIComponent(code)}/events`, { responseType: "stream", signal, retry: 0, headers: bearer(opts.password) });
      refused = undefined;
      const decoder = new SseDecoder();
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        delay = 1000;
        for (const ev of decoder.push(chunk)) {
          try {
            onEvent(JSON.parse(ev.data) as RoomEvent);
          } catch (err) {
            if (!(err instanceof SyntaxError)) throw err;
          }
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof Error)) throw err;
      const status = err instanceof FetchError ? err.response?.status : undefined;
      if (status !== undefined && status >= 400 && status < 500 && status !== 404) {
        const message = (err as FetchError).data?.error?.message ?? `HTTP ${status}`;
        if (message !== refused) opts.onRefused?.(`the hub refused the room's event stream: ${message}`);
        refused = message;
      }
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(15_000, delay * 2);
  }
}

/**
 * On a terminal: one line at the bottom, rewritten in place; log lines are printed above it
 * (the line is cleared before each log and drawn again after). Elsewhere: nothing drawn; each
 * finished request is logged as a line instead.
 */
export function createStatusLine(opts: { log: Logger; tty: boolean; write?: (s: string) => void }) {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
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
      current = renderStatus(s);
      write(`\r\x1b[2K${current}`);
    },
    clear() {
      if (opts.tty && current) write("\r\x1b[2K");
      current = "";
    },
  };
}
