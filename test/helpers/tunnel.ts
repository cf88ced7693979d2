/**
 * Tunnelled participants in tests: a joiner session as `gambi join --tunnel` runs it (with the
 * WebSockets it opens kept, so a test can close one), and a raw socket that speaks frames by
 * hand, for what a real joiner never sends.
 */
import { createConsola } from "consola";
import { createHubClient, type HubClient } from "../../src/client.ts";
import { openSession } from "../../src/join/session.ts";
import { decodeFrame, encodeFrame, isFrameProblem } from "../../src/protocol/tunnel/codec.ts";
import type { Frame } from "../../src/protocol/tunnel/frames.ts";
import { waitFor } from "./fake-upstream.ts";

export interface TunnelJoiner {
  client: HubClient;
  session: ReturnType<typeof openSession>;
  /** Every socket the joiner opened, in order; the last is the current one. */
  sockets: WebSocket[];
  /** The participant id and token each socket was opened with (for a test that opens another as the same participant). */
  opened: { id: string; token: string }[];
  /** Everything the joiner logged. */
  lines: string[];
  joined: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function joinThroughTunnel(
  hubUrl: string,
  code: string,
  opts: { endpoint: string; models?: string[]; authHeaders?: Record<string, string>; nickname?: string; maxConcurrency?: number; firstRetryMs?: number; ca?: string },
): Promise<TunnelJoiner> {
  const client = createHubClient(hubUrl, opts.ca ? { ca: opts.ca } : {});
  const sockets: WebSocket[] = [];
  const opened: { id: string; token: string }[] = [];
  const open = client.openTunnel;
  client.openTunnel = (...args) => {
    const ws = open(...args);
    sockets.push(ws);
    opened.push({ id: args[1], token: args[2] });
    return ws;
  };
  const lines: string[] = [];
  const log = createConsola({ level: 5, reporters: [{ log: (o) => lines.push(`${o.type} ${o.args.join(" ")}`) }] });
  const session = openSession({
    client,
    log,
    firstRetryMs: opts.firstRetryMs ?? 100,
    settings: {
      code,
      endpoint: opts.endpoint,
      models: opts.models ?? ["test-model"],
      nickname: opts.nickname ?? "tunneller",
      authHeaders: opts.authHeaders ?? {},
      maxConcurrency: opts.maxConcurrency,
      tunnel: true,
    },
  });
  const joined = await session.start();
  return { client, session, sockets, opened, lines, joined, stop: () => session.stop() };
}

export interface RawTunnel {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: Frame): void;
  sendBytes(bytes: Uint8Array | string): void;
  /** The first frame of this type (waits up to `ms`). */
  next(type: Frame["type"], ms?: number): Promise<Frame>;
}

/** A WebSocket to `/rooms/:code/tunnel` with whatever headers the test gives; frames decoded as they come. */
export function rawTunnel(hubUrl: string, code: string, headers: Record<string, string>): RawTunnel {
  const ws = new WebSocket(`${hubUrl.replace(/^http/, "ws")}/rooms/${code}/tunnel`, { headers } as Bun.WebSocketOptions);
  ws.binaryType = "arraybuffer";
  const frames: Frame[] = [];
  ws.addEventListener("message", (e: MessageEvent) => {
    const f = decodeFrame(new Uint8Array(e.data as ArrayBuffer));
    if (!isFrameProblem(f)) frames.push(f);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e: CloseEvent) => resolve({ code: e.code, reason: e.reason })));
  const opened = new Promise<void>((resolve) => ws.addEventListener("open", () => resolve()));
  return {
    ws,
    frames,
    closed,
    send: (f) => void opened.then(() => ws.send(encodeFrame(f))),
    sendBytes: (b) => void opened.then(() => ws.send(b)),
    async next(type, ms = 3000) {
      await waitFor(() => frames.some((f) => f.type === type), ms);
      const f = frames.find((x) => x.type === type);
      if (!f) throw new Error(`no ${type} frame within ${ms} ms; got ${frames.map((x) => x.type).join(", ") || "nothing"}`);
      return f;
    },
  };
}

/** The headers a joiner opens its tunnel with. */
export const tunnelHeaders = (id: string, token: string) => ({ authorization: `Bearer ${token}`, "x-gambi-participant": id });
