/**
 * Soak benchmark: 64 clients for 5 minutes against one hub, mixing streaming and non-streaming
 * requests in both protocols, relayed as is and translated, and streams the client abandons
 * part way (lib/soak-load.ts). Reports requests served, errors by kind, TTFT and JSON latency
 * p50/p99, and the hub's RSS and open file descriptors (/proc/<pid>, read from outside) at
 * the start, middle and end of the measured part; PASS when neither grew by 10% or more.
 *
 *   bun bench/soak.ts [--minutes N] [--quick] [--clients N] [--events N] [--no-pin] [--json FILE]
 *
 * Processes as in bench/proxy.ts under load (README.md, "What runs where"): this one (the
 * clients) and the fake upstream (lib/upstream-server.ts) on CPU 0, the hub
 * (lib/hub-server.ts) on CPU 1. The first fifth of the run is a warm-up: the hub's bounded
 * structures fill (its Responses-id map and response store are capped low for that, as in the
 * proxy bench's memory phase), connection pools and the JIT settle; "start" is its end.
 * Exits 1 if RSS or descriptors grew by 10% or more, 2 if the bench itself failed.
 */
import { setupRoom } from "./lib/rooms.ts";
import { setAffinity, spawnChild, type Child, type Usage } from "./lib/children.ts";
import { openFds, rssBytes, socketKinds, type SocketKinds } from "./lib/proc.ts";
import { gitRevision } from "./lib/revision.ts";
import { MIX, runClients, type Outcome, type SoakTargets } from "./lib/soak-load.ts";
import { fmt, formatBytes, median, percentile } from "./lib/stats.ts";

const log = (s: string) => console.log(s);

interface SoakConfig {
  minutes: number;
  quick: boolean;
  clients: number;
  events: number;
  pin: boolean;
  jsonFile?: string;
}

const USAGE = `usage: bun bench/soak.ts [--minutes N] [--quick] [--clients N] [--events N] [--no-pin] [--json FILE]

  --minutes N   length of the run (default 5); the first fifth is a warm-up
  --quick       a 30 s run, to check that the bench works
  --clients N   concurrent clients (default 64)
  --events N    upstream events per streamed answer (default 64)
  --no-pin      let the OS place the processes
  --json FILE   also write every figure as JSON`;

function parseArgs(argv: string[]): SoakConfig {
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got "${v ?? ""}"\n\n${USAGE}`);
    return n;
  };
  const c: SoakConfig = { minutes: 5, quick: false, clients: 64, events: 64, pin: navigator.hardwareConcurrency >= 2 && Bun.which("taskset") !== null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") (c.quick = true), (c.minutes = 0.5);
    else if (a === "--minutes") c.minutes = num(a, argv[++i]);
    else if (a === "--clients") c.clients = Math.round(num(a, argv[++i]));
    else if (a === "--events") c.events = Math.max(16, Math.round(num(a, argv[++i])));
    else if (a === "--no-pin") c.pin = false;
    else if (a === "--json") {
      c.jsonFile = argv[++i];
      if (!c.jsonFile) throw new Error(`--json needs a file name\n\n${USAGE}`);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}\n\n${USAGE}`);
  }
  return c;
}

interface Checkpoint {
  label: string;
  seconds: number;
  requests: number;
  rss: number;
  heapUsed: number;
  fds: number;
  sockets: number;
  /** The hub's TCP sockets by role: its listener, connections from clients, connections to the participant. */
  tcp: SocketKinds;
}

type HubChild = Child<{ url: string }>;

/** RSS and descriptors as the OS sees them (median of 5 reads over ~0.5 s: connections come and go), then the heap after a GC. */
async function checkpoint(hub: HubChild, ports: { hub: number; upstream: number }, label: string, t0: number, requests: () => number): Promise<Checkpoint> {
  const reads: { rss: number; all: number; sockets: number; tcp: SocketKinds }[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await Bun.sleep(100);
    reads.push({ rss: rssBytes(hub.pid), ...openFds(hub.pid), tcp: socketKinds(hub.pid, ports.hub, [ports.upstream]) });
  }
  const u = await hub.call<Usage>("usage", true);
  const mid = (f: (r: (typeof reads)[number]) => number) => median(reads.map(f));
  const tcp: SocketKinds = { listening: mid((r) => r.tcp.listening), accepted: mid((r) => r.tcp.accepted), outbound: mid((r) => r.tcp.outbound), other: mid((r) => r.tcp.other) };
  return { label, seconds: (performance.now() - t0) / 1000, requests: requests(), rss: mid((r) => r.rss), heapUsed: u.heapUsed, fds: mid((r) => r.all), sockets: mid((r) => r.sockets), tcp };
}

const GROWTH_LIMIT = 0.1;

async function main(): Promise<void> {
  const config = parseArgs(Bun.argv.slice(2));
  const totalMs = config.minutes * 60_000;
  const warmupMs = totalMs / 5;
  if (config.pin) setAffinity(process.pid, "0");
  const here = import.meta.dir;
  const children: Child<unknown>[] = [];
  let exit = 0;
  try {
    const upstream = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: config.pin ? "0" : undefined });
    children.push(upstream);
    // Caps low enough to fill during the warm-up (defaults 50,000 ids and 1,000 responses per room).
    const hub: HubChild = await spawnChild(`${here}/lib/hub-server.ts`, { cpus: config.pin ? "1" : undefined, env: { BENCH_OWNERS_MAX: "2000", BENCH_STORE_MAX: "500" } });
    children.push(hub);
    const u = upstream.info.url;
    const targets: SoakTargets = {
      hub: hub.info.url,
      rooms: {
        both: await setupRoom(hub.info.url, u, "soak", "both"),
        chatOnly: await setupRoom(hub.info.url, `${u}/chat-only/events-${config.events}`, "soak chat-only", "chat"),
        responsesOnly: await setupRoom(hub.info.url, `${u}/responses-only/events-${config.events}`, "soak responses-only", "responses"),
      },
      events: config.events,
    };
    const revision = gitRevision();
    log(
      `gambi soak (${revision}): ${config.minutes} min (warm-up ${fmt(warmupMs / 1000)} s), ${config.clients} clients, ${config.events}-event streams, ` +
        `${navigator.hardwareConcurrency} CPUs, bun ${Bun.version}, ${config.pin ? "pinned: clients and upstream on CPU 0, hub on CPU 1" : "not pinned"}; hub pid ${hub.pid}`,
    );
    log(`mix: ${MIX.map((m) => `${m.name} ${m.weight}%`).join(", ")}`);

    const outcomes: Outcome[] = [];
    const t0 = performance.now();
    const ports = { hub: Number(new URL(hub.info.url).port), upstream: Number(new URL(u).port) };
    const done = () => outcomes.length;
    const checkpoints: Checkpoint[] = [await checkpoint(hub, ports, "before the load", t0, done)];
    const cpuStart = await hub.call<Usage>("usage");
    const deadline = t0 + totalMs;
    const running = runClients(targets, config.clients, 0x50a4, () => performance.now() >= deadline, (o) => outcomes.push(o));
    let cpuMeasured = cpuStart;
    for (const [label, at] of [["start", warmupMs], ["middle", warmupMs + (totalMs - warmupMs) / 2], ["end", totalMs - 1_000]] as const) {
      await Bun.sleep(Math.max(0, t0 + at - performance.now()));
      checkpoints.push(await checkpoint(hub, ports, label, t0, done));
      if (label === "start") cpuMeasured = await hub.call<Usage>("usage");
      log(`${label}: ${fmt(checkpoints.at(-1)!.seconds)} s, ${outcomes.length} requests, RSS ${formatBytes(checkpoints.at(-1)!.rss)}, ${checkpoints.at(-1)!.fds} fds`);
    }
    await running;
    const cpuEnd = await hub.call<Usage>("usage");
    const wallSeconds = (performance.now() - t0) / 1000;
    // Idle again: what is still open once every client is done.
    await Bun.sleep(2_000);
    checkpoints.push(await checkpoint(hub, ports, "2 s after the load", t0, done));

    const measured = { from: t0 + warmupMs, to: deadline };
    const report = buildReport(outcomes, checkpoints, measured, wallSeconds, (cpuEnd.cpuUs - cpuMeasured.cpuUs) / 1e6, cpuEnd.cpuUs - cpuStart.cpuUs);
    printReport(report);
    if (!report.verdict.pass) exit = 1;
    if (report.served === 0) exit = 2;
    if (config.jsonFile) {
      const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform, arch: process.arch };
      await Bun.write(config.jsonFile, JSON.stringify({ date: new Date().toISOString(), revision, machine, config, ...report }, null, 2) + "\n");
      log(`wrote ${config.jsonFile}`);
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
  process.exitCode = exit;
}

/** `measured`: the part after the warm-up (performance.now() times); TTFT and latency count only requests started in it. */
function buildReport(outcomes: Outcome[], checkpoints: Checkpoint[], measured: { from: number; to: number }, wallSeconds: number, hubCpuSeconds: number, totalCpuUs: number) {
  const byKind: Record<string, { served: number; aborted: number; errors: number }> = {};
  const errors: Record<string, number> = {};
  const ttft: number[] = [];
  const json: number[] = [];
  const halves: [number[], number[]] = [[], []];
  const middle = (measured.from + measured.to) / 2;
  for (const o of outcomes) {
    const k = (byKind[o.kind] ??= { served: 0, aborted: 0, errors: 0 });
    if (o.error) {
      k.errors++;
      errors[o.error] = (errors[o.error] ?? 0) + 1;
    } else if (o.aborted) k.aborted++;
    else k.served++;
    if (o.at < measured.from) continue;
    if (o.ttftMs !== undefined && !o.error) (ttft.push(o.ttftMs), halves[o.at < middle ? 0 : 1].push(o.ttftMs));
    if (o.latencyMs !== undefined) json.push(o.latencyMs);
  }
  const [, start, mid, end] = checkpoints as [Checkpoint, Checkpoint, Checkpoint, Checkpoint, Checkpoint];
  const growth = { rss: end.rss / start.rss - 1, fds: end.fds / start.fds - 1, heap: end.heapUsed / start.heapUsed - 1 };
  const served = Object.values(byKind).reduce((a, k) => a + k.served + k.aborted, 0);
  return {
    served,
    total: outcomes.length,
    requestsPerSecond: outcomes.length / wallSeconds,
    byKind,
    errors,
    ttft: { p50Ms: percentile(ttft, 50), p99Ms: percentile(ttft, 99), count: ttft.length, firstHalf: { p50Ms: percentile(halves[0], 50), p99Ms: percentile(halves[0], 99) }, secondHalf: { p50Ms: percentile(halves[1], 50), p99Ms: percentile(halves[1], 99) } },
    json: { p50Ms: percentile(json, 50), p99Ms: percentile(json, 99), count: json.length },
    hubCpu: { shareOfOneCpu: hubCpuSeconds / ((measured.to - measured.from) / 1000), usPerRequest: totalCpuUs / outcomes.length },
    checkpoints,
    growth,
    verdict: { pass: growth.rss < GROWTH_LIMIT && growth.fds < GROWTH_LIMIT, limit: GROWTH_LIMIT, between: [start.label, mid.label, end.label] },
  };
}

function printReport(r: ReturnType<typeof buildReport>): void {
  log(`\n${r.total} requests (${fmt(r.requestsPerSecond)}/s): ${r.served} served as asked (streams the client abandoned included), ${r.total - r.served} errors`);
  log(`\n| kind | complete | abandoned by the client | errors |\n|---|---:|---:|---:|`);
  for (const m of MIX) {
    const k = r.byKind[m.name] ?? { served: 0, aborted: 0, errors: 0 };
    log(`| ${m.name} | ${k.served} | ${k.aborted} | ${k.errors} |`);
  }
  log(`\nerrors by kind: ${Object.keys(r.errors).length === 0 ? "none" : Object.entries(r.errors).map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  log(`TTFT (after the warm-up, ${r.ttft.count} streams): p50 ${fmt(r.ttft.p50Ms)} ms, p99 ${fmt(r.ttft.p99Ms)} ms (first half ${fmt(r.ttft.firstHalf.p50Ms)} / ${fmt(r.ttft.firstHalf.p99Ms)}, second half ${fmt(r.ttft.secondHalf.p50Ms)} / ${fmt(r.ttft.secondHalf.p99Ms)})`);
  log(`JSON latency (${r.json.count} requests): p50 ${fmt(r.json.p50Ms)} ms, p99 ${fmt(r.json.p99Ms)} ms`);
  log(`hub CPU: ${(r.hubCpu.shareOfOneCpu * 100).toFixed(0)}% of one CPU after the warm-up, ${fmt(r.hubCpu.usPerRequest)} µs per request`);
  log(`\n| hub | at | requests done | RSS | heap after GC | open fds | sockets: from clients / to the participant / listening / other |\n|---|---:|---:|---:|---:|---:|---:|`);
  for (const c of r.checkpoints) log(`| ${c.label} | ${fmt(c.seconds)} s | ${c.requests} | ${formatBytes(c.rss)} | ${formatBytes(c.heapUsed)} | ${c.fds} | ${c.tcp.accepted} / ${c.tcp.outbound} / ${c.tcp.listening} / ${c.tcp.other} |`);
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
  log(`\ngrowth start → end: RSS ${pct(r.growth.rss)}, fds ${pct(r.growth.fds)} (heap after GC ${pct(r.growth.heap)})`);
  log(`${r.verdict.pass ? "PASS" : "FAIL"}: hub RSS and open fds grew less than ${r.verdict.limit * 100}% from start to end`);
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  process.exitCode = 2;
});
