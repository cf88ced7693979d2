/**
 * A joined participant's life: register, heartbeat, and recover by itself.
 * - heartbeat 404 for the participant (hub restarted, participant forgotten) → join again with
 *   the same settings;
 * - room gone → say so plainly, keep trying until it is back or the user stops;
 * - hub unreachable → retry after 2 s, then with backoff (up to 30 s); say so once, say when it is back.
 * `stop()` leaves the room (DELETE) before resolving.
 * The participant token each join returns lives in this closure only: never in a file, a log
 * line or a state the UI sees. A hub that restarted has no token for the id, so its re-join
 * is a fresh join under the same id and brings a new token.
 */
import { HubError, type HeartbeatAnswer, type HubClient, type JoinRequest } from "../client.ts";
import type { Logger } from "../logger.ts";
import { hasCode } from "../protocol/error-codes.ts";
import { participantId } from "./names.ts";

export interface ParticipantOptions {
  client: HubClient;
  code: string;
  request: JoinRequest;
  log: Logger;
  heartbeatMs?: number;
  maxBackoffMs?: number;
  /** First retry after the hub stops answering (later ones double, up to maxBackoffMs). */
  firstRetryMs?: number;
  /** Told every state change (the status line shows it). */
  onStateChange?: (state: ParticipantState) => void;
  /** Told each heartbeat's answer (its own view and the room's queue, for the status line). */
  onHeartbeat?: (answer: HeartbeatAnswer) => void;
}

export type ParticipantState = "joined" | "rejoining" | "room-gone" | "hub-unreachable" | "stopped";

export function startParticipant(opts: ParticipantOptions) {
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const firstRetryMs = opts.firstRetryMs ?? 2_000;
  const { client, code, log } = opts;
  let request = opts.request;
  let state: ParticipantState = "joined";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = heartbeatMs;
  let stopped = false;
  let rejoins = 0;
  let token: string | undefined;

  const join = async () => {
    const joined = await client.join(code, request, token);
    token = joined.participantToken;
    return joined;
  };

  const setState = (next: ParticipantState, message?: string) => {
    if (next === state) return;
    if (message) (next === "joined" ? log.success : log.warn)(message);
    state = next;
    opts.onStateChange?.(next);
  };

  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(tick, ms);
  };

  async function rejoin(): Promise<void> {
    await join();
    rejoins++;
    setState("joined", `re-joined room ${code}`);
  }

  async function tick(): Promise<void> {
    try {
      if (state === "joined") {
        // Sent whether or not anyone listens (an optional call would skip evaluating its argument).
        const answer = await client.heartbeat(code, request.id, token!);
        opts.onHeartbeat?.(answer);
      } else await rejoin();
      delay = heartbeatMs;
      if (state !== "joined") setState("joined", `hub ${client.url} is back; joined room ${code}`);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      if (hasCode(err, "participant_not_found")) {
        setState("rejoining", "the hub forgot this participant (restarted?); joining again");
        try {
          await rejoin();
        } catch (again) {
          handleFailure(again);
        }
      } else handleFailure(err);
    }
    schedule(delay);
  }

  function handleFailure(err: unknown): void {
    if (!(err instanceof HubError)) throw err;
    if (hasCode(err, "participant_id_taken")) {
      // Only after a hub restart, when someone else joined under this id first: it is theirs now.
      request = { ...request, id: participantId() };
      token = undefined;
      setState("rejoining", `this participant's id was taken while the hub was away; joining as ${request.id}`);
      delay = firstRetryMs;
    } else if (hasCode(err, "room_not_found")) {
      setState("room-gone", `room ${code} no longer exists on ${client.url}; retrying until it is back (Ctrl-C to stop)`);
      delay = heartbeatMs;
    } else if (err.status === undefined || err.status >= 500) {
      // A hub restart takes seconds: the first retry comes soon (2 s), later ones back off to 30 s.
      const first = state !== "hub-unreachable";
      setState("hub-unreachable", `${err.message}; retrying with backoff`);
      delay = first ? Math.min(heartbeatMs, firstRetryMs) : Math.min(maxBackoff, delay * 2);
    } else {
      // The hub refused the re-join (e.g. the endpoint now rejects the key): say why, keep trying.
      setState("rejoining", `join refused: ${err.message}`);
      delay = Math.min(maxBackoff, Math.max(heartbeatMs, delay * 2));
    }
  }

  return {
    /** First registration: failures here are the caller's to report. */
    async start(): Promise<Record<string, unknown>> {
      const joined = await join();
      schedule(heartbeatMs);
      return joined.participant;
    },
    get state() {
      return state;
    },
    get rejoins() {
      return rejoins;
    },
    /** The participant's id: the one it joined with, or a new one if that was taken while the hub was away. */
    get id() {
      return request.id;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      setState("stopped");
      try {
        if (token) await client.leave(code, request.id, token);
      } catch (err) {
        if (!(err instanceof HubError)) throw err;
      }
    },
  };
}
