/**
 * The two answers of a room too busy to take a request, with a `Retry-After` (AccessError is
 * the GambiError that carries its own headers): `room_busy` (429) when the room's queue is
 * full, or every participant that could serve is cooling down past the queue's deadline;
 * `queue_timeout` (503) when a request waited its `queueTimeoutMs` without a free slot.
 * Both say what was asked for, how many participants serve it and how many requests wait.
 */
import { AccessError } from "../access/limiter.ts";

export interface BusyState {
  /** What the request asked for, in words: `model "llama3"`, `participant "p1"`, `any participant`. */
  what: string;
  /** Online participants that serve it. */
  serving: number;
  /** Requests waiting in the room's queue. */
  waiting: number;
  retryAfterMs: number;
  room?: string;
}

const MAX_RETRY_AFTER_S = 300;

export function retryAfterSeconds(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(ms / 1000)));
}

function situation(s: BusyState): string {
  const serve = `${s.serving} participant${s.serving === 1 ? "" : "s"} serve${s.serving === 1 ? "s" : ""} ${s.what}`;
  return `${serve}, ${s.waiting} request${s.waiting === 1 ? "" : "s"} waiting`;
}

const where = (s: BusyState) => (s.room ? `room ${s.room}` : "the room");

export function roomBusy(s: BusyState, why: "full" | "cooling"): AccessError {
  const seconds = retryAfterSeconds(s.retryAfterMs);
  const reason =
    why === "full" ? `${where(s)} is busy and its queue is full` : `every participant that could serve it in ${where(s)} is rate-limited for longer than the queue waits`;
  return new AccessError(429, `${reason} (${situation(s)}); retry in ${seconds} s`, { code: "room_busy" }, { "retry-after": String(seconds) });
}

export function queueTimeout(s: BusyState, waitedMs: number): AccessError {
  const seconds = retryAfterSeconds(s.retryAfterMs);
  return new AccessError(
    503,
    `no slot came free in ${Math.round(waitedMs / 1000)} s in ${where(s)}'s queue (${situation(s)}); retry in ${seconds} s`,
    { code: "queue_timeout" },
    { "retry-after": String(seconds) },
  );
}
