/**
 * The tunnel's frames (docs/tunnel.md is their reference): what a joiner behind NAT and its hub
 * say to each other over one WebSocket, one frame per binary message. Types, numbers and limits
 * only; codec.ts turns them into bytes and back.
 *
 * Every frame starts with the same 9 bytes, in every version: its type (u8), the request id it
 * belongs to (u32, big-endian; 0 for the connection's own frames) and the length of its JSON
 * meta (u32). Then the meta (UTF-8 JSON, absent when the length is 0), then raw bytes: a body
 * chunk as it came, so SSE crosses byte for byte, never base64. `hello` and `refuse` keep their
 * numbers and their `major` / `code` / `message` fields forever, so two versions can always tell
 * each other that they do not match.
 */

/** The wire format's version: a peer refuses another major; a minor adds only what a peer may ignore. */
export const TUNNEL_MAJOR = 1;
export const TUNNEL_MINOR = 0;

/** type (1) + request id (4) + meta length (4). */
export const HEADER_BYTES = 9;

/** The largest frame either side sends or accepts, header included: 1 MiB. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The most body bytes one frame carries. */
export const MAX_CHUNK_BYTES = MAX_FRAME_BYTES - HEADER_BYTES;

/** The most response-body bytes a joiner may send for one request before the hub grants more. */
export const DEFAULT_WINDOW_BYTES = 256 * 1024;

/** The largest request id (ids are u32, from 1). */
export const MAX_REQUEST_ID = 0xffff_ffff;

export const FRAME_TYPE = {
  hello: 0x01,
  "hello-ok": 0x02,
  refuse: 0x03,
  ready: 0x04,
  status: 0x05,
  ping: 0x06,
  pong: 0x07,
  open: 0x10,
  head: 0x11,
  body: 0x12,
  end: 0x13,
  error: 0x14,
  cancel: 0x15,
  credit: 0x16,
} as const;

export type FrameName = keyof typeof FRAME_TYPE;

/** A header list as it crossed: names lower-case, in order. */
export type HeaderPairs = [string, string][];

/** Joiner → hub, first: the versions it speaks. */
export interface HelloFrame {
  type: "hello";
  major: number;
  minor: number;
  /** The joiner's gambi version, for the hub's log. */
  gambi: string;
}

/** Hub → joiner, the answer to a hello it accepts: the limits it holds the joiner to. */
export interface HelloOkFrame {
  type: "hello-ok";
  major: number;
  minor: number;
  gambi: string;
  /** Per-request credit the joiner starts with, in bytes. */
  window: number;
  /** The largest frame, header included. */
  maxFrame: number;
  /** How often the hub pings; the joiner takes a silence of 3× this as a dead socket. */
  pingMs: number;
}

/** Either way, before a close: why the connection cannot go on (the close reason is too short for it). */
export interface RefuseFrame {
  type: "refuse";
  /** One of gambi's error codes (protocol/error-codes.ts). */
  code: string;
  message: string;
  /** The HTTP status the same refusal has in the hub's API, when it has one. */
  status?: number;
}

/** Hub → joiner: the hub probed the endpoint through the tunnel and routes requests to it now. */
export interface ReadyFrame {
  type: "ready";
  /** The participant as the hub shows it (its public view: never a secret). */
  participant: Record<string, unknown>;
}

/** Hub → joiner, with each ping: what a heartbeat's answer says (its own view, the room's queue). */
export interface StatusFrame {
  type: "status";
  participant: Record<string, unknown>;
  queue?: { waiting: number; queueSize: number };
}

export interface PingFrame {
  type: "ping";
  seq: number;
}

export interface PongFrame {
  type: "pong";
  seq: number;
}

/** Hub → joiner: one upstream request, and its body (all of it, or the first part when `more`). */
export interface OpenFrame {
  type: "open";
  id: number;
  method: "GET" | "POST" | "DELETE";
  /** Relative to the joiner's endpoint base URL (`/v1/chat/completions`, `/props`). */
  path: string;
  headers: HeaderPairs;
  /** More of the body follows in `body` frames, then an `end`. */
  more: boolean;
  body: Uint8Array;
}

/**
 * Joiner → hub: the upstream's status and headers. With `whole`, the payload is the entire
 * body and nothing more follows for the request (a small answer that was complete: one message
 * instead of three); without, the body follows in `body` frames and an `end`.
 */
export interface HeadFrame {
  type: "head";
  id: number;
  status: number;
  statusText: string;
  headers: HeaderPairs;
  whole?: boolean;
  /** The whole body when `whole` (counted against the request's credit); else empty. */
  body?: Uint8Array;
}

/** Either way: a body chunk (hub → joiner: the rest of a request body; joiner → hub: the answer's). */
export interface BodyFrame {
  type: "body";
  id: number;
  bytes: Uint8Array;
}

/** Either way: that body is complete. */
export interface EndFrame {
  type: "end";
  id: number;
}

/** Joiner → hub: the upstream request failed (before the head: could not be made; after it: the body broke). */
export interface ErrorFrame {
  type: "error";
  id: number;
  message: string;
}

/** Hub → joiner: the client left; abort the upstream request, send nothing more for it. */
export interface CancelFrame {
  type: "cancel";
  id: number;
}

/** Hub → joiner: the client read this many more bytes of the answer; the joiner may send as many more. */
export interface CreditFrame {
  type: "credit";
  id: number;
  bytes: number;
}

export type Frame =
  | HelloFrame
  | HelloOkFrame
  | RefuseFrame
  | ReadyFrame
  | StatusFrame
  | PingFrame
  | PongFrame
  | OpenFrame
  | HeadFrame
  | BodyFrame
  | EndFrame
  | ErrorFrame
  | CancelFrame
  | CreditFrame;

/** Frames of the connection itself (request id 0). */
export const CONNECTION_FRAMES: ReadonlySet<FrameName> = new Set(["hello", "hello-ok", "refuse", "ready", "status", "ping", "pong"]);

/** What is wrong with a frame that could not be decoded. */
export type FrameProblemKind = "truncated" | "too_large" | "unknown_type" | "bad_id" | "bad_meta";

export interface FrameProblem {
  problem: FrameProblemKind;
  /** Says what was wrong in fixed words and numbers, never the frame's bytes. */
  message: string;
}
