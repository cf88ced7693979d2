/**
 * Everything a hub instance owns, made once in `createHub(deps)`. Clock, randomness, ids,
 * fetch and timings are injectable so tests can drive heartbeats and routing exactly.
 */
import { EventBus } from "./events/bus.ts";
import { RoomRegistry } from "./rooms/registry.ts";
import type { Fetch } from "../proxy/upstream.ts";
import { probeEndpoint } from "../proxy/probe.ts";
import {
  DEFAULT_TIMEOUTS,
  proxyConfigured,
  realTimers,
  tcpConnectCheck,
  type ConnectCheck,
  type TimeoutSettings,
  type Timers,
  type UpstreamTimeouts,
} from "../proxy/timeouts.ts";
import { DEFAULT_RESPONSE_STORE_LIMITS, ResponseStore, type ResponseStoreLimits } from "./responses/response-store.ts";
import { DEFAULT_RESPONSE_OWNER_LIMITS, ResponseOwners, type ResponseOwnerLimits } from "./responses/owners.ts";
import { log as rootLog, type Logger } from "../logger.ts";
import { memoryRoomStore, type RoomStore } from "./persist/room-store.ts";
import { HubShutdown } from "./shutdown.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { randomBytes } from "node:crypto";
import { DEFAULT_METRICS_LIMITS, HubMetrics, type MetricsLimits } from "./metrics/hub-metrics.ts";
import { Ledger } from "./ledger/ledger.ts";
import { memoryLedgerStore } from "./persist/ledger-store.ts";

export interface HubDeps {
  now?: () => number;
  random?: () => number;
  newId?: () => string;
  fetch?: Fetch;
  logger?: Logger;
  /** Participants silent this long go offline (default 30 s). */
  offlineAfterMs?: number;
  /** Offline participants are forgotten after this long (default 10 min). */
  removeAfterMs?: number;
  /** Join-time probe timeout per request (default 10 s). */
  probeTimeoutMs?: number;
  /** SSE comment heartbeat on /events (default 15 s). */
  eventsHeartbeatMs?: number;
  /** How many Responses ids the hub remembers for lifecycle routing, and for how long. */
  responseOwners?: ResponseOwnerLimits;
  /** Responses the hub keeps for participants without the Responses API, or that keep none (`previous_response_id`), per room. */
  responseStore?: ResponseStoreLimits;
  /** Upstream deadlines in ms, 0 = none (defaults: connect 10 s, first byte 300 s, idle 120 s; see proxy/timeouts.ts). */
  timeouts?: Partial<TimeoutSettings>;
  /** The timers those deadlines run on (tests count them). */
  timers?: Timers;
  /** How the connect deadline tells "not accepting" from "slow" (default: one TCP connect; false: none). */
  connectCheck?: ConnectCheck | false;
  /** Consecutive faults (unreachable, timed out, connection broken) that mark a participant unhealthy (default 3). */
  unhealthyAfter?: number;
  /** How often an unhealthy participant is probed again, by the sweeper (default 10 s). */
  reprobeEveryMs?: number;
  /** Rooms with no participant and no request for this long are removed (default 7 days; 0 = never). */
  roomTtlMs?: number;
  /** Where rooms are kept across restarts (default: nowhere; createHub opens one for a data directory). */
  roomStore?: RoomStore;
  /** Requests a room's queue holds while its participants are busy (default 256; 0: a busy room answers 429 at once). */
  queueSize?: number;
  /** How long a request may wait in that queue, ms (default 120 s; 0: until its client leaves). */
  queueTimeoutMs?: number;
  /** Participants one request may be tried on, the first included (default 3; 1: no failover). */
  maxAttempts?: number;
  /** Tunnel sockets (tunnel/): how often the hub pings (default 5 s), and after how long without a frame it gives one up (default 15 s). */
  tunnel?: Partial<TunnelSettings>;
  /**
   * `"off"`: rooms as they were before they pooled — no capacity limit, no queue, one attempt,
   * no cooldowns. For the pool bench's comparison only (bench/lib/hub-server.ts BENCH_POOL=off).
   */
  pool?: "on" | "off";
  /** /metrics label caps: rooms and participant ids with labels of their own (metrics/hub-metrics.ts). */
  metricsLimits?: Partial<MetricsLimits>;
}

export const DEFAULT_MAX_ATTEMPTS = 3;

export interface TunnelSettings {
  pingMs: number;
  silentAfterMs: number;
}

export const DEFAULT_TUNNEL: TunnelSettings = { pingMs: 5_000, silentAfterMs: 15_000 };

export const DEFAULT_ROOM_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface HubContext {
  now: () => number;
  random: () => number;
  newId: () => string;
  /**
   * Each inference request's id (`x-gambi-request-id`, the room's events): `req_` and 16 hex
   * digits, random per hub start in its first half and counted in its second, so ids stay unique
   * across restarts without a UUID (and a regex over it) on every request.
   */
  requestId: () => string;
  fetch?: Fetch;
  log: Logger;
  bus: EventBus;
  registry: RoomRegistry;
  /** The registry's store: createHub's caller closes it when the hub stops. */
  roomStore: RoomStore;
  /** Who holds each Responses id a participant stores itself (responses/owners.ts). */
  responseOwners: ResponseOwners;
  /** The Responses turns the hub keeps (responses/response-store.ts): participants without the Responses API, or that keep none. */
  responseStore: ResponseStore;
  probeTimeoutMs: number;
  eventsHeartbeatMs: number;
  /** Deadlines for every inference request (proxy/timeouts.ts). */
  timeouts: UpstreamTimeouts;
  /** Draining and cutoff signals of a graceful stop (shutdown.ts). */
  shutdown: HubShutdown;
  startedAt: number;
  /** Participants one request may be tried on (1 with the pool off: no failover). */
  maxAttempts: number;
  /** The bench's "before pooling" switch: no cooldowns are learnt, no participant is marked unhealthy for a 401. */
  poolOff: boolean;
  /** Seeds the fairness hash of a caller's bearer token (access/caller.ts): random per hub, never kept anywhere. */
  callerSeed: number;
  /** Pings and liveness of tunnel sockets (tunnel/socket.ts). */
  tunnel: TunnelSettings;
  /** The counters and histograms of /metrics (metrics/). */
  metrics: HubMetrics;
  /** The rooms' usage ledgers (ledger/), kept in the room store's database. */
  ledger: Ledger;
}

export function createContext(deps: HubDeps = {}): HubContext {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const newId = deps.newId ?? (() => crypto.randomUUID());
  const requestIds = { prefix: `req_${randomBytes(4).toString("hex")}`, next: 0 };
  const requestId = () => `${requestIds.prefix}${((requestIds.next = (requestIds.next + 1) >>> 0) + 0x100000000).toString(16).slice(1)}`;
  const bus = new EventBus(now);
  const probeTimeoutMs = deps.probeTimeoutMs ?? 10_000;
  const connectCheck = deps.connectCheck === false ? undefined : (deps.connectCheck ?? (proxyConfigured() ? undefined : tcpConnectCheck));
  const log = (deps.logger ?? rootLog).withTag("hub");
  const roomStore = deps.roomStore ?? memoryRoomStore();
  const responseStore = new ResponseStore(deps.responseStore ?? DEFAULT_RESPONSE_STORE_LIMITS, now);
  const timers = deps.timers ?? realTimers;
  const poolOff = deps.pool === "off";
  const shutdown = new HubShutdown();
  const metrics = new HubMetrics({ ...DEFAULT_METRICS_LIMITS, ...deps.metricsLimits });
  const ledger = new Ledger(roomStore.ledger ?? memoryLedgerStore(), log);
  const registry = new RoomRegistry({
    now,
    random,
    newId,
    bus,
    offlineAfterMs: deps.offlineAfterMs ?? 30_000,
    removeAfterMs: deps.removeAfterMs ?? 10 * 60_000,
    unhealthyAfter: deps.unhealthyAfter ?? 3,
    reprobeEveryMs: deps.reprobeEveryMs ?? 10_000,
    // The join probe again: any route answering means the endpoint is back.
    reprobe: (p) => probeEndpoint(p.target, { timeoutMs: probeTimeoutMs, fetch: deps.fetch }).then(() => true, () => false),
    log,
    store: roomStore,
    roomTtlMs: deps.roomTtlMs ?? DEFAULT_ROOM_TTL_MS,
    onRoomRemoved: (room) => {
      responseStore.forgetRoom(room.code);
      ledger.forget(room);
    },
    onCooldown: (room, participantId) => metrics.cooledDown(room.code, participantId),
    pool: { timers, queueSize: deps.queueSize, queueTimeoutMs: deps.queueTimeoutMs, off: poolOff },
  });
  // A draining hub serves no one who is still waiting for a slot (requests in flight get their grace).
  shutdown.draining.addEventListener("abort", () => registry.closeQueues(new GambiError(503, "the hub is shutting down; try again in a moment", { code: "hub_shutting_down" })), {
    once: true,
  });
  return {
    now,
    random,
    newId,
    requestId,
    fetch: deps.fetch,
    log,
    bus,
    registry,
    roomStore,
    responseOwners: new ResponseOwners(deps.responseOwners ?? DEFAULT_RESPONSE_OWNER_LIMITS, now),
    responseStore,
    probeTimeoutMs,
    eventsHeartbeatMs: deps.eventsHeartbeatMs ?? 15_000,
    timeouts: {
      connectMs: deps.timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs,
      firstByteMs: deps.timeouts?.firstByteMs ?? DEFAULT_TIMEOUTS.firstByteMs,
      idleMs: deps.timeouts?.idleMs ?? DEFAULT_TIMEOUTS.idleMs,
      timers,
      connectCheck,
    },
    shutdown,
    startedAt: now(),
    maxAttempts: poolOff ? 1 : Math.max(1, deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    poolOff,
    callerSeed: randomBytes(6).readUIntBE(0, 6),
    tunnel: { ...DEFAULT_TUNNEL, ...deps.tunnel },
    metrics,
    ledger,
  };
}
