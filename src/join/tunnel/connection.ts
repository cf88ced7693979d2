/**
 * One tunnel socket, joiner side (docs/tunnel.md): says hello, checks the hub's version, serves
 * the requests the hub opens on it (exchange.ts, many at once, by id), answers pings, and gives
 * up on a hub that has sent nothing for three ping periods. `ready` resolves with the
 * participant's view once the hub has probed the endpoint through it and routes to it; `closed`
 * resolves once the socket is gone, with the code, the reason, and the hub's `refuse` if it
 * said why. The socket itself comes from the client (client.ts `openTunnel`: the URL, the
 * participant token, `--ca`).
 */
import { decodeFrame, encodeBody, encodeFrame, isFrameProblem } from "../../protocol/tunnel/codec.ts";
import { CLOSE, closeReason } from "../../protocol/tunnel/close.ts";
import { MAX_CHUNK_BYTES, MAX_FRAME_BYTES, TUNNEL_MAJOR, TUNNEL_MINOR, type Frame, type RefuseFrame, type StatusFrame } from "../../protocol/tunnel/frames.ts";
import { refuseHubVersion } from "../../protocol/tunnel/version.ts";
import { VERSION } from "../../version.ts";
import type { ErrorCode } from "../../protocol/error-codes.ts";
import { endpointSecrets, JoinerExchange, type LocalEndpoint } from "./exchange.ts";
import { SendBuffer } from "./send-buffer.ts";

export interface TunnelClosed {
  code: number;
  reason: string;
  /** The peer's `refuse` before the close, if it sent one (the hub's, or this side's own). */
  refuse?: RefuseFrame;
  /** Whether the socket ever opened (false: the hub could not be reached). */
  opened: boolean;
}

export interface TunnelConnectionOptions {
  socket: WebSocket;
  endpoint: LocalEndpoint;
  /** Each `status` the hub sends with its pings (the participant's view, the room's queue). */
  onStatus?: (status: StatusFrame) => void;
  /** A hub silent for this long is given up on (default: three of its ping periods). */
  silentAfterMs?: number;
}

export interface TunnelConnection {
  ready: Promise<Record<string, unknown>>;
  closed: Promise<TunnelClosed>;
  readonly isReady: boolean;
  /** Requests being served now. */
  readonly inFlight: number;
  close(code: number, reason: string): void;
}

export function connectTunnel(opts: TunnelConnectionOptions): TunnelConnection {
  const { socket } = opts;
  const exchanges = new Map<number, JoinerExchange>();
  let lastId = 0;
  let window = 0;
  let maxChunk = MAX_CHUNK_BYTES;
  let silentAfter = opts.silentAfterMs ?? 15_000;
  let lastHeard = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let opened = false;
  let isReady = false;
  let helloOk = false;
  let refuse: RefuseFrame | undefined;
  let closedWith: TunnelClosed | undefined;

  let resolveReady!: (view: Record<string, unknown>) => void;
  let rejectReady!: (closed: TunnelClosed) => void;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A caller that only awaits `closed` must not see an unhandled rejection.
  ready.catch(() => undefined);
  let resolveClosed!: (closed: TunnelClosed) => void;
  const closed = new Promise<TunnelClosed>((resolve) => (resolveClosed = resolve));

  const buffer = new SendBuffer(socket);
  const secrets = endpointSecrets(opts.endpoint);
  const sendFrame = (frame: Frame) => {
    if (!closedWith && socket.readyState === WebSocket.OPEN) socket.send(encodeFrame(frame));
  };
  const sink = {
    frame: sendFrame,
    body: (id: number, bytes: Uint8Array) => {
      if (!closedWith && socket.readyState === WebSocket.OPEN) socket.send(encodeBody(id, bytes));
    },
    writable: () => buffer.writable(),
    done: (id: number) => void exchanges.delete(id),
  };

  const close = (code: number, reason: string) => {
    if (closedWith) return;
    try {
      socket.close(code, closeReason(reason));
    } catch {
      // Already closing.
    }
    ended(code, reason);
  };

  const refuseAndClose = (code: ErrorCode, message: string, closeCode: number) => {
    refuse = { type: "refuse", code, message };
    sendFrame(refuse);
    close(closeCode, message);
  };
  const violation = (message: string) => refuseAndClose("tunnel_protocol_error", `tunnel protocol error: ${message}`, CLOSE.protocolError);

  function ended(code: number, reason: string): void {
    if (closedWith) return;
    closedWith = { code, reason, opened, ...(refuse ? { refuse } : {}) };
    clearTimeout(timer);
    buffer.close();
    for (const exchange of [...exchanges.values()]) exchange.cancel();
    exchanges.clear();
    if (!isReady) rejectReady(closedWith);
    resolveClosed(closedWith);
  }

  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const silent = performance.now() - lastHeard;
      if (silent >= silentAfter) close(CLOSE.silent, `the hub sent nothing for ${Math.round(silent / 1000)} s`);
      else watch();
    }, Math.max(50, silentAfter - (performance.now() - lastHeard)));
  };

  const onFrame = (frame: Frame) => {
    switch (frame.type) {
      case "hello-ok": {
        if (helloOk) return violation("a second hello-ok");
        const wrong = refuseHubVersion(frame.major, frame.minor, frame.gambi);
        if (wrong) return refuseAndClose("tunnel_version_unsupported", wrong, CLOSE.version);
        helloOk = true;
        window = frame.window;
        maxChunk = Math.min(MAX_CHUNK_BYTES, frame.maxFrame - 9);
        if (opts.silentAfterMs === undefined) silentAfter = 3 * frame.pingMs;
        return watch();
      }
      case "ready":
        if (!isReady) {
          isReady = true;
          resolveReady(frame.participant);
        }
        return;
      case "status":
        return opts.onStatus?.(frame);
      case "ping":
        return sendFrame({ type: "pong", seq: frame.seq });
      case "pong":
        return;
      case "refuse":
        refuse = frame;
        return;
      case "open": {
        if (!helloOk) return violation("an open before hello-ok");
        if (frame.id <= lastId) return violation(`request id ${frame.id} opened again or out of order`);
        lastId = frame.id;
        exchanges.set(frame.id, new JoinerExchange(frame, window, maxChunk, opts.endpoint, sink, secrets));
        return;
      }
      case "body":
      case "end":
      case "cancel":
      case "credit": {
        const exchange = exchanges.get(frame.id);
        if (!exchange) {
          // Finished or cancelled here already: frames still on their way are dropped.
          if (frame.id <= lastId) return;
          return violation(`a ${frame.type} frame for request ${frame.id}, which was never opened`);
        }
        if (frame.type === "body") exchange.bodyChunk(frame.bytes);
        else if (frame.type === "end") exchange.bodyEnd();
        else if (frame.type === "cancel") exchange.cancel();
        else exchange.grant(frame.bytes);
        return;
      }
      default:
        return violation(`a hub does not send ${frame.type} frames`);
    }
  };

  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => {
    opened = true;
    lastHeard = performance.now();
    watch();
    sendFrame({ type: "hello", major: TUNNEL_MAJOR, minor: TUNNEL_MINOR, gambi: VERSION });
  });
  socket.addEventListener("message", (event: MessageEvent) => {
    if (closedWith) return;
    lastHeard = performance.now();
    const data = event.data;
    if (typeof data === "string") return violation("text messages are not tunnel frames");
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as Uint8Array).buffer, (data as Uint8Array).byteOffset, (data as Uint8Array).byteLength);
    const frame = decodeFrame(bytes, MAX_FRAME_BYTES);
    if (isFrameProblem(frame)) {
      if (frame.problem === "too_large") return refuseAndClose("tunnel_protocol_error", `tunnel protocol error: ${frame.message}`, CLOSE.tooLarge);
      return violation(frame.message);
    }
    onFrame(frame);
  });
  socket.addEventListener("close", (event: CloseEvent) => ended(event.code, event.reason || (opened ? `closed with code ${event.code}` : "could not connect")));

  return {
    ready,
    closed,
    get isReady() {
      return isReady && !closedWith;
    },
    get inFlight() {
      return exchanges.size;
    },
    close,
  };
}
