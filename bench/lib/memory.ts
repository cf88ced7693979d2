/**
 * Memory phase: thousands of streaming Responses requests through the hub, with the hub's heap
 * (after a full GC) and RSS read over IPC between batches. The hub remembers each response id
 * in a bounded map, so memory may grow until that map is full and must stay flat after: a first
 * "settle" batch fills the map, growth is measured from there.
 */
import type { Child, Usage } from "./children.ts";
import type { Config } from "./config.ts";
import { runCount, streamOnce } from "./load.ts";
import { responsesBody, targetUrl, type Endpoints } from "./scenarios.ts";

export interface Checkpoint {
  requests: number;
  heapUsed: number;
  rss: number;
  owners: number;
}

export interface MemoryResult {
  ownersMax: number;
  eventsPerResponse: number;
  /** Before the settle batch, after it, then after each measured batch. */
  checkpoints: Checkpoint[];
  measuredRequests: number;
  /** Heap after the last batch minus heap after the settle batch. */
  heapGrowth: number;
  /** Least-squares slope of heap over requests from the settle checkpoint on: less noisy than two points. */
  heapGrowthPerRequest: number;
  rssGrowth: number;
  /** Heap cost of one id-map entry, and of a full map at the default cap. */
  ownerEntryBytes: number;
  ownersAtDefaultCap: number;
  seconds: number;
}

export const DEFAULT_OWNERS_CAP = 50_000;
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

export type HubChild = Child<{ url: string; ownersMax: number }>;

export async function measureMemory(hub: HubChild, e: Endpoints, c: Config, log: (s: string) => void): Promise<MemoryResult> {
  const m = c.memory;
  const t0 = performance.now();
  const target = { url: targetUrl(e, "hub", "/responses"), body: responsesBody(true, "event", m.events) };
  const once = async () => {
    const s = await streamOnce(target);
    if (s.events !== m.events) throw new Error(`memory phase: expected ${m.events} events, got ${s.events}`);
    return s;
  };
  let requests = 0;
  const checkpoint = async (): Promise<Checkpoint> => {
    const u = await hub.call<Usage>("usage", true);
    const owners = await hub.call<number>("owners");
    return { requests, heapUsed: u.heapUsed, rss: u.rss, owners };
  };
  const batch = async (n: number) => {
    await runCount(m.concurrency, n, once);
    requests += n;
  };

  const checkpoints = [await checkpoint()];
  await batch(Math.max(m.batchSize, Math.ceil(m.ownersMax * 1.2)));
  checkpoints.push(await checkpoint());
  for (let b = 0; b < m.batches; b++) {
    await batch(m.batchSize);
    checkpoints.push(await checkpoint());
    log(`  memory batch ${b + 1}/${m.batches}: ${requests} requests, heap ${(checkpoints.at(-1)!.heapUsed / 1048576).toFixed(2)} MiB`);
  }
  const settled = checkpoints[1]!;
  const last = checkpoints.at(-1)!;
  const measuredRequests = last.requests - settled.requests;
  const ownerEntryBytes = await hub.call<number>("ownerEntryBytes");
  return {
    ownersMax: m.ownersMax,
    eventsPerResponse: m.events,
    checkpoints,
    measuredRequests,
    heapGrowth: last.heapUsed - settled.heapUsed,
    heapGrowthPerRequest: slope(checkpoints.slice(1).map((c) => ({ x: c.requests, y: c.heapUsed }))),
    rssGrowth: last.rss - settled.rss,
    ownerEntryBytes,
    ownersAtDefaultCap: ownerEntryBytes * DEFAULT_OWNERS_CAP,
    seconds: (performance.now() - t0) / 1000,
  };
}
