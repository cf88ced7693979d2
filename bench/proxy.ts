/**
 * Proxy overhead benchmark: the same workloads sent straight to a fake upstream, through a bare
 * proxy and through the hub, interleaved round by round so machine noise hits all sides alike.
 *
 *   bun bench/proxy.ts [--quick] [--rounds N] [--run-ms MS] [--no-pin] [--json FILE] [--hub-preload FILE]
 *
 * Four processes: this one (the load generator), the upstream (lib/upstream-server.ts), the
 * hub (lib/hub-server.ts) and a bare Bun proxy (lib/bare-proxy.ts) that shows what any extra
 * hop costs; see README.md for what is measured and why it is set up this way. The protocol
 * adaptation scenarios use participants that speak one protocol each, in rooms of their own.
 * Exits 1 if a target of the performance issue is missed, 2 if the bench itself failed.
 */
import { setAffinity, spawnChild, type Child, type Usage } from "./lib/children.ts";
import { parseArgs, type Config } from "./lib/config.ts";
import { measureAdaptedMemory, measureMemory, type HubChild, type MemoryResult } from "./lib/memory.ts";
import { buildAdaptedCpuRows, buildAdaptedRows, buildCpuRows, buildRows, judge, printReport, type Report, type Series } from "./lib/report.ts";
import { oneProtocolPaths, scenarios, SIDES, type Endpoints, type OneProtocol, type Side } from "./lib/scenarios.ts";
import { fmt } from "./lib/stats.ts";
import { gitRevision } from "./lib/revision.ts";
import { threadCpuMs } from "./lib/proc.ts";
import { setupRoom } from "./lib/rooms.ts";

const log = (s: string) => console.log(s);

async function setupRooms(hubUrl: string, upstreamUrl: string, config: Config): Promise<Pick<Endpoints, "room" | "rooms" | "paths">> {
  const room = await setupRoom(hubUrl, upstreamUrl, "bench", "both");
  const paths = oneProtocolPaths(config.adaptedMemory.events);
  const rooms = {} as Record<OneProtocol, string>;
  for (const [key, path] of Object.entries(paths) as [OneProtocol, string][]) {
    rooms[key] = await setupRoom(hubUrl, upstreamUrl + path, `bench ${path}`, path.startsWith("/chat-only") ? "chat" : path.startsWith("/messages-only") ? "messages" : "responses");
  }
  return { room, rooms, paths };
}

/** Every scenario on every side, smaller, so the JIT has compiled every process's hot paths. */
async function warmUp(e: Endpoints, proxies: ProxyChild[], config: Config): Promise<void> {
  // Loaded runs are warm after a few hundred streams: 100 ms is enough, and keeps --quick short.
  const small: Config = { ...config, ttftCount: config.warmup, jsonCount: config.warmup, runMs: Math.min(config.runMs, config.quick ? 100 : 400) };
  for (const s of scenarios(e, small)) {
    placeProxies(config, proxies, s.serial === true);
    for (const side of s.sides ?? SIDES) await s.run(side);
  }
}

type ProxyChild = Child<{ url: string }>;

/**
 * More warm-up passes until the JIT has settled in both proxies: Bun's compiler threads
 * (`JITWorker`) kept compiling the hub for ~18,000 requests at c=1 (bench/README.md), CPU that
 * would otherwise count as the hub's per-request cost in the first rounds and, at c=1 where
 * everything shares one CPU, take that CPU from the load generator and the upstream. A pass in
 * which neither proxy's JIT threads used more than 20 ms ends it (at most 8 passes; said when
 * it did not settle). Linux only (/proc); elsewhere one pass is all.
 */
async function settleJit(e: Endpoints, proxies: ProxyChild[], config: Config): Promise<void> {
  if (config.quick || process.platform !== "linux") return;
  for (let pass = 1; pass <= 8; pass++) {
    const before = proxies.map((p) => threadCpuMs(p.pid, "JITWorker"));
    await warmUp(e, proxies, config);
    const used = proxies.map((p, i) => threadCpuMs(p.pid, "JITWorker") - before[i]!);
    if (used.every((ms) => ms <= 20)) {
      log(`JIT settled after ${pass} more warm-up pass${pass === 1 ? "" : "es"} (compiler threads: ${used.join(" / ")} ms in the last, bare / hub)`);
      return;
    }
  }
  log("JIT still compiling after 8 more warm-up passes: the first rounds include some of it");
}

/**
 * Where the proxies run when pinned. At c=1 one request is in flight, one CPU is enough, and
 * they share CPU 0 with the load generator and upstream, as those two do on the direct side;
 * on separate CPUs each hop through a proxy would pay this VM's cross-CPU wake-up (~50 µs)
 * four times per request and the direct side none. Under load they get CPU 1 to themselves,
 * as a hub on its own machine would, while the load generator and upstream keep CPU 0.
 */
function placeProxies(config: Config, proxies: ProxyChild[], serial: boolean): void {
  if (config.pin) for (const p of proxies) setAffinity(p.pid, serial ? "0" : "1");
}

async function runRounds(e: Endpoints, proxies: Record<"bare" | "hub", ProxyChild>, config: Config): Promise<{ series: Series; seconds: Record<string, number> }> {
  const list = scenarios(e, config);
  const series: Series = {};
  /** Wall time per scenario over all rounds and sides, for sizing runs (in the JSON output). */
  const seconds: Record<string, number> = {};
  for (const s of list) series[s.key] = Object.fromEntries((s.sides ?? SIDES).map((side) => [side, {}]));
  // The process in the middle of each side: adapted requests go through the hub too.
  const middle: Record<Side, ProxyChild | undefined> = { direct: undefined, bare: proxies.bare, hub: proxies.hub, adapted: proxies.hub };
  for (let round = 0; round < config.rounds; round++) {
    for (const s of list) {
      // Rotate which side goes first so none always runs on a warmer (or hotter) machine.
      const sides = s.sides ?? SIDES;
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      placeProxies(config, [proxies.bare, proxies.hub], s.serial === true);
      for (const side of order) {
        const proxy = middle[side];
        const before = await proxy?.call<Usage>("usage");
        const t0 = performance.now();
        const result = await s.run(side);
        seconds[s.key] = (seconds[s.key] ?? 0) + (performance.now() - t0) / 1000;
        const metrics = s.metrics(result);
        if (proxy && before) {
          // CPU time of the process in the middle (hub or bare proxy) per unit of work.
          const cpuUs = (await proxy.call<Usage>("usage")).cpuUs - before.cpuUs;
          metrics.proxyCpuUsPerRequest = cpuUs / result.samples.length;
          if (result.events > 0) metrics.proxyCpuUsPerEvent = cpuUs / result.events;
        }
        for (const [k, v] of Object.entries(metrics)) (series[s.key]![side]![k] ??= []).push(v);
      }
    }
    const last = (key: string, metric: string) =>
      Object.values(series[key]!)
        .map((bySide) => fmt(bySide[metric]!.at(-1)!))
        .join(" / ");
    log(
      `round ${round + 1}/${config.rounds} (direct / bare / hub): TTFT c1 ${last("chat_stream_c1", "ttftP50Ms")} ms, ` +
        `chat ev/s c64 ${last("chat_stream_c64", "eventsPerSec")}, req/s c32 ${last("chat_json_c32", "reqPerSec")}; ` +
        `(direct / hub / adapted) Responses ← chat burst upstream ev/s ${last("responses_via_chat_burst_c64", "eventsPerSec")}, ` +
        `chat ← Responses ${last("chat_via_responses_burst_c64", "eventsPerSec")}, ` +
        `Messages ← chat ${last("messages_via_chat_burst_c64", "eventsPerSec")}, ` +
        `chat ← Messages ${last("chat_via_messages_burst_c64", "eventsPerSec")}, ` +
        `Responses ← Messages ${last("responses_via_messages_burst_c64", "eventsPerSec")}, ` +
        `Messages ← Responses ${last("messages_via_responses_burst_c64", "eventsPerSec")}`,
    );
  }
  return { series, seconds };
}

async function main(): Promise<void> {
  const config = parseArgs(Bun.argv.slice(2));
  const started = performance.now();
  if (config.pin) setAffinity(process.pid, "0");
  const here = import.meta.dir;
  const proxyCpus = config.pin ? "1" : undefined;
  const children: Child<unknown>[] = [];
  try {
    const upstream = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: config.pin ? "0" : undefined });
    children.push(upstream);
    const bare = await spawnChild<{ url: string }>(`${here}/lib/bare-proxy.ts`, { cpus: proxyCpus, env: { BENCH_UPSTREAM_URL: upstream.info.url } });
    children.push(bare);
    const hub: HubChild = await spawnChild(`${here}/lib/hub-server.ts`, {
      cpus: proxyCpus,
      env: { BENCH_OWNERS_MAX: String(config.memory.ownersMax), BENCH_STORE_MAX: String(config.adaptedMemory.storeMax) },
      bunArgs: config.hubPreload ? ["--preload", config.hubPreload] : [],
    });
    children.push(hub);
    const rooms = await setupRooms(hub.info.url, upstream.info.url, config);
    const revision = gitRevision();
    const e: Endpoints = { upstream: upstream.info.url, bare: bare.info.url, hub: hub.info.url, ...rooms };
    log(
      `gambi proxy bench (${revision}): ${config.quick ? "quick" : "full"} run, ${config.rounds} rounds, ${navigator.hardwareConcurrency} CPUs, bun ${Bun.version}, ` +
        (config.pin ? "pinned: load generator and upstream on CPU 0, hub and bare proxy on CPU 0 at c=1, on CPU 1 under load" : "not pinned") +
        `\nupstream ${e.upstream}, bare proxy ${e.bare}, hub ${e.hub} (room ${e.room}; one-protocol participants: ` +
        Object.entries(e.paths)
          .map(([k, path]) => `${path} in ${e.rooms[k as OneProtocol]}`)
          .join(", ") +
        ")" +
        (config.hubPreload ? `\nEXPERIMENT: the hub preloads ${config.hubPreload}; its figures are not the hub's as committed` : ""),
    );
    await warmUp(e, [bare, hub], config);
    await settleJit(e, [bare, hub], config);
    const { series, seconds: scenarioSeconds } = await runRounds(e, { bare, hub }, config);
    log(`memory phase: Responses streams of ${config.memory.events} events at c=${config.memory.concurrency}, id map capped at ${config.memory.ownersMax}`);
    placeProxies(config, [bare, hub], false);
    const memory: MemoryResult = await measureMemory(hub, e, config, log);
    const am = config.adaptedMemory;
    log(`memory phase, adapted: store:true Responses streams to a chat-only participant, ${am.events} upstream events at c=${am.concurrency}, store capped at ${am.storeMax} per room`);
    const adaptedMemory: MemoryResult = await measureAdaptedMemory(hub, e, config, log);

    const rows = buildRows(series);
    const report: Report = {
      rows,
      cpu: buildCpuRows(series),
      adapted: buildAdaptedRows(series),
      adaptedCpu: buildAdaptedCpuRows(series),
      verdicts: judge(rows, memory, adaptedMemory),
      memory,
      adaptedMemory,
    };
    printReport(report);
    const seconds = (performance.now() - started) / 1000;
    log(`\ntotal ${seconds.toFixed(1)} s`);
    if (config.jsonFile) {
      const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform, arch: process.arch };
      await Bun.write(config.jsonFile, JSON.stringify({ date: new Date().toISOString(), revision, machine, config, seconds, scenarioSeconds, ...report, series }, null, 2) + "\n");
      log(`wrote ${config.jsonFile}`);
    }
    if (report.verdicts.some((v) => !v.pass)) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.message}`);
  process.exitCode = 2;
});
