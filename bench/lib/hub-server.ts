/**
 * Child process: the hub under test, started exactly as `gambi hub` would start it
 * (`startHub`), on 127.0.0.1:0 with the sweeper off so no timer fires mid-measurement.
 *
 * BENCH_OWNERS_MAX lowers the cap of the hub's Responses-id map (default 50,000) so the memory
 * phase can fill it and then show that memory stops growing once it is full. BENCH_STORE_MAX
 * does the same for the responses the hub keeps for chat-only participants (default 1,000 per
 * room), for the adapted memory phase. BENCH_SWEEP_MS turns the heartbeat sweeper on at that
 * interval (default 0, off; `gambi hub` runs it every 5 s): scale.ts measures with it running.
 *
 * Rooms pool their participants (src/hub/pool/). BENCH_POOL=off runs the hub as it was before
 * they did — no capacity limit, no queue, one attempt per request, no cooldowns (HubDeps
 * `pool: "off"`) — for the pool bench's comparison; it is no `gambi hub` flag.
 */
import { createConsola } from "consola";
import { startHub } from "../../src/hub/index.ts";
import { ResponseOwners } from "../../src/hub/responses/owners.ts";
import { processUsage, serveParent } from "./children.ts";

const ownersMax = Number(process.env.BENCH_OWNERS_MAX ?? 50_000);
const storeMax = Number(process.env.BENCH_STORE_MAX ?? 1_000);
const sweepIntervalMs = Number(process.env.BENCH_SWEEP_MS ?? 0);
const pool = process.env.BENCH_POOL === "off" ? "off" : "on";
const SIX_HOURS = 6 * 60 * 60 * 1000;
// Warnings and errors only: per-request logging would be part of the measurement otherwise.
const logger = createConsola({ level: 1 });

const running = startHub({
  port: 0,
  host: "127.0.0.1",
  sweepIntervalMs,
  deps: { logger, responseOwners: { max: ownersMax, ttlMs: SIX_HOURS }, responseStore: { maxPerRoom: storeMax, ttlMs: SIX_HOURS }, pool },
});

/**
 * Heap bytes one entry of the Responses-id map costs, measured on a separate ResponseOwners
 * (the hub's class) with ids shaped like the hub's (a 55-character OpenAI-style id in room
 * AB12CD), so the cost at the default cap can be stated without sending 50,000 requests.
 */
function ownerEntryBytes(count = 20_000): number {
  const owners = new ResponseOwners({ max: count, ttlMs: 60_000 });
  const before = processUsage(true).heapUsed;
  for (let i = 0; i < count; i++) {
    const id = `resp_${i.toString(16).padStart(8, "0")}${"0f80f320b6d3bc2b016a3c121983f08192898904ff9"}`;
    owners.set("AB12CD", id, "bench-participant");
  }
  const after = processUsage(true).heapUsed;
  if (owners.size !== count) throw new Error("map did not keep every entry");
  return (after - before) / count;
}

serveParent({ url: running.url, ownersMax, storeMax, pool }, {
  usage: (arg) => processUsage(arg === true),
  owners: () => running.hub.ctx.responseOwners.size,
  /** Responses the hub keeps, over all rooms. */
  stored: () => running.hub.ctx.responseStore.size,
  ownerEntryBytes: () => ownerEntryBytes(),
  /** Rooms and participants registered, and how many participants are online and healthy. */
  registry: () => {
    let participants = 0;
    let online = 0;
    let healthy = 0;
    const rooms = running.hub.ctx.registry.list();
    for (const room of rooms) {
      for (const p of room.participants.values()) {
        participants++;
        if (p.status === "online") online++;
        if (p.health === "healthy") healthy++;
      }
    }
    return { rooms: rooms.length, participants, online, healthy };
  },
  /** Each tunnelled participant's socket now: requests open on it, answer bytes held for their readers. */
  tunnels: () => {
    const out: { id: string; inFlight: number; buffered: number }[] = [];
    for (const room of running.hub.ctx.registry.list()) {
      for (const p of room.participants.values()) {
        const s = p.tunnel?.link.session;
        if (s) out.push({ id: p.id, inFlight: s.inFlight, buffered: s.buffered });
      }
    }
    return out;
  },
});
