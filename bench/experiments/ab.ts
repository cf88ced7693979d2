/**
 * A/B of the hub itself: the same workloads through the bare proxy and through hubs started from
 * other checkouts (each runs its own `bench/lib/hub-server.ts`, so its own `src/`), interleaved
 * round by round so the machine's noise falls on every side alike. Says whether a change made
 * the hub cheaper or dearer, which two separate proxy.ts runs on a noisy machine cannot.
 *
 *   bun bench/experiments/ab.ts [--rounds N] [--run-ms MS] [--only a,b] DIR [DIR…]
 *   AB_BEFORE_POOLING=DIR,… names checkouts from before rooms pooled (their joins take no
 *   maxConcurrency), AB_BEFORE_EMBEDDINGS=DIR,… those from before embeddings (no embeddingModels)
 *
 * e.g. `git worktree add /tmp/before HEAD~3 && (cd /tmp/before && npm ci)`, then
 * `bun bench/experiments/ab.ts /tmp/before .`. Pinned as proxy.ts pins: load generator and
 * upstream on CPU 0; proxies on CPU 1 under load, on CPU 0 at c=1. Reports, per workload and
 * side, the median over rounds of the proxy's CPU µs per request (and per event for streams)
 * and of its throughput (or p50) as a ratio to the bare proxy's in the same round.
 *
 * The adapted workloads (`… ← …`) send one protocol to a room whose only participant speaks
 * another (upstream-server.ts's one-protocol paths), so the hub translates: the bare proxy cannot,
 * and sits them out; their ratio is to the first checkout's score in the same round, and their
 * CPU is per event the client received.
 */
import { setAffinity, spawnChild, type Child, type Usage } from "../lib/children.ts";
import { jsonOnce, runCount, runFor, streamOnce, type RunResult, type Sample } from "../lib/load.ts";
import { setupRoom, type Speaks } from "../lib/rooms.ts";
import { threadCpuMs } from "../lib/proc.ts";
import { chatBody, chatBodyOfSize, embeddingsBody, messagesBody, responsesBody } from "../lib/scenarios.ts";
import { median } from "../lib/stats.ts";

interface Workload {
  name: string;
  serial: boolean;
  path: "/chat/completions" | "/responses" | "/embeddings" | "/messages";
  body: string;
  /** An adapted workload: the room's one participant, an upstream path that speaks one protocol. */
  participant?: { path: string; speaks: Speaks };
  run(once: () => Promise<Sample>): Promise<RunResult>;
  /** Higher is better: requests or events per second; for c=1, 1 / p50. */
  score(r: RunResult): number;
  stream: boolean;
}

function args(argv: string[]) {
  let rounds = 7;
  let runMs = 1000;
  let only: string[] | undefined;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--rounds") rounds = Number(argv[++i]);
    else if (a === "--run-ms") runMs = Number(argv[++i]);
    else if (a === "--only") only = argv[++i]!.split(",");
    else dirs.push(a);
  }
  if (dirs.length === 0) throw new Error("usage: bun bench/experiments/ab.ts [--rounds N] [--run-ms MS] [--only a,b] DIR [DIR…]");
  return { rounds, runMs, only, dirs };
}

const { rounds, runMs, only, dirs } = args(Bun.argv.slice(2));
const p50 = (r: RunResult) => median(r.samples.map((s) => s.totalMs));
const ttft = (r: RunResult) => median(r.samples.map((s) => s.firstMs));
const ALL: Workload[] = [
  { name: "chat-json-c32", serial: false, path: "/chat/completions", body: chatBody(false), stream: false, run: (o) => runFor(32, runMs, o), score: (r) => (r.samples.length * 1000) / r.wallMs },
  // Needs checkouts that serve embeddings (leave it out with --only for older ones).
  { name: "embeddings-json-c32", serial: false, path: "/embeddings", body: embeddingsBody(), stream: false, run: (o) => runFor(32, runMs, o), score: (r) => (r.samples.length * 1000) / r.wallMs },
  // Chat answered with as many bytes as the embedding above (14,553): what the answer's size costs, apart from the route.
  { name: "chat-json-15k-c32", serial: false, path: "/chat/completions", body: chatBodyOfSize(14_553), stream: false, run: (o) => runFor(32, runMs, o), score: (r) => (r.samples.length * 1000) / r.wallMs },
  { name: "responses-json-c32", serial: false, path: "/responses", body: responsesBody(false), stream: false, run: (o) => runFor(32, runMs, o), score: (r) => (r.samples.length * 1000) / r.wallMs },
  { name: "chat-json-c1", serial: true, path: "/chat/completions", body: chatBody(false), stream: false, run: (o) => runCount(1, 600, o), score: (r) => 1 / p50(r) },
  { name: "chat-ttft-c1", serial: true, path: "/chat/completions", body: chatBody(true, "event"), stream: true, run: (o) => runCount(1, 100, o), score: (r) => 1 / ttft(r) },
  { name: "chat-burst-c64", serial: false, path: "/chat/completions", body: chatBody(true, "burst"), stream: true, run: (o) => runFor(64, runMs, o), score: (r) => (r.events * 1000) / r.wallMs },
  { name: "responses-burst-c64", serial: false, path: "/responses", body: responsesBody(true, "burst"), stream: true, run: (o) => runFor(64, runMs, o), score: (r) => (r.events * 1000) / r.wallMs },
  { name: "chat-stream-c64", serial: false, path: "/chat/completions", body: chatBody(true, "event"), stream: true, run: (o) => runFor(64, runMs, o), score: (r) => (r.events * 1000) / r.wallMs },
  ...adapted("responses←messages", "/responses", responsesBody(true), { path: "/messages-only/burst", speaks: "messages" }),
  ...adapted("chat←messages", "/chat/completions", chatBody(true), { path: "/messages-only/burst", speaks: "messages" }),
  ...adapted("messages←chat", "/messages", messagesBody(true), { path: "/chat-only/burst", speaks: "chat" }),
  ...adapted("messages←responses", "/messages", messagesBody(true), { path: "/responses-only/burst", speaks: "responses" }),
  ...adapted("responses←chat", "/responses", responsesBody(true), { path: "/chat-only/burst", speaks: "chat" }),
  ...adapted("chat←responses", "/chat/completions", chatBody(true), { path: "/responses-only/burst", speaks: "responses" }),
];

/** A translated burst at c=64: the participant's path says to answer in one write. */
function adapted(name: string, path: Workload["path"], body: string, participant: Workload["participant"]): Workload[] {
  return [{ name: `${name}-burst-c64`, serial: false, path, body, participant, stream: true, run: (o) => runFor(64, runMs, o), score: (r) => (r.events * 1000) / r.wallMs }];
}
const WORKLOADS = ALL.filter((w) => !only || only.includes(w.name));

setAffinity(process.pid, "0");
const here = import.meta.dir;
const children: Child<{ url: string }>[] = [];
const upstream = await spawnChild<{ url: string }>(`${here}/../lib/upstream-server.ts`, { cpus: "0" });
children.push(upstream);
const bare = await spawnChild<{ url: string }>(`${here}/../lib/bare-proxy.ts`, { cpus: "1", env: { BENCH_UPSTREAM_URL: upstream.info.url } });
children.push(bare);
interface Side {
  name: string;
  child: Child<{ url: string }>;
  base: string;
  /** A room per adapted participant path (hubs only). */
  adapted: Record<string, string>;
}
const sides: Side[] = [{ name: "bare", child: bare, base: `${bare.info.url}/rooms/bare`, adapted: {} }];
async function setUp(): Promise<void> {
  for (const dir of dirs) {
    const hub = await spawnChild<{ url: string }>(`${dir}/bench/lib/hub-server.ts`, { cpus: "1" });
    children.push(hub);
    // A checkout from before rooms pooled takes no maxConcurrency and says no Responses state.
    const listed = (name: string) => process.env[name]?.split(",").includes(dir) ?? false;
    const code = await setupRoom(hub.info.url, upstream.info.url, "ab", "both", listed("AB_BEFORE_POOLING") ? "pooling" : listed("AB_BEFORE_EMBEDDINGS") ? "embeddings" : undefined);
    const rooms: Record<string, string> = {};
    for (const w of WORKLOADS) {
      if (w.participant && !rooms[w.participant.path]) rooms[w.participant.path] = `${hub.info.url}/rooms/${await setupRoom(hub.info.url, upstream.info.url + w.participant.path, `ab ${w.participant.path}`, w.participant.speaks)}`;
    }
    sides.push({ name: dir, child: hub, base: `${hub.info.url}/rooms/${code}`, adapted: rooms });
  }
}

/** The sides a workload runs on: all, or the hubs for an adapted one. */
const sidesOf = (w: Workload): Side[] => (w.participant ? sides.slice(1) : sides);
const targetOf = (w: Workload, s: Side) => ({ url: `${w.participant ? s.adapted[w.participant.path] : s.base}/v1${w.path}`, body: w.body });

/** Every workload once on every side. */
async function pass(): Promise<void> {
  for (const w of WORKLOADS) {
    for (const s of sidesOf(w)) setAffinity(s.child.pid, w.serial ? "0" : "1");
    for (const s of sidesOf(w)) {
      const target = targetOf(w, s);
      await w.run(w.stream ? () => streamOnce(target) : () => jsonOnce(target));
    }
  }
}

/**
 * Passes until no side's JIT threads (`JITWorker`) worked more than 20 ms in one (at most 8):
 * a hub keeps compiling for thousands of requests, which would count as its cost in the first
 * rounds, unevenly between checkouts of different sizes (bench/README.md).
 */
async function settle(): Promise<void> {
  for (let n = 1; n <= 8; n++) {
    const before = sides.map((s) => threadCpuMs(s.child.pid, "JITWorker"));
    await pass();
    const used = sides.map((s, i) => threadCpuMs(s.child.pid, "JITWorker") - before[i]!);
    if (used.every((ms) => ms <= 20)) return void console.error(`JIT settled after ${n} warm-up passes`);
  }
  console.error("JIT still compiling after 8 warm-up passes");
}

const cpu: Record<string, Record<string, number[]>> = {};
const ratio: Record<string, Record<string, number[]>> = {};
try {
  await setUp();
  await settle();
  for (let round = 0; round <= rounds; round++) {
    for (const w of WORKLOADS) {
      const scores: Record<string, number> = {};
      // Rotate the order so no side always runs first.
      const on = sidesOf(w);
      const order = on.map((_, i) => on[(i + round) % on.length]!);
      for (const s of order) setAffinity(s.child.pid, w.serial ? "0" : "1");
      for (const s of order) {
        const target = targetOf(w, s);
        const once = w.stream ? () => streamOnce(target) : () => jsonOnce(target);
        const before = await s.child.call<Usage>("usage");
        const r = await w.run(once);
        const after = await s.child.call<Usage>("usage");
        scores[s.name] = w.score(r);
        // Round 0 warms every side up.
        if (round === 0) continue;
        const per = w.stream ? r.events : r.samples.length;
        ((cpu[w.name] ??= {})[s.name] ??= []).push((after.cpuUs - before.cpuUs) / per);
      }
      const against = scores[on[0]!.name]!;
      if (round > 0) for (const s of on) ((ratio[w.name] ??= {})[s.name] ??= []).push(scores[s.name]! / against);
    }
    if (round > 0) console.error(`round ${round}/${rounds} done`);
  }
  for (const w of WORKLOADS) {
    console.log(`\n${w.name}: proxy CPU µs per ${w.stream ? "event" : "request"} (median, min) · score ÷ ${w.participant ? "the first checkout's" : "bare"} (median)`);
    for (const s of sidesOf(w)) {
      const c = cpu[w.name]![s.name]!;
      console.log(`  ${s.name.padEnd(28)} ${median(c).toFixed(w.stream ? 3 : 1).padStart(8)} ${Math.min(...c).toFixed(w.stream ? 3 : 1).padStart(8)}   ${median(ratio[w.name]![s.name]!).toFixed(3)}`);
    }
  }
} finally {
  for (const c of children) await c.stop();
}
