/**
 * Scale benchmark: a hub with 1,000 rooms × 5 participants registered (each joined through the
 * public API, so each join is a real probe of its own URL), heartbeats flowing at the real
 * 10 s interval, against a hub with one room of 5. Reports what registration costs (time,
 * heap and RSS per room and per participant), what heartbeats cost the hub, and the routing
 * latency of a non-stream request through each hub, in interleaved rounds.
 *
 *   bun bench/scale.ts [--quick] [--rooms N] [--per-room N] [--seconds S] [--heartbeat-ms MS]
 *                      [--upstreams N] [--no-pin] [--json FILE]
 *
 * Processes (see README.md "What runs where"): this one (load generator and heartbeat
 * sender) and the fake upstreams on CPU 0; the two hubs (lib/hub-server.ts, sweeper on as in
 * `gambi hub`) on CPU 1 while rooms are created and joined, then on CPU 0 for the
 * one-request-at-a-time latency rounds, as bench/proxy.ts places its c=1 runs.
 * Exits 2 if the bench itself failed: a request or heartbeat failed, or a participant went offline.
 */
import { setAffinity, spawnChild, type Child, type Usage } from "./lib/children.ts";
import { startHeartbeats, type Beating, type HeartbeatStats } from "./lib/heartbeats.ts";
import { jsonOnce, runCount, type Sample } from "./lib/load.ts";
import { rssBytes } from "./lib/proc.ts";
import { chatBody } from "./lib/scenarios.ts";
import { fmt, formatBytes, median, percentile } from "./lib/stats.ts";
import { gitRevision, parseScaleArgs, type ScaleConfig } from "./lib/scale-config.ts";
import { createRooms, joinParticipants, type Registered } from "./lib/scale-setup.ts";
import { prng } from "./lib/prng.ts";

const log = (s: string) => console.log(s);

type HubChild = Child<{ url: string }>;
type Registry = { rooms: number; participants: number; online: number; healthy: number };
interface Memory {
  label: string;
  heapUsed: number;
  rss: number;
}

async function memory(hub: HubChild, label: string): Promise<Memory> {
  const u = await hub.call<Usage>("usage", true);
  return { label, heapUsed: u.heapUsed, rss: rssBytes(hub.pid) };
}

type Side = "direct" | "hub5" | "hub5k";
const SIDES: Side[] = ["direct", "hub5", "hub5k"];

async function main(): Promise<void> {
  const config: ScaleConfig = parseScaleArgs(Bun.argv.slice(2));
  const started = performance.now();
  const cpu = (c: string) => (config.pin ? c : undefined);
  if (config.pin) setAffinity(process.pid, "0");
  const here = import.meta.dir;
  const children: Child<unknown>[] = [];
  let failed = false;
  try {
    const upstreams: string[] = [];
    for (let i = 0; i < config.upstreams; i++) {
      const u = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: cpu("0") });
      children.push(u);
      upstreams.push(u.info.url);
    }
    const hubEnv = { BENCH_SWEEP_MS: "5000" };
    const small: HubChild = await spawnChild(`${here}/lib/hub-server.ts`, { cpus: cpu("1"), env: hubEnv });
    const large: HubChild = await spawnChild(`${here}/lib/hub-server.ts`, { cpus: cpu("1"), env: hubEnv });
    children.push(small, large);
    const revision = gitRevision();
    log(
      `gambi scale bench (${revision}): ${config.quick ? "quick" : "full"} run, ${config.rooms} rooms × ${config.perRoom} participants, heartbeats every ${config.heartbeatMs / 1000} s, ` +
        `${config.upstreams} upstream processes, ${navigator.hardwareConcurrency} CPUs, bun ${Bun.version}, ${config.pin ? "pinned (see README)" : "not pinned"}`,
    );

    // The small hub's one room, and the large hub's warm-up room: both JIT-compile the join path.
    const [smallRoom] = await createRooms(small.info.url, 1, 1);
    const smallJoined = await joinParticipants(small.info.url, smallRoom!, config.perRoom, upstreams, 0, 1);
    const [warmRoom] = await createRooms(large.info.url, 1, 1);
    const warmJoined = await joinParticipants(large.info.url, warmRoom!, config.perRoom, upstreams, 900_000, 1);
    const body = chatBody(false);
    const rand = prng(0x5ca1e);
    let largeRooms: string[] = [warmRoom!];
    const once: Record<Side, () => Promise<Sample>> = {
      direct: () => jsonOnce({ url: `${upstreams[0]}/v1/chat/completions`, body }),
      hub5: () => jsonOnce({ url: `${small.info.url}/rooms/${smallRoom}/v1/chat/completions`, body }),
      hub5k: () => jsonOnce({ url: `${large.info.url}/rooms/${largeRooms[Math.floor(rand() * largeRooms.length)]}/v1/chat/completions`, body }),
    };
    for (const side of SIDES) await runCount(1, config.warmup, once[side]);
    const mem: Memory[] = [await memory(large, `baseline (1 room, ${config.perRoom} participants)`)];

    // Registration: rooms, then their participants, each join probing its own URL.
    let t0 = performance.now();
    largeRooms = await createRooms(large.info.url, config.rooms, config.concurrency);
    const roomsSeconds = (performance.now() - t0) / 1000;
    mem.push(await memory(large, `+ ${config.rooms} rooms`));
    t0 = performance.now();
    const joined: Registered[] = [];
    const joinMs: number[] = [];
    for (let r = 0; r < largeRooms.length; r += config.concurrency) {
      const batch = largeRooms.slice(r, r + config.concurrency);
      const results = await Promise.all(batch.map((code, k) => joinParticipants(large.info.url, code, config.perRoom, upstreams, (r + k) * config.perRoom, 1)));
      for (const list of results) for (const p of list) (joined.push(p), joinMs.push(p.joinMs));
    }
    const joinSeconds = (performance.now() - t0) / 1000;
    mem.push(await memory(large, `+ ${joined.length} participants`));
    const registered = await large.call<Registry>("registry");
    log(`registered: ${registered.rooms} rooms, ${registered.participants} participants (${roomsSeconds.toFixed(1)} s for the rooms, ${joinSeconds.toFixed(1)} s for the joins)`);

    // Heartbeats from here to the end, for every participant of both hubs.
    const beats = {
      small: startHeartbeats(small.info.url, smallJoined, config.heartbeatMs),
      large: startHeartbeats(large.info.url, [...warmJoined, ...joined] as Beating[], config.heartbeatMs),
    };
    // What a heartbeat costs each hub: CPU time over a window with nothing but heartbeats, the
    // small hub getting as many per second as the large one (its 5 participants beat faster).
    const allLarge = warmJoined.length + joined.length;
    const extra = startHeartbeats(small.info.url, smallJoined, (config.heartbeatMs * smallJoined.length) / allLarge);
    const cpuBefore = { small: (await small.call<Usage>("usage")).cpuUs, large: (await large.call<Usage>("usage")).cpuUs };
    const sentBefore = { small: beats.small.sent + extra.sent, large: beats.large.sent };
    const windowStart = performance.now();
    await Bun.sleep(config.heartbeatWindowMs);
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const heartbeatCpu = {
      small: ((await small.call<Usage>("usage")).cpuUs - cpuBefore.small) / (beats.small.sent + extra.sent - sentBefore.small),
      large: ((await large.call<Usage>("usage")).cpuUs - cpuBefore.large) / (beats.large.sent - sentBefore.large),
    };
    const heartbeatsInWindow = beats.large.sent - sentBefore.large;
    const extraStats = await extra.stop();
    log(`heartbeats alone: ${heartbeatsInWindow} in ${windowSeconds.toFixed(1)} s to each hub; hub CPU per heartbeat ${fmt(heartbeatCpu.large)} µs (5,000 registered), ${fmt(heartbeatCpu.small)} µs (5)`);

    // Routing latency: one request at a time, sides interleaved and rotated, for `seconds`.
    if (config.pin) for (const h of [small, large]) setAffinity(h.pid, "0");
    const samples: Record<Side, number[]> = { direct: [], hub5: [], hub5k: [] };
    const rounds: Record<Side, number[]>[] = [];
    const phaseEnd = performance.now() + config.seconds * 1000;
    for (let round = 0; performance.now() < phaseEnd || round < 3; round++) {
      const p50s = {} as Record<Side, number>;
      for (let i = 0; i < SIDES.length; i++) {
        const side = SIDES[(i + round) % SIDES.length]!;
        const result = await runCount(1, config.roundRequests, once[side]);
        const ms = result.samples.map((s) => s.totalMs);
        samples[side].push(...ms);
        p50s[side] = median(ms);
      }
      rounds.push({ direct: [p50s.direct], hub5: [p50s.hub5], hub5k: [p50s.hub5k] });
    }
    const hb: Record<"small" | "large", HeartbeatStats> = { small: await beats.small.stop(), large: await beats.large.stop() };
    const after = await large.call<Registry>("registry");
    mem.push(await memory(large, `after ${config.seconds} s of heartbeats and requests`));

    hb.small.failed += extraStats.failed;
    Object.assign(hb.small.failures, extraStats.failures);
    const report = buildReport(config, { mem, joinMs, roomsSeconds, joinSeconds, samples, rounds, hb, heartbeatCpu, heartbeatsInWindow, windowSeconds, registered, after });
    printReport(report);
    const expected = (config.rooms + 1) * config.perRoom;
    const problems = [
      ...(registered.participants !== expected ? [`${registered.participants} participants registered, expected ${expected}`] : []),
      ...(after.online !== expected ? [`${expected - after.online} participants offline at the end (heartbeats did not keep up)`] : []),
      ...(hb.large.failed + hb.small.failed > 0 ? [`heartbeats failed: ${JSON.stringify({ ...hb.large.failures, ...hb.small.failures })}`] : []),
    ];
    for (const p of problems) log(`BENCH PROBLEM: ${p}`);
    failed = problems.length > 0;
    const seconds = (performance.now() - started) / 1000;
    log(`\ntotal ${seconds.toFixed(1)} s`);
    if (config.jsonFile) {
      const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform, arch: process.arch };
      await Bun.write(config.jsonFile, JSON.stringify({ date: new Date().toISOString(), revision, machine, config, seconds, ...report, problems }, null, 2) + "\n");
      log(`wrote ${config.jsonFile}`);
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
  if (failed) process.exitCode = 2;
}

function buildReport(config: ScaleConfig, m: {
  mem: Memory[];
  joinMs: number[];
  roomsSeconds: number;
  joinSeconds: number;
  samples: Record<Side, number[]>;
  rounds: Record<Side, number[]>[];
  hb: Record<"small" | "large", HeartbeatStats>;
  heartbeatCpu: { small: number; large: number };
  heartbeatsInWindow: number;
  windowSeconds: number;
  registered: Registry;
  after: Registry;
}) {
  const [base, rooms, parts, end] = m.mem as [Memory, Memory, Memory, Memory];
  const participants = config.rooms * config.perRoom;
  const latency = Object.fromEntries(SIDES.map((s) => [s, { p50Ms: percentile(m.samples[s], 50), p99Ms: percentile(m.samples[s], 99), count: m.samples[s].length }])) as Record<Side, { p50Ms: number; p99Ms: number; count: number }>;
  const perRound = m.rounds.map((r) => r.hub5k[0]! / r.hub5[0]!);
  const heartbeatUs = m.heartbeatCpu.large;
  return {
    registration: { roomsSeconds: m.roomsSeconds, joinSeconds: m.joinSeconds, joinsPerSecond: participants / m.joinSeconds, joinP50Ms: percentile(m.joinMs, 50), joinP99Ms: percentile(m.joinMs, 99) },
    memory: {
      checkpoints: m.mem,
      heapPerRoom: (rooms.heapUsed - base.heapUsed) / config.rooms,
      rssPerRoom: (rooms.rss - base.rss) / config.rooms,
      heapPerParticipant: (parts.heapUsed - rooms.heapUsed) / participants,
      rssPerParticipant: (parts.rss - rooms.rss) / participants,
      heapPerParticipantWithRooms: (parts.heapUsed - base.heapUsed) / participants,
      rssPerParticipantWithRooms: (parts.rss - base.rss) / participants,
      heapGrowthDuringRun: end.heapUsed - parts.heapUsed,
      // After the latency phase: what the registrations still hold once join-time garbage and caches are gone.
      heapPerParticipantAfterRun: (end.heapUsed - rooms.heapUsed) / participants,
      rssPerParticipantAfterRun: (end.rss - rooms.rss) / participants,
    },
    heartbeats: {
      ...m.hb,
      window: { seconds: m.windowSeconds, heartbeatsPerHub: m.heartbeatsInWindow },
      cpuUsPerHeartbeat: heartbeatUs,
      cpuUsPerHeartbeatSmallHub: m.heartbeatCpu.small,
      cpuShareAtRealRate: (heartbeatUs * (participants / (config.heartbeatMs / 1000))) / 1e6,
    },
    latency,
    ratio: {
      p50: latency.hub5k.p50Ms / latency.hub5.p50Ms,
      p99: latency.hub5k.p99Ms / latency.hub5.p99Ms,
      p50PerRound: { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), rounds: perRound.length },
    },
    registry: { registered: m.registered, atEnd: m.after },
  };
}

function printReport(r: ReturnType<typeof buildReport>): void {
  const g = r.registration;
  log(`\nregistration: ${fmt(g.joinsPerSecond)} joins/s; join p50 ${fmt(g.joinP50Ms)} ms, p99 ${fmt(g.joinP99Ms)} ms (each probes its endpoint: 3 requests)`);
  log(`\n| large hub | heap after GC | RSS |\n|---|---:|---:|`);
  for (const c of r.memory.checkpoints) log(`| ${c.label} | ${formatBytes(c.heapUsed)} | ${formatBytes(c.rss)} |`);
  const mm = r.memory;
  log(`\nper room: heap ${formatBytes(mm.heapPerRoom)}, RSS ${formatBytes(mm.rssPerRoom)}; per participant: heap ${formatBytes(mm.heapPerParticipant)}, RSS ${formatBytes(mm.rssPerParticipant)}`);
  log(`per participant, its share of the rooms included: heap ${formatBytes(mm.heapPerParticipantWithRooms)}, RSS ${formatBytes(mm.rssPerParticipantWithRooms)}; heap change during the run ${formatBytes(mm.heapGrowthDuringRun)}`);
  log(`per participant after the run: heap ${formatBytes(mm.heapPerParticipantAfterRun)}, RSS ${formatBytes(mm.rssPerParticipantAfterRun)}`);
  const h = r.heartbeats;
  log(`\nheartbeats: large hub ${h.large.sent} sent, ${h.large.failed} failed, p50 ${fmt(h.large.p50Ms)} ms, p99 ${fmt(h.large.p99Ms)} ms; small hub ${h.small.sent} sent, ${h.small.failed} failed`);
  log(`hub CPU per heartbeat ${fmt(h.cpuUsPerHeartbeat)} µs with 5,000 registered (${fmt(h.cpuUsPerHeartbeat / h.cpuUsPerHeartbeatSmallHub)}× the 5-participant hub's ${fmt(h.cpuUsPerHeartbeatSmallHub)} µs at the same rate): ${(h.cpuShareAtRealRate * 100).toFixed(2)}% of a CPU at the real rate`);
  log(`\n| non-stream latency, c=1 | direct | hub, 5 participants | hub, ${r.registry.registered.participants} | 5,000 / 5 (per-round range) |\n|---|---:|---:|---:|---:|`);
  const l = r.latency;
  const range = `${fmt(r.ratio.p50PerRound.min)}–${fmt(r.ratio.p50PerRound.max)}`;
  log(`| p50 | ${fmt(l.direct.p50Ms)} ms | ${fmt(l.hub5.p50Ms)} ms | ${fmt(l.hub5k.p50Ms)} ms | ${fmt(r.ratio.p50)} (${range}) |`);
  log(`| p99 | ${fmt(l.direct.p99Ms)} ms | ${fmt(l.hub5.p99Ms)} ms | ${fmt(l.hub5k.p99Ms)} ms | ${fmt(r.ratio.p99)} |`);
  log(`(${l.hub5k.count} requests per side over ${r.ratio.p50PerRound.rounds} rounds; the large hub's requests go to a random room each)`);
  log(`registry at the end: ${r.registry.atEnd.online}/${r.registry.atEnd.participants} online, ${r.registry.atEnd.healthy} healthy`);
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  process.exitCode = 2;
});
