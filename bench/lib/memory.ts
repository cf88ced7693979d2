/**
 * Memory phases: thousands of streaming Responses requests through the hub, with the hub's heap
 * (after a full GC) and RSS read over IPC between batches. Each phase fills one bounded
 * structure of the hub, so memory may grow until it is full and must stay flat after: a first
 * "settle" batch fills it, growth is measured from there.
 *
 * - id map: Responses requests to the participant that speaks both protocols; the hub
 *   remembers each response id (which participant made it) in a bounded map;
 * - adapted store: Responses requests with `store: true` to a chat-only participant; the hub
 *   keeps each response (input, output, status) itself, at most `maxPerRoom` per room.
 */
import type { Child, Usage } from "./children.ts";
import type { Config } from "./config.ts";
import { runCount, streamOnce, type Target } from "./load.ts";
import { adaptedClientEvents, adaptedTarget, responsesBody, targetUrl, type Endpoints } from "./scenarios.ts";

export interface Checkpoint {
  requests: number;
  heapUsed: number;
  rss: number;
  /** Entries in the structure the phase fills (id-map entries, or stored responses). */
  entries: number;
}

export interface MemoryResult {
  /** What fills up: "id map" or "store". */
  structure: string;
  /** Its cap in the bench (lowered from the default so the phase reaches it). */
  cap: number;
  defaultCap: number;
  eventsPerResponse: number;
  /** Before the settle batch, after it, then after each measured batch. */
  checkpoints: Checkpoint[];
  measuredRequests: number;
  /** Heap after the last batch minus heap after the settle batch. */
  heapGrowth: number;
  /** Least-squares slope of heap over requests from the settle checkpoint on: less noisy than two points. */
  heapGrowthPerRequest: number;
  rssGrowth: number;
  /** Heap cost of one entry, and of a full structure at the default cap (NaN, null in JSON, when the heap does not stay flat). */
  entryBytes: number;
  atDefaultCap: number;
  seconds: number;
}

export const DEFAULT_OWNERS_CAP = 50_000;
export const DEFAULT_STORE_CAP = 1_000;
/**
 * Well under what any per-request leak would cost (one id-map entry alone is ~330 B, a
 * stream's state several KiB), well over the GC noise of a few hundred KiB spread over
 * thousands of requests.
 */
export const LEAK_THRESHOLD_BYTES_PER_REQUEST = 100;

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export type HubChild = Child<{ url: string; ownersMax: number; storeMax: number }>;

interface Phase {
  structure: string;
  cap: number;
  defaultCap: number;
  /** The IPC command that answers the structure's size. */
  sizeCommand: string;
  target: Target;
  /** Events the client must receive per response. */
  clientEvents: number;
  batches: number;
  batchSize: number;
  concurrency: number;
  eventsPerResponse: number;
  /** Heap bytes of one entry, when measured apart; else estimated from the settle batch. */
  entryBytes?: () => Promise<number>;
  /**
   * Count entries from the phase's start: the size command counts every room, and others may
   * already hold entries (constant during the phase: no other traffic, no sweeper).
   */
  relative?: boolean;
}

async function runPhase(hub: HubChild, p: Phase, log: (s: string) => void): Promise<MemoryResult> {
  const t0 = performance.now();
  const once = async () => {
    const s = await streamOnce(p.target);
    if (s.events !== p.clientEvents) throw new Error(`memory phase (${p.structure}): expected ${p.clientEvents} events, got ${s.events}`);
    return s;
  };
  let requests = 0;
  const base = p.relative ? await hub.call<number>(p.sizeCommand) : 0;
  const checkpoint = async (): Promise<Checkpoint> => {
    const u = await hub.call<Usage>("usage", true);
    const entries = (await hub.call<number>(p.sizeCommand)) - base;
    return { requests, heapUsed: u.heapUsed, rss: u.rss, entries };
  };
  const batch = async (n: number) => {
    await runCount(p.concurrency, n, once);
    requests += n;
  };

  const checkpoints = [await checkpoint()];
  await batch(Math.max(p.batchSize, Math.ceil(p.cap * 1.2)));
  checkpoints.push(await checkpoint());
  for (let b = 0; b < p.batches; b++) {
    await batch(p.batchSize);
    checkpoints.push(await checkpoint());
    log(`  ${p.structure} batch ${b + 1}/${p.batches}: ${requests} requests, heap ${(checkpoints.at(-1)!.heapUsed / 1048576).toFixed(2)} MiB`);
  }
  const [before, settled] = [checkpoints[0]!, checkpoints[1]!];
  const last = checkpoints.at(-1)!;
  const measuredRequests = last.requests - settled.requests;
  const heapGrowthPerRequest = slope(checkpoints.slice(1).map((c) => ({ x: c.requests, y: c.heapUsed })));
  // Estimated: what the settle batch added to the heap, over the entries it added; meaningless
  // (NaN) when the heap keeps growing once the structure is full, as a leak inflates it.
  const entryBytes = p.entryBytes
    ? await p.entryBytes()
    : heapGrowthPerRequest > LEAK_THRESHOLD_BYTES_PER_REQUEST
      ? NaN
      : (settled.heapUsed - before.heapUsed) / Math.max(1, settled.entries - before.entries);
  return {
    structure: p.structure,
    cap: p.cap,
    defaultCap: p.defaultCap,
    eventsPerResponse: p.eventsPerResponse,
    checkpoints,
    measuredRequests,
    heapGrowth: last.heapUsed - settled.heapUsed,
    heapGrowthPerRequest,
    rssGrowth: last.rss - settled.rss,
    entryBytes,
    atDefaultCap: entryBytes * p.defaultCap,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The id map: Responses streams to the participant that speaks both protocols. */
export function measureMemory(hub: HubChild, e: Endpoints, c: Config, log: (s: string) => void): Promise<MemoryResult> {
  const m = c.memory;
  return runPhase(
    hub,
    {
      structure: "id map",
      cap: m.ownersMax,
      defaultCap: DEFAULT_OWNERS_CAP,
      sizeCommand: "owners",
      target: { url: targetUrl(e, "hub", "/responses"), body: responsesBody(true, "event", m.events) },
      clientEvents: m.events,
      batches: m.batches,
      batchSize: m.batchSize,
      concurrency: m.concurrency,
      eventsPerResponse: m.events,
      entryBytes: () => hub.call<number>("ownerEntryBytes"),
    },
    log,
  );
}

/**
 * The store: adapted Responses streams with `store: true` to a chat-only participant in a room
 * of its own (its store starts empty), the participant's path setting the stream's length.
 */
export function measureAdaptedMemory(hub: HubChild, e: Endpoints, c: Config, log: (s: string) => void): Promise<MemoryResult> {
  const m = c.adaptedMemory;
  return runPhase(
    hub,
    {
      structure: "store",
      cap: m.storeMax,
      defaultCap: DEFAULT_STORE_CAP,
      sizeCommand: "stored",
      target: adaptedTarget(e, "responses_via_chat", "chatOnlyMemory", "adapted", true, true),
      clientEvents: adaptedClientEvents("responses_via_chat", m.events),
      batches: m.batches,
      batchSize: m.batchSize,
      concurrency: m.concurrency,
      eventsPerResponse: m.events,
      relative: true,
    },
    log,
  );
}
