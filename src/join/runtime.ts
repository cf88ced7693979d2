/**
 * A joined participant's life: register, heartbeat, and recover by itself.
 * - heartbeat 404 for the participant (hub restarted, participant forgotten) → join again with
 *   the same settings;
 * - room gone → say so plainly, keep trying until it is back or the user stops;
 * - hub unreachable → retry after 2 s, then with backoff (up to 30 s); say so once, say when it is back.
 * `stop()` leaves the room (DELETE) before resolving.
 * With `tunnel` (gambi join --tunnel), the tunnel replaces heartbeats: the runtime keeps one
 * open (tunnel/connection.ts) and, when it closes, opens another as the same participant with
 * its token, the first retry after `firstRetryMs` and later ones with backoff; only a hub that
 * forgot the participant (the socket is refused with `participant_not_found`) makes it join
 * again. The join registers it; the tunnel's `ready` is when it serves.
 * The participant token each join returns lives in this closure only: never in a file, a log
 * line or a state the UI sees. A hub that restarted has no token for the id, so its re-join
 * is a fresh join under the same id and brings a new token.
 */
import { HubError, exitCodeForStatus, type HeartbeatAnswer, type HubClient, type JoinRequest } from "../client.ts";
import { CLOSE } from "../protocol/tunnel/close.ts";
import type { StatusFrame } from "../protocol/tunnel/frames.ts";
import { EXIT } from "../terminal/errors.ts";
import type { TunnelClosed, TunnelConnection } from "./tunnel/connection.ts";
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
  /** Serve through a tunnel: opens one for the participant (session.ts wires the client and the endpoint). */
  tunnel?: (id: string, token: string, onStatus: (status: StatusFrame) => void) => TunnelConnection;
}

/** Why a tunnel could not be opened or closed before it was ready, as the hub's refusal when it said one. */
export function tunnelError(closed: TunnelClosed, hubUrl: string): HubError {
  const r = closed.refuse;
  if (r) return new HubError(r.message, r.status, r.code, r.status !== undefined ? exitCodeForStatus(r.status) : EXIT.unreachable);
  if (!closed.opened) return new HubError(`cannot open the tunnel to ${hubUrl}: ${closed.reason}`, undefined, "hub_unreachable", EXIT.unreachable);
  return new HubError(`the tunnel to ${hubUrl} closed (${closed.code}: ${closed.reason})`, undefined, "hub_unreachable", EXIT.unreachable);
}

/** Refusals of a tunnel that mean the hub does not know this participant under this token any more: join again. */
const JOIN_AGAIN = ["participant_not_found", "invalid_participant_token", "participant_not_tunnelled"] as const;

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
  /** Tunnel mode: the hub holds this participant under `token` (a socket may be opened for it). */
  let registered = false;
  let tunnel: TunnelConnection | undefined;
  let ticking = false;

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

  /**
   * Tunnel mode: the tunnel, opened if there is none (resolves once the hub routes to it, with
   * the participant's view; undefined when it was up already). Rejects with the hub's refusal.
   */
  async function tunnelUp(): Promise<Record<string, unknown> | undefined> {
    if (tunnel?.isReady) return undefined;
    tunnel?.close(CLOSE.normal, "opening another");
    const t = opts.tunnel!(request.id, token!, (s) => opts.onHeartbeat?.({ ok: true, participant: s.participant, queue: s.queue }));
    tunnel = t;
    let view: Record<string, unknown>;
    try {
      view = await t.ready;
    } catch (closed) {
      if (tunnel === t) tunnel = undefined;
      throw tunnelError(closed as TunnelClosed, client.url);
    }
    void t.closed.then((c) => {
      if (tunnel !== t || stopped) return;
      tunnel = undefined;
      if (c.code === CLOSE.replaced) {
        // Another socket with this participant's token took over (the same participant joined
        // from elsewhere): reconnecting would only take it back, and back again.
        stopped = true;
        clearTimeout(timer);
        log.error(`another tunnel took over this participant (${c.reason}): is it joined twice? Not reconnecting`);
        setState("stopped");
        return;
      }
      setState("hub-unreachable", `the tunnel to ${client.url} closed (${c.reason}); reconnecting`);
      delay = firstRetryMs;
      if (!ticking) {
        clearTimeout(timer);
        schedule(firstRetryMs);
      }
    });
    return view;
  }

  async function rejoin(): Promise<void> {
    await join();
    registered = true;
    if (opts.tunnel) await tunnelUp();
    rejoins++;
    setState("joined", `re-joined room ${code}`);
  }

  async function tick(): Promise<void> {
    ticking = true;
    try {
      if (opts.tunnel ? registered : state === "joined") {
        if (opts.tunnel) await tunnelUp();
        else {
          // Sent whether or not anyone listens (an optional call would skip evaluating its argument).
          const answer = await client.heartbeat(code, request.id, token!);
          opts.onHeartbeat?.(answer);
        }
      } else await rejoin();
      delay = heartbeatMs;
      if (state !== "joined") setState("joined", `hub ${client.url} is back; joined room ${code}`);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      if (hasCode(err, "participant_not_found") || (opts.tunnel && JOIN_AGAIN.some((c) => hasCode(err, c)))) {
        registered = false;
        setState("rejoining", "the hub forgot this participant (restarted?); joining again");
        try {
          await rejoin();
        } catch (again) {
          handleFailure(again);
        }
      } else handleFailure(err);
    } finally {
      ticking = false;
    }
    schedule(delay);
  }

  function handleFailure(err: unknown): void {
    if (!(err instanceof HubError)) throw err;
    if (hasCode(err, "participant_id_taken")) {
      // Only after a hub restart, when someone else joined under this id first: it is theirs now.
      request = { ...request, id: participantId() };
      token = undefined;
      registered = false;
      setState("rejoining", `this participant's id was taken while the hub was away; joining as ${request.id}`);
      delay = firstRetryMs;
    } else if (hasCode(err, "room_not_found")) {
      registered = false;
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
      registered = true;
      if (opts.tunnel) {
        let view: Record<string, unknown> | undefined;
        try {
          view = await tunnelUp();
        } catch (err) {
          // Not serving: not left behind in the room either.
          await client.leave(code, request.id, token!).catch(() => undefined);
          throw err;
        }
        schedule(heartbeatMs);
        return view ?? joined.participant;
      }
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
      } finally {
        tunnel?.close(CLOSE.normal, "the participant left");
      }
    },
  };
}
