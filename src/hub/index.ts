/**
 * `createHub(deps)` builds the Elysia app and everything it owns (no module state);
 * `startHub(opts)` is the only place that listens on a socket.
 */
import { Elysia } from "elysia";
import { createContext, type HubContext, type HubDeps } from "./context.ts";
import { toErrorResponse } from "./errors.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { eventRoutes } from "./events/routes.ts";
import { inferenceRoutes } from "./inference/routes.ts";
import { VERSION } from "../version.ts";

export type { HubDeps } from "./context.ts";

export interface Hub {
  app: ReturnType<typeof buildApp>;
  ctx: HubContext;
  /** One pass of the heartbeat sweeper (also run on a timer by startHub). */
  sweep(): void;
}

function buildApp(ctx: HubContext) {
  // normalize: false — a typo in a config key is an error, not silently dropped.
  return new Elysia({ normalize: false })
    .onError(({ code, error, request }) => toErrorResponse(code, error, request, ctx.log))
    .get("/health", () => ({
      status: "ok",
      version: VERSION,
      uptime: Math.round((ctx.now() - ctx.startedAt) / 1000),
      rooms: ctx.registry.size,
    }))
    .use(roomRoutes(ctx))
    .use(eventRoutes(ctx))
    .use(inferenceRoutes(ctx));
}

export function createHub(deps: HubDeps = {}): Hub {
  const ctx = createContext(deps);
  const app = buildApp(ctx);
  return {
    app,
    ctx,
    sweep: () => {
      ctx.registry.sweep();
      ctx.owners.prune();
      ctx.store.prune();
    },
  };
}

export interface StartOptions {
  port?: number;
  host?: string;
  deps?: HubDeps;
  /** How often the sweeper runs (ms); 0 disables the timer (tests call hub.sweep()). */
  sweepIntervalMs?: number;
  maxRequestBodySize?: number;
}

export interface RunningHub {
  hub: Hub;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function startHub(opts: StartOptions = {}): RunningHub {
  const hub = createHub(opts.deps);
  hub.app.listen({
    port: opts.port ?? 3000,
    hostname: opts.host ?? "0.0.0.0",
    // Streams may be silent for minutes while a local model loads; Bun's default 10 s would cut them.
    idleTimeout: 0,
    maxRequestBodySize: opts.maxRequestBodySize ?? 32 * 1024 * 1024,
  });
  const server = hub.app.server!;
  const interval = opts.sweepIntervalMs ?? 5_000;
  const timer = interval > 0 ? setInterval(() => hub.sweep(), interval) : undefined;
  const host = opts.host && opts.host !== "0.0.0.0" && opts.host !== "::" ? opts.host : "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    hub,
    port: server.port!,
    url: `http://${urlHost}:${server.port}`,
    async stop() {
      if (timer) clearInterval(timer);
      await hub.app.stop(true);
    },
  };
}
