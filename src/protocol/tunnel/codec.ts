/**
 * Frames to bytes and back (frames.ts has the layout). `encodeFrame` writes one message;
 * `decodeFrame` reads one and never throws: bytes that are not a frame come back as a
 * `FrameProblem` saying what was wrong (in fixed words, never the bytes themselves), which the
 * receiving side turns into a close with a reason. A body chunk's bytes are a view of the message
 * (no copy); everything else is checked field by field against the frame's shape.
 */
import {
  CONNECTION_FRAMES,
  FRAME_TYPE,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  type Frame,
  type FrameName,
  type FrameProblem,
  type FrameProblemKind,
  type HeaderPairs,
} from "./frames.ts";

const NAMES = new Map<number, FrameName>(Object.entries(FRAME_TYPE).map(([name, n]) => [n, name as FrameName]));
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
/** Stateless (no `stream`), fatal: invalid UTF-8 in a meta is a problem, not replacement characters. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The frame's JSON meta and raw payload, as encodeFrame lays them out. */
function parts(frame: Frame): { id: number; meta?: unknown; payload: Uint8Array } {
  switch (frame.type) {
    case "hello":
      return { id: 0, meta: { major: frame.major, minor: frame.minor, gambi: frame.gambi }, payload: EMPTY };
    case "hello-ok":
      return {
        id: 0,
        meta: { major: frame.major, minor: frame.minor, gambi: frame.gambi, window: frame.window, maxFrame: frame.maxFrame, pingMs: frame.pingMs },
        payload: EMPTY,
      };
    case "refuse":
      return { id: 0, meta: { code: frame.code, message: frame.message, ...(frame.status !== undefined ? { status: frame.status } : {}) }, payload: EMPTY };
    case "ready":
      return { id: 0, meta: { participant: frame.participant }, payload: EMPTY };
    case "status":
      return { id: 0, meta: { participant: frame.participant, ...(frame.queue ? { queue: frame.queue } : {}) }, payload: EMPTY };
    case "ping":
    case "pong":
      return { id: 0, meta: { seq: frame.seq }, payload: EMPTY };
    case "open":
      return { id: frame.id, meta: { method: frame.method, path: frame.path, headers: frame.headers, more: frame.more }, payload: frame.body };
    case "head":
      return {
        id: frame.id,
        meta: { status: frame.status, statusText: frame.statusText, headers: frame.headers, ...(frame.whole ? { whole: true } : {}) },
        payload: frame.whole ? (frame.body ?? EMPTY) : EMPTY,
      };
    case "body":
      return { id: frame.id, payload: frame.bytes };
    case "end":
    case "cancel":
      return { id: frame.id, payload: EMPTY };
    case "error":
      return { id: frame.id, meta: { message: frame.message }, payload: EMPTY };
    case "credit":
      return { id: frame.id, meta: { bytes: frame.bytes }, payload: EMPTY };
  }
}

/** Big-endian u32 at `at`, written byte by byte: cheaper than a DataView per frame on the hot path. */
function putU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

const getU32 = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

/** One frame as one WebSocket message. The caller keeps frames under MAX_FRAME_BYTES (`frameSize` tells). */
export function encodeFrame(frame: Frame): Uint8Array {
  const { id, meta, payload } = parts(frame);
  const json = meta === undefined ? EMPTY : utf8.encode(JSON.stringify(meta));
  const out = new Uint8Array(HEADER_BYTES + json.length + payload.length);
  out[0] = FRAME_TYPE[frame.type];
  putU32(out, 1, id);
  putU32(out, 5, json.length);
  out.set(json, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + json.length);
  return out;
}

/** A body chunk's frame, written without going through JSON (the hot path of every stream). */
export function encodeBody(id: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + bytes.length);
  out[0] = FRAME_TYPE.body;
  putU32(out, 1, id);
  out.set(bytes, HEADER_BYTES);
  return out;
}

const problem = (kind: FrameProblemKind, message: string): FrameProblem => ({ problem: kind, message });

export function isFrameProblem(x: Frame | FrameProblem): x is FrameProblem {
  return "problem" in x;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const isText = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;

function isHeaderPairs(v: unknown): v is HeaderPairs {
  if (!Array.isArray(v) || v.length > 256) return false;
  for (const pair of v) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isText(pair[0], 256) || !isText(pair[1], 16_384)) return false;
  }
  return true;
}

/** The typed frame for a decoded meta, or why the meta does not fit the frame. */
function fromMeta(name: FrameName, id: number, meta: Record<string, unknown>, payload: Uint8Array): Frame | string {
  switch (name) {
    case "hello":
      if (!isCount(meta.major) || !isCount(meta.minor) || !isText(meta.gambi, 64)) return "a hello needs major, minor (whole numbers) and gambi (its version)";
      return { type: "hello", major: meta.major, minor: meta.minor, gambi: meta.gambi };
    case "hello-ok": {
      const { major, minor, gambi, window, maxFrame, pingMs } = meta;
      if (!isCount(major) || !isCount(minor) || !isText(gambi, 64) || !isCount(window) || !isCount(maxFrame) || !isCount(pingMs)) {
        return "a hello-ok needs major, minor, gambi, window, maxFrame and pingMs";
      }
      return { type: "hello-ok", major, minor, gambi, window, maxFrame, pingMs };
    }
    case "refuse":
      if (!isText(meta.code, 64) || !isText(meta.message, 4096) || (meta.status !== undefined && !isCount(meta.status))) return "a refuse needs code and message";
      return { type: "refuse", code: meta.code, message: meta.message, ...(meta.status !== undefined ? { status: meta.status as number } : {}) };
    case "ready":
      if (!isObject(meta.participant)) return "a ready needs participant (an object)";
      return { type: "ready", participant: meta.participant };
    case "status": {
      const q = meta.queue;
      if (!isObject(meta.participant) || (q !== undefined && (!isObject(q) || !isCount(q.waiting) || !isCount(q.queueSize)))) return "a status needs participant, and queue as {waiting, queueSize}";
      return { type: "status", participant: meta.participant, ...(q ? { queue: { waiting: q.waiting as number, queueSize: q.queueSize as number } } : {}) };
    }
    case "ping":
    case "pong":
      if (!isCount(meta.seq)) return `a ${name} needs seq (a whole number)`;
      return { type: name, seq: meta.seq };
    case "open": {
      const { method, path, headers, more } = meta;
      if (method !== "GET" && method !== "POST" && method !== "DELETE") return "an open's method must be GET, POST or DELETE";
      if (!isText(path, 8192) || !path.startsWith("/")) return "an open's path must be a string starting with /";
      if (!isHeaderPairs(headers)) return "an open's headers must be [name, value] pairs";
      if (typeof more !== "boolean") return "an open needs more (true or false)";
      return { type: "open", id, method, path, headers, more, body: payload };
    }
    case "head": {
      const { status, statusText, headers } = meta;
      if (!isCount(status) || status < 100 || status > 999) return "a head's status must be an HTTP status";
      if (!isText(statusText, 1024)) return "a head's statusText must be a string";
      if (!isHeaderPairs(headers)) return "a head's headers must be [name, value] pairs";
      if (meta.whole !== undefined && meta.whole !== true) return "a head's whole must be true when present";
      if (meta.whole !== true && payload.length > 0) return "a head carries a body only when whole";
      return meta.whole ? { type: "head", id, status, statusText, headers, whole: true, body: payload } : { type: "head", id, status, statusText, headers };
    }
    case "error":
      if (!isText(meta.message, 4096)) return "an error needs message";
      return { type: "error", id, message: meta.message };
    case "credit":
      if (!isCount(meta.bytes) || meta.bytes === 0) return "a credit needs bytes (a whole number above 0)";
      return { type: "credit", id, bytes: meta.bytes };
    case "body":
    case "end":
    case "cancel":
      return `a ${name} has no meta`;
  }
}

/** One message as a frame, or what is wrong with it. Never throws. */
export function decodeFrame(bytes: Uint8Array, maxFrame = MAX_FRAME_BYTES): Frame | FrameProblem {
  if (bytes.length > maxFrame) return problem("too_large", `a frame of ${bytes.length} bytes is over the limit of ${maxFrame}`);
  if (bytes.length < HEADER_BYTES) return problem("truncated", `a frame of ${bytes.length} bytes is shorter than its ${HEADER_BYTES}-byte header`);
  const type = bytes[0]!;
  const name = NAMES.get(type);
  if (!name) return problem("unknown_type", `unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
  const id = getU32(bytes, 1);
  const metaLength = getU32(bytes, 5);
  const connection = CONNECTION_FRAMES.has(name);
  if (connection ? id !== 0 : id === 0) return problem("bad_id", connection ? `a ${name} frame must have request id 0` : `a ${name} frame needs a request id (not 0)`);
  if (metaLength > bytes.length - HEADER_BYTES) return problem("truncated", `a ${name} frame's meta length (${metaLength}) runs past its end`);
  const payload = bytes.subarray(HEADER_BYTES + metaLength);
  if (name === "body" || name === "end" || name === "cancel") {
    if (metaLength !== 0) return problem("bad_meta", `a ${name} frame has no meta`);
    if (name !== "body" && payload.length !== 0) return problem("bad_meta", `a ${name} frame has no payload`);
    return name === "body" ? { type: "body", id, bytes: payload } : { type: name, id };
  }
  if (name !== "open" && name !== "head" && payload.length !== 0) return problem("bad_meta", `a ${name} frame has no payload after its meta`);
  let meta: unknown;
  try {
    meta = JSON.parse(strictUtf8.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength)));
  } catch {
    return problem("bad_meta", `a ${name} frame's meta is not UTF-8 JSON`);
  }
  if (!isObject(meta)) return problem("bad_meta", `a ${name} frame's meta is not a JSON object`);
  const frame = fromMeta(name, id, meta, payload);
  return typeof frame === "string" ? problem("bad_meta", frame) : frame;
}
