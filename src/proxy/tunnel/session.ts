/**
 * One tunnel socket, hub side: the requests the hub sends a participant over it, multiplexed by
 * id (exchange.ts holds each one), and the socket's liveness. `request` is the tunnel's `fetch`:
 * an `open` frame (the body in it, or after it in `body` frames when it does not fit), then the
 * Response once the joiner's `head` arrives; the request's signal sends a `cancel`. `receive`
 * takes every message from the socket: request frames go to their exchange, `pong` says the
 * joiner is there, anything the hub does not expect or cannot decode closes the socket with a
 * code and reason (protocol/tunnel/close.ts) and fails every request on it. After `start` (the
 * hello answered) it pings every `pingMs` and closes a socket silent for `silentAfterMs`.
 *
 * A request that fails before its head makes `fetch` reject, as a network error would: the
 * proxy counts it as `unreachable` and the hub may send it to another participant. After the
 * head, its body errors, and the relays end the client's stream with the protocol's error event.
 */
import { decodeFrame, encodeBody, encodeFrame, isFrameProblem } from "../../protocol/tunnel/codec.ts";
import { CLOSE, closeReason } from "../../protocol/tunnel/close.ts";
import { DEFAULT_WINDOW_BYTES, HEADER_BYTES, MAX_FRAME_BYTES, MAX_REQUEST_ID, type Frame, type HeaderPairs } from "../../protocol/tunnel/frames.ts";
import type { Timers } from "../timeouts.ts";
import type { EnvelopeCode } from "../../protocol/error-codes.ts";
import { GambiError } from "../../protocol/openai/errors.ts";
import { TunnelExchange } from "./exchange.ts";

/** Why a socket is refused: a GambiError, or a code and message of gambi's own (never a secret). */
export interface Refusal {
  code: EnvelopeCode | null;
  message: string;
  status?: number;
}

/** What the session needs of a WebSocket. */
export interface TunnelSocket {
  /** One binary message. */
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface TunnelSessionOptions {
  socket: TunnelSocket;
  timers: Timers;
  /** Ping period once started (default 5 s). */
  pingMs?: number;
  /** A socket that sent nothing for this long is closed (default 15 s); before the hello too. */
  silentAfterMs?: number;
  window?: number;
  maxFrame?: number;
  /** Frames that are not the session's own (hello, refuse): the hub decides about them. */
  onControl?: (frame: Frame) => void;
  /** A pong came (the joiner is there). */
  onAlive?: () => void;
  /** Frames to send with each ping (the participant's status). */
  withPing?: () => Frame | undefined;
  /** The session ended, whichever way (told once). */
  onClosed?: (code: number, reason: string) => void;
}

const utf8 = new TextEncoder();

function headerPairs(init: RequestInit["headers"]): HeaderPairs {
  if (!init) return [];
  if (init instanceof Headers) return [...init.entries()];
  if (Array.isArray(init)) return init.map((pair) => [String(pair[0]).toLowerCase(), String(pair[1])] as [string, string]);
  return Object.entries(init).map(([k, v]) => [k.toLowerCase(), String(v)] as [string, string]);
}

function bodyBytes(body: RequestInit["body"]): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return utf8.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("a tunnelled request's body must be a string or bytes");
}

export class TunnelSession {
  private readonly exchanges = new Map<number, TunnelExchange>();
  private nextId = 1;
  private closedWith: { code: number; reason: string } | undefined;
  private lastHeard: number;
  private timer: unknown;
  private started = false;
  private pingSeq = 0;
  readonly window: number;
  readonly maxFrame: number;
  readonly pingMs: number;
  private readonly silentAfterMs: number;
  private readonly hooks = {
    credit: (id: number, bytes: number) => this.send({ type: "credit", id, bytes }),
    cancel: (id: number) => this.send({ type: "cancel", id }),
    done: (id: number) => void this.exchanges.delete(id),
  };

  constructor(private readonly opts: TunnelSessionOptions) {
    this.window = opts.window ?? DEFAULT_WINDOW_BYTES;
    this.maxFrame = opts.maxFrame ?? MAX_FRAME_BYTES;
    this.pingMs = opts.pingMs ?? 5_000;
    this.silentAfterMs = opts.silentAfterMs ?? 15_000;
    this.lastHeard = opts.timers.now();
    this.arm(this.silentAfterMs);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Requests under way on this socket. */
  get inFlight(): number {
    return this.exchanges.size;
  }

  /** Answer bytes received and not yet read by their requests' readers (at most a window per request). */
  get buffered(): number {
    let n = 0;
    for (const e of this.exchanges.values()) n += e.buffered;
    return n;
  }

  /** The hello was answered: pings begin. */
  start(): void {
    this.started = true;
    this.arm(this.pingMs);
  }

  send(frame: Frame): void {
    if (this.closedWith) return;
    this.opts.socket.send(encodeFrame(frame));
  }

  /** The tunnel's fetch, for a path relative to the joiner's endpoint base URL. */
  request(path: string, init: RequestInit): Promise<Response> {
    if (this.closedWith) return Promise.reject(new Error(`its tunnel closed (${this.closedWith.reason})`));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const method = (init.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "POST" && method !== "DELETE") return Promise.reject(new TypeError(`method ${method} does not cross the tunnel`));
    let body: Uint8Array;
    try {
      body = bodyBytes(init.body);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.nextId;
    if (id > MAX_REQUEST_ID) {
      // Four billion requests on one socket: start a fresh one.
      this.close(CLOSE.goingAway, "request ids used up; reconnect");
      return Promise.reject(new Error("its tunnel ran out of request ids"));
    }
    this.nextId++;
    const exchange = new TunnelExchange(id, this.window, this.hooks, signal);
    this.exchanges.set(id, exchange);
    const headers = headerPairs(init.headers);
    // The common case, encoded once: the whole request in one frame.
    if (body.length < this.maxFrame) {
      const whole = encodeFrame({ type: "open", id, method, path, headers, more: false, body });
      if (whole.length <= this.maxFrame) {
        this.opts.socket.send(whole);
        return exchange.response;
      }
    }
    const empty = encodeFrame({ type: "open", id, method, path, headers, more: true, body: new Uint8Array(0) });
    const room = this.maxFrame - empty.length;
    if (room < 0) {
      exchange.fail(new Error("the request's headers do not fit in one tunnel frame"));
      return exchange.response;
    }
    this.send({ type: "open", id, method, path, headers, more: true, body: body.subarray(0, room) });
    const chunk = this.maxFrame - HEADER_BYTES;
    for (let at = room; at < body.length; at += chunk) this.opts.socket.send(encodeBody(id, body.subarray(at, at + chunk)));
    this.send({ type: "end", id });
    return exchange.response;
  }

  /** One message from the socket. */
  receive(message: Uint8Array | string): void {
    if (this.closedWith) return;
    this.lastHeard = this.opts.timers.now();
    if (typeof message === "string") return this.violation(CLOSE.protocolError, "text messages are not tunnel frames (send binary)");
    const frame = decodeFrame(message, this.maxFrame);
    if (isFrameProblem(frame)) return this.violation(frame.problem === "too_large" ? CLOSE.tooLarge : CLOSE.protocolError, frame.message);
    switch (frame.type) {
      case "pong":
        this.opts.onAlive?.();
        return;
      case "ping":
        return this.send({ type: "pong", seq: frame.seq });
      case "hello":
      case "refuse":
        return this.opts.onControl?.(frame);
      case "head":
      case "body":
      case "end":
      case "error":
        return this.onRequestFrame(frame);
      default:
        return this.violation(CLOSE.protocolError, `a joiner does not send ${frame.type} frames`);
    }
  }

  private onRequestFrame(frame: Extract<Frame, { type: "head" | "body" | "end" | "error" }>): void {
    const exchange = this.exchanges.get(frame.id);
    if (!exchange) {
      // A request that ended here (cancelled, failed) may still have frames on their way: dropped.
      if (frame.id < this.nextId) return;
      return this.violation(CLOSE.protocolError, `a ${frame.type} frame for request ${frame.id}, which was never opened`);
    }
    switch (frame.type) {
      case "head":
        if (frame.whole && (frame.body?.length ?? 0) > this.window) return this.violation(CLOSE.protocolError, `request ${frame.id} sent past its credit of ${this.window} bytes`);
        if (!exchange.head(frame.status, frame.statusText, frame.headers, frame.whole ? (frame.body ?? new Uint8Array(0)) : undefined)) {
          this.violation(CLOSE.protocolError, `a second head for request ${frame.id}`);
        }
        return;
      case "body":
        if (!exchange.hasHead) return this.violation(CLOSE.protocolError, `a body frame for request ${frame.id} before its head`);
        if (!exchange.body(frame.bytes)) this.violation(CLOSE.protocolError, `request ${frame.id} sent past its credit of ${this.window} bytes`);
        return;
      case "end":
        if (!exchange.end()) this.violation(CLOSE.protocolError, `an end frame for request ${frame.id} before its head`);
        return;
      case "error":
        exchange.fail(new Error(frame.message));
        return;
    }
  }

  /** Says why (a `refuse` frame: the hub's error, in its envelope's words), then closes; every request on the socket fails. */
  refuse(why: Refusal, close: number): void {
    this.send({ type: "refuse", code: why.code ?? "invalid_request", message: why.message, ...(why.status !== undefined ? { status: why.status } : {}) });
    this.close(close, why.message);
  }

  private violation(close: number, message: string): void {
    this.refuse(new GambiError(400, `tunnel protocol error: ${message}`, { code: "tunnel_protocol_error" }), close);
  }

  /** Closes the socket (if open) and ends the session: every request on it fails. Idempotent. */
  close(code: number, reason: string): void {
    if (this.closedWith) return;
    const short = closeReason(reason);
    try {
      this.opts.socket.close(code, short);
    } catch {
      // Already closed underneath.
    }
    this.closed_(code, short);
  }

  /** The socket closed (the WebSocket's close event). Idempotent. */
  socketClosed(code: number, reason: string): void {
    this.closed_(code, reason || `closed with code ${code}`);
  }

  private closed_(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    if (this.timer !== undefined) this.opts.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const err = new Error(`its tunnel closed (${reason})`);
    for (const exchange of [...this.exchanges.values()]) exchange.fail(err);
    this.exchanges.clear();
    this.opts.onClosed?.(code, reason);
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) this.opts.timers.clearTimeout(this.timer);
    this.timer = this.opts.timers.setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.closedWith) return;
    const silent = this.opts.timers.now() - this.lastHeard;
    if (silent >= this.silentAfterMs) {
      const what = this.started ? "no answer to pings" : "no hello";
      return this.close(CLOSE.silent, `${what} for ${Math.round(silent / 1000)} s`);
    }
    if (!this.started) return this.arm(this.silentAfterMs - silent);
    this.send({ type: "ping", seq: ++this.pingSeq });
    const extra = this.opts.withPing?.();
    if (extra) this.send(extra);
    this.arm(Math.min(this.pingMs, this.silentAfterMs - silent));
  }
}
