/**
 * `createHub(deps)` builds the Elysia app and everything it owns (no module state);
 * `startHub(opts)` is the only place that listens on a socket. Rooms live in memory only
 * unless `deps.dataDir` names a data directory (persist/): tests stay hermetic by default,
 * `gambi hub` passes one.
 */
import { Elysia } from "elysia";
import { createContext, type HubContext, type HubDeps as ContextDeps } from "./context.ts";
import { toErrorResponse } from "./errors.ts";
import { AccessGate } from "./access/gate.ts";
import type { AccessLimits } from "./access/limiter.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { eventRoutes } from "./events/routes.ts";
import { inferenceRoutes, messagesRoutes } from "./inference/routes.ts";
import { anthropicShaped, isMessagesPath } from "./inference/anthropic-errors.ts";
import { inferenceLane } from "./inference/lane.ts";
import { responseRoutes } from "./responses/routes.ts";
import { metricsRoutes } from "./metrics/routes.ts";
import { usageRoutes } from "./ledger/routes.ts";
import { VERSION } from "../version.ts";
import { createBodyParser, type BodyParser } from "./body.ts";
import { openRoomDatabase } from "./persist/sqlite.ts";
import { shuttingDown } from "./shutdown.ts";
import { tunnelSockets, type TunnelSockets } from "./tunnel/socket.ts";
import { CLOSE } from "../protocol/tunnel/close.ts";
import { webRoutes } from "./web.ts";

/** The largest request body the hub reads (a chat with a few images fits easily). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** What the context takes (clock, ids, timings, ...) plus who may use the hub. */
export interface HubDeps extends ContextDeps {
  /** When set, creating and listing rooms require `Authorization: Bearer <token>`. */
  token?: string;
  /** When set, `GET /metrics` takes this token too (scrapers need not hold the hub token); see access/gate.ts. */
  metricsToken?: string;
  /** Wrong-password limits and the verified-password cache (access/limiter.ts has the defaults). */
  access?: Partial<AccessLimits>;
  /** Request bodies over this many bytes are a 413 (default 32 MiB). */
  maxRequestBodySize?: number;
  /**
   * How long a request body may take (body.ts): a chunked body's longest silence (then a 408
   * and the connection closed), a declared body's first window before it must come at 16 KiB/s
   * (then Bun closes the connection). Default 30 s.
   */
  bodyWindowMs?: number;
  /** Keep rooms in `DIR/gambi.db` across restarts (persist/sqlite.ts); absent: in memory only. */
  dataDir?: string;
}

export interface Hub {
  app: ReturnType<typeof buildApp>;
  ctx: HubContext;
  access: AccessGate;
  /** One pass of the heartbeat sweeper (also run on a timer by startHub). */
  sweep(): void;
  /** Writes the usage ledger's changes to the room store (startHub: every second). */
  flushLedger(): void;
  /** Releases what the hub holds open (the room database), the ledger written first. */
  close(): void;
  /** Tunnel sockets: their route is in the app's Bun routes, these handlers go to Bun.serve. */
  tunnels: TunnelSockets;
}

function buildApp(ctx: HubContext, access: AccessGate, body: BodyParser, tunnels: TunnelSockets) {
  // The inference routes are Bun routes of their own (inference/lane.ts says why), and so is
  // the tunnel's upgrade (tunnel/socket.ts); Elysia hands them to Bun.serve with its own routes
  // when the hub listens. So are the web UI's pages (web.ts).
  const lane = inferenceLane(ctx, access, body);
  // normalize: false — a typo in a config key is an error, not silently dropped.
  return new Elysia({ normalize: false, serve: { routes: { ...webRoutes, ...lane.routes, ...tunnels.routes } } as Record<string, unknown> })
    // Anthropic's routes answer errors in Anthropic's shape (inference/anthropic-errors.ts).
    .onError(({ code, error, request }) => {
      const res = toErrorResponse(code, error, request, ctx.log);
      return isMessagesPath(request) ? anthropicShaped(res) : res;
    })
    // Draining (shutdown.ts): the listener is closed, but a request can still arrive on a busy connection.
    .onRequest(({ request }) => (ctx.shutdown.draining.aborted ? shuttingDown() : body.checkLength(request)))
    .onParse({ as: "global" }, (context, contentType) => body.parse(context.request, contentType ?? context.contentType, context.server))
    .get("/health", () => ({
      status: "ok",
      version: VERSION,
      uptime: Math.round((ctx.now() - ctx.startedAt) / 1000),
      rooms: ctx.registry.size,
    }))
    .use(roomRoutes(ctx, access))
    .use(eventRoutes(ctx, access))
    .use(inferenceRoutes(ctx, access, lane))
    .use(messagesRoutes(lane))
    .use(responseRoutes(ctx, access))
    .use(usageRoutes(ctx, access))
    .use(metricsRoutes(ctx, access));
}

/** Throws a PersistError (naming the file) when the data directory cannot be used. */
export function createHub(deps: HubDeps = {}): Hub {
  const { token, metricsToken, access: limits, maxRequestBodySize, bodyWindowMs, dataDir, ...contextDeps } = deps;
  const roomStore = contextDeps.roomStore ?? (dataDir !== undefined ? openRoomDatabase(dataDir) : undefined);
  let ctx: HubContext;
  try {
    ctx = createContext({ ...contextDeps, roomStore });
  } catch (err) {
    roomStore?.close();
    throw err;
  }
  const access = new AccessGate({
    now: ctx.now,
    token: token || undefined,
    metricsToken: metricsToken || undefined,
    limits,
    onBlock: (who, ms) => ctx.log.warn(`too many wrong passwords or tokens from ${who}: answering 429 for ${Math.round(ms / 1000)} s`),
  });
  const tunnels = tunnelSockets(ctx, access);
  const app = buildApp(ctx, access, createBodyParser(maxRequestBodySize ?? DEFAULT_MAX_BODY_BYTES, bodyWindowMs), tunnels);
  return {
    app,
    ctx,
    access,
    tunnels,
    sweep: () => {
      ctx.registry.sweep();
      ctx.responseOwners.prune();
      ctx.responseStore.prune();
      access.prune();
    },
    flushLedger: () => {
      ctx.metrics.settle();
      ctx.ledger.flush();
    },
    close: () => {
      ctx.ledger.flush();
      ctx.registry.saveActivity();
      ctx.roomStore.close();
    },
  };
}

export interface StartOptions {
  port?: number;
  host?: string;
  deps?: HubDeps;
  /** Hub token for creating and listing rooms (same as `deps.token`; this one wins). */
  token?: string;
  /** How often the sweeper runs (ms); 0 disables the timer (tests call hub.sweep()). */
  sweepIntervalMs?: number;
  maxRequestBodySize?: number;
  /** Serve HTTPS with this certificate chain and private key (PEM contents, not paths). */
  tls?: { cert: string; key: string };
  /** How often the usage ledger is written to the database (default 1 s). */
  ledgerFlushMs?: number;
}

export interface RunningHub {
  hub: Hub;
  url: string;
  port: number;
  /** Stops at once: connections still open are closed mid-answer. */
  stop(): Promise<void>;
  /**
   * Stops gracefully (shutdown.ts): no new connections, requests in flight get `graceMs` to
   * finish, then the ones still running end with their protocol's error event (given
   * `FLUSH_MS` to reach the client) and whatever is left is closed. Resolves with how many
   * requests the grace period cut off.
   */
  shutdown(graceMs: number): Promise<{ cut: number }>;
}

/** After the grace period: time for the error events to reach their clients before the sockets close. */
const FLUSH_MS = 2_000;

/** Whether `done` settled within `ms`. */
async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the server's HTTP requests (WebSockets aside) all ended within `ms`. */
async function noRequestsLeft(server: { pendingRequests: number }, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (server.pendingRequests > 0) {
    if (performance.now() >= deadline) return false;
    await Bun.sleep(Math.min(20, Math.max(1, deadline - performance.now())));
  }
  return true;
}

export function startHub(opts: StartOptions = {}): RunningHub {
  const maxBody = opts.maxRequestBodySize ?? opts.deps?.maxRequestBodySize ?? DEFAULT_MAX_BODY_BYTES;
  const hub = createHub({ ...opts.deps, token: opts.token ?? opts.deps?.token, maxRequestBodySize: maxBody });
  try {
    hub.app.listen({
      port: opts.port ?? 3000,
      hostname: opts.host ?? "0.0.0.0",
      // Streams may be silent for minutes while a local model loads; Bun's default 10 s would cut them.
      idleTimeout: 0,
      // The web UI (web.ts): Bun's development mode would serve it unminified with a hot-reload client.
      development: false,
      // Bun's own cap answers a declared length over it with an empty 413 before any route
      // runs; the hub reads every body itself within its own limit (body.ts) and answers 413 in
      // the route's error shape, so Bun's is set out of the way.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      ...(opts.tls ? { tls: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
      // The hub's only WebSockets are tunnels: these handlers replace Elysia's (it has no .ws() route).
      websocket: hub.tunnels.websocket,
    } as Parameters<typeof hub.app.listen>[0]);
  } catch (err) {
    hub.close();
    throw err;
  }
  const server = hub.app.server!;
  const interval = opts.sweepIntervalMs ?? 5_000;
  const timer = interval > 0 ? setInterval(() => hub.sweep(), interval) : undefined;
  // The ledger is written in batches, off the requests' path (ledger/ledger.ts); /metrics and the
  // ledger fold the attempts that ended since (inference/attempt-end.ts).
  const flushTimer = setInterval(() => hub.flushLedger(), opts.ledgerFlushMs ?? 1_000);
  const host = opts.host && opts.host !== "0.0.0.0" && opts.host !== "::" ? opts.host : "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let stopped = false;
  const stop = async () => {
    if (timer) clearInterval(timer);
    clearInterval(flushTimer);
    if (stopped) return;
    stopped = true;
    hub.ctx.registry.closeTunnels(CLOSE.goingAway, "the hub is shutting down");
    await hub.app.stop(true);
    hub.close();
  };
  return {
    hub,
    port: server.port!,
    url: `${opts.tls ? "https" : "http"}://${urlHost}:${server.port}`,
    stop,
    async shutdown(graceMs) {
      if (timer) clearInterval(timer);
      hub.ctx.shutdown.drain();
      // Bun: refuses new connections, closes idle keep-alive ones, resolves when no request and
      // no WebSocket is left. Tunnels carry requests in flight, so they stay until the requests
      // are done (or cut), then close (1001): their joiners reconnect to the next hub.
      const idle = server.stop(false);
      let cut = 0;
      if (!(await noRequestsLeft(server, graceMs))) {
        cut = server.pendingRequests;
        hub.ctx.shutdown.cut();
        await noRequestsLeft(server, FLUSH_MS);
      }
      hub.ctx.registry.closeTunnels(CLOSE.goingAway, "the hub is shutting down");
      await within(idle, FLUSH_MS);
      await stop();
      return { cut };
    },
  };
}
