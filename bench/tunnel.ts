/**
 * Tunnel benchmark: the same workloads through the hub to one upstream joined two ways, in one
 * run and interleaved round by round: **direct** (the hub dials the upstream) and **tunnel** (a
 * joiner, the code `gambi join --tunnel` runs, holds one WebSocket to the hub and dials the
 * upstream itself). Then the idle-stream memory phase (1,000 streams open at once on one
 * socket) and the stall phase (a stalled client beside a fast stream on the same socket).
 *
 *   bun bench/tunnel.ts [--quick] [--rounds N] [--run-ms MS] [--idle N] [--joiner-cpu 0|1] [--no-pin] [--json FILE]
 *
 * Four processes: this one (the load generator), the upstream (lib/upstream-server.ts), the
 * hub (lib/hub-server.ts) and the joiner (lib/joiner.ts); README.md ("Tunnel") says what is
 * measured and where each process runs. Exits 1 if a target of the issue is missed, 2 if the
 * bench itself failed.
 */
import { setAffinity, spawnChild, type Child, type Usage } from "./lib/children.ts";
import { gitRevision } from "./lib/revision.ts";
import { setupRoom } from "./lib/rooms.ts";
import { fmt } from "./lib/stats.ts";
import { parseTunnelArgs, type TunnelConfig } from "./lib/tunnel-config.ts";
import { measureIdle, measureStall, type IdleResult } from "./lib/tunnel-phases.ts";
import { buildTunnelCpuRows, buildTunnelRows, judgeTunnel, printTunnelReport, type TunnelReport, type TunnelSeries } from "./lib/tunnel-report.ts";
import { TUNNEL_SIDES, tunnelScenarios, type TunnelEndpoints } from "./lib/tunnel-scenarios.ts";
import { DEFAULT_WINDOW_BYTES } from "../src/protocol/tunnel/frames.ts";
import { loadavg } from "node:os";

/**
 * Bun lets one process have 256 fetches in flight (more wait inside fetch); the idle phase needs
 * 1,000 in the load generator, the hub (direct side) and the joiner. Read at start-up only, so
 * this script runs itself again with it set, and its children inherit it.
 */
const MAX_HTTP_REQUESTS = "4096";

const log = (s: string) => console.log(s);

interface Procs {
  upstream: Child<{ url: string }>;
  hub: Child<{ url: string }>;
  joiner: Child<unknown>;
}

/**
 * Where hub and joiner run when pinned: at c=1 on CPU 0 with the load generator and the
 * upstream (one request in flight needs one CPU, and crossing CPUs costs this VM ~50 µs per
 * wake-up, as proxy.ts explains); under load, the hub on CPU 1, and the joiner on CPU 1 too
 * (default) or with the upstream on CPU 0 (`--joiner-cpu 0`).
 */
function place(config: TunnelConfig, p: Procs, serial: boolean): void {
  if (!config.pin) return;
  setAffinity(p.hub.pid, serial ? "0" : "1");
  setAffinity(p.joiner.pid, serial ? "0" : config.joinerCpu);
}

async function setupRooms(p: Procs): Promise<TunnelEndpoints> {
  const hub = p.hub.info.url;
  const direct = await setupRoom(hub, p.upstream.info.url, "bench direct", "both");
  const created = await fetch(`${hub}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "bench tunnel" }) });
  if (created.status !== 201) throw new Error(`create room: HTTP ${created.status}`);
  const tunnel = ((await created.json()) as { room: { code: string } }).room.code;
  const joined = await p.joiner.call<{ transport: string }>("join", { hub, code: tunnel });
  if (joined.transport !== "tunnel") throw new Error(`the joiner joined with transport ${joined.transport}`);
  return { hub, rooms: { direct, tunnel } };
}

async function runRounds(e: TunnelEndpoints, p: Procs, config: TunnelConfig): Promise<TunnelSeries> {
  const list = tunnelScenarios(e, config);
  const series: TunnelSeries = {};
  for (const s of list) series[s.key] = { direct: {}, tunnel: {} };
  for (let round = 0; round < config.rounds; round++) {
    for (const s of list) {
      place(config, p, s.serial === true);
      const order = round % 2 === 0 ? TUNNEL_SIDES : [...TUNNEL_SIDES].reverse();
      for (const side of order) {
        const [hub0, joiner0] = await Promise.all([p.hub.call<Usage>("usage"), p.joiner.call<Usage>("usage")]);
        const result = await s.run(side);
        const [hub1, joiner1] = await Promise.all([p.hub.call<Usage>("usage"), p.joiner.call<Usage>("usage")]);
        const metrics = s.metrics(result);
        const n = result.samples.length;
        metrics.hubCpuUsPerRequest = (hub1.cpuUs - hub0.cpuUs) / n;
        metrics.joinerCpuUsPerRequest = (joiner1.cpuUs - joiner0.cpuUs) / n;
        if (result.events > 0) {
          metrics.hubCpuUsPerEvent = (hub1.cpuUs - hub0.cpuUs) / result.events;
          metrics.joinerCpuUsPerEvent = (joiner1.cpuUs - joiner0.cpuUs) / result.events;
        }
        for (const [k, v] of Object.entries(metrics)) (series[s.key]![side][k] ??= []).push(v);
      }
    }
    const last = (key: string, metric: string) => TUNNEL_SIDES.map((side) => fmt(series[key]![side][metric]!.at(-1)!)).join(" / ");
    log(
      `round ${round + 1}/${config.rounds} (direct / tunnel): TTFT c1 ${last("chat_stream_c1", "ttftP50Ms")} ms, ev/s c64 ${last("chat_stream_c64", "eventsPerSec")}, ` +
        `burst ${last("chat_burst_c64", "eventsPerSec")}, req/s c32 ${last("chat_json_c32", "reqPerSec")}`,
    );
  }
  return series;
}

async function main(): Promise<void> {
  const config = parseTunnelArgs(Bun.argv.slice(2));
  const started = performance.now();
  const loadBefore = loadavg();
  if (config.pin) setAffinity(process.pid, "0");
  const here = import.meta.dir;
  const children: Child<unknown>[] = [];
  try {
    const upstream = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: config.pin ? "0" : undefined });
    children.push(upstream);
    const hub = await spawnChild<{ url: string }>(`${here}/lib/hub-server.ts`, { cpus: config.pin ? "1" : undefined });
    children.push(hub);
    const joiner = await spawnChild<unknown>(`${here}/lib/joiner.ts`, { cpus: config.pin ? config.joinerCpu : undefined, env: { BENCH_UPSTREAM_URL: upstream.info.url } });
    children.push(joiner);
    const procs: Procs = { upstream, hub, joiner };
    const e = await setupRooms(procs);
    const revision = gitRevision();
    log(
      `gambi tunnel bench (${revision}): ${config.quick ? "quick" : "full"} run, ${config.rounds} rounds, ${navigator.hardwareConcurrency} CPUs, bun ${Bun.version}, ` +
        (config.pin
          ? `pinned: load generator and upstream on CPU 0; hub and joiner on CPU 0 at c=1; under load the hub on CPU 1, the joiner on CPU ${config.joinerCpu}`
          : "not pinned") +
        `\nupstream ${upstream.info.url}, hub ${hub.info.url}: room ${e.rooms.direct} (the upstream joined direct), room ${e.rooms.tunnel} (the same upstream through the joiner's tunnel)`,
    );
    // Warm-up: every workload on both sides, smaller, so every process's hot paths are compiled.
    const small: TunnelConfig = { ...config, ttftCount: config.warmup, jsonCount: config.warmup, runMs: Math.min(config.runMs, config.quick ? 100 : 400) };
    for (const s of tunnelScenarios(e, small)) {
      place(config, procs, s.serial === true);
      for (const side of TUNNEL_SIDES) await s.run(side);
    }
    const series = await runRounds(e, procs, config);

    place(config, procs, false);
    log(`idle streams: ${config.idle.streams} at once through each participant, held ${(config.idle.holdMs / 1000).toFixed(1)} s`);
    const idle: IdleResult[] = [];
    for (const side of TUNNEL_SIDES) idle.push(await measureIdle(side, e, procs, config.idle.streams, config.idle.holdMs, log));
    log(`stall: a burst stream through the tunnel, alone and beside a stalled one on the same socket, ${config.stallRounds} rounds of ${config.runMs} ms each`);
    const stall = await measureStall(e, procs, config.stallRounds, config.runMs, config.events, log);

    const rows = buildTunnelRows(series);
    const report: TunnelReport = { rows, cpu: buildTunnelCpuRows(series), idle, stall, window: DEFAULT_WINDOW_BYTES, verdicts: judgeTunnel(rows, idle, stall, DEFAULT_WINDOW_BYTES) };
    printTunnelReport(report);
    const seconds = (performance.now() - started) / 1000;
    const load = { before: loadBefore, after: loadavg() };
    // Other work on the machine shows here: 4 processes of this bench keep 2 CPUs near 1.5-2.5 by themselves.
    log(`\ntotal ${seconds.toFixed(1)} s; load average (1, 5, 15 min) before ${load.before.map((l) => l.toFixed(2)).join(", ")}, after ${load.after.map((l) => l.toFixed(2)).join(", ")}`);
    if (config.jsonFile) {
      const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform, arch: process.arch };
      await Bun.write(config.jsonFile, JSON.stringify({ date: new Date().toISOString(), revision, machine, config, seconds, load, ...report, series }, null, 2) + "\n");
      log(`wrote ${config.jsonFile}`);
    }
    if (report.verdicts.some((v) => !v.pass)) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS !== MAX_HTTP_REQUESTS) {
  const self = Bun.spawn([process.execPath, import.meta.path, ...Bun.argv.slice(2)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: MAX_HTTP_REQUESTS },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exitCode = await self.exited;
} else {
  await main().catch((err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    process.exitCode = 2;
  });
}
