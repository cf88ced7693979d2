/**
 * Pooling benchmark (issue 13): a room of fake participants that behave like real ones
 * (lib/pool-participants.ts: a capacity, a service time, one flaky, one rate-limited, one that
 * answers 429 past its capacity), under closed-loop streaming callers: one heavy (32 in flight)
 * and four light ones (2 each), all naming themselves by their bearer token. The same room is
 * measured with the hub as it is (`pool`) and with queueing, capacity limits, cooldowns and
 * failover turned off (`off`: `BENCH_POOL=off`, the behaviour before issue 13), each on fresh
 * processes. Figures and targets: lib/pool-report.ts.
 *
 *   bun bench/pool.ts [--seconds S] [--warmup S] [--idle-seconds S] [--variants pool,off] [--json FILE]
 *
 * Exits 1 if a target is missed by the `pool` variant, 2 if the bench itself failed.
 */
import { writeFileSync } from "node:fs";
import { spawnChild } from "./lib/children.ts";
import { closedLoop, followEvents, type Done } from "./lib/pool-load.ts";
import { judgePool, poolFigures, printPool, type CallerSpec, type PoolFigures } from "./lib/pool-report.ts";
import type { ParticipantSpec, ParticipantStats } from "./lib/pool-participants.ts";
import { percentile } from "./lib/stats.ts";

const log = (s: string) => console.log(s);

/** Forty-token answers at 100–400 tokens/s: 0.1–0.4 s each, so a run of seconds sees thousands. */
const SPECS: ParticipantSpec[] = [
  { name: "laptop", capacity: 2, tokensPerSecond: 100, over: "queue", prefillMs: 20, tokens: 40 },
  { name: "gpu", capacity: 8, tokensPerSecond: 400, over: "queue", prefillMs: 20, tokens: 40 },
  { name: "hosted", capacity: 4, tokensPerSecond: 200, over: "429", prefillMs: 20, tokens: 40 },
  { name: "flaky", capacity: 4, tokensPerSecond: 200, over: "queue", prefillMs: 20, tokens: 40, flaky: 0.2 },
  { name: "limited", capacity: 4, tokensPerSecond: 200, over: "queue", prefillMs: 20, tokens: 40, perWindow: 40, windowMs: 10_000 },
];

const CALLERS: CallerSpec[] = [
  { name: "heavy", cls: "heavy", concurrency: 32 },
  ...[1, 2, 3, 4].map((n): CallerSpec => ({ name: `light-${n}`, cls: "light", concurrency: 2 })),
];

function args(argv: string[]) {
  const o = { seconds: 30, warmup: 3, idleSeconds: 5, variants: ["pool", "off"], json: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--seconds") o.seconds = Number(argv[++i]);
    else if (a === "--warmup") o.warmup = Number(argv[++i]);
    else if (a === "--idle-seconds") o.idleSeconds = Number(argv[++i]);
    else if (a === "--variants") o.variants = argv[++i]!.split(",");
    else if (a === "--json") o.json = argv[++i];
    else throw new Error(`usage: bun bench/pool.ts [--seconds S] [--warmup S] [--idle-seconds S] [--variants pool,off] [--json FILE]`);
  }
  return o;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Joins with the capacity declared; a hub without `maxConcurrency` (before issue 13) is joined without it. */
async function join(hubUrl: string, code: string, name: string, endpoint: string, capacity: number): Promise<void> {
  const body = { id: name, nickname: name, model: "bench-model", endpoint };
  let res = await post(`${hubUrl}/rooms/${code}/join`, { ...body, maxConcurrency: capacity });
  if (res.status === 400) res = await post(`${hubUrl}/rooms/${code}/join`, body);
  if (res.status !== 201) throw new Error(`join ${name}: HTTP ${res.status} ${await res.text()}`);
}

async function runVariant(variant: string, o: ReturnType<typeof args>): Promise<PoolFigures> {
  const participants = await spawnChild<{ urls: { name: string; url: string }[] }>(`${import.meta.dir}/lib/pool-participants.ts`, {
    env: { POOL_SPECS: JSON.stringify(SPECS) },
    // Bun reports each injected reset (a body that errors before its first byte) on stderr.
    quietStderr: true,
  });
  const hub = await spawnChild<{ url: string }>(`${import.meta.dir}/lib/hub-server.ts`, { env: variant === "off" ? { BENCH_POOL: "off" } : {} });
  try {
    const created = await post(`${hub.info.url}/rooms`, { name: "pool bench" });
    const code = ((await created.json()) as { room: { code: string } }).room.code;
    for (const p of participants.info.urls) await join(hub.info.url, code, p.name, p.url, SPECS.find((s) => s.name === p.name)!.capacity);
    const url = `${hub.info.url}/rooms/${code}/v1/chat/completions`;
    const stop = new AbortController();

    // An idle room: one light caller alone, for the TTFT it gets when nobody else is there.
    const idle: Done[] = [];
    await closedLoop(url, "idle", "light", 2, performance.now() + o.idleSeconds * 1000, idle, stop.signal);
    const idleTtft = percentile(idle.filter((d) => d.ok && d.ttftMs !== undefined).map((d) => d.ttftMs!), 50);

    const events = followEvents(`${hub.info.url}/rooms/${code}/events`);
    const done: Done[] = [];
    const start = performance.now();
    const from = start + o.warmup * 1000;
    const to = from + o.seconds * 1000;
    const before = (await participants.call<ParticipantStats[]>("stats")).map((s) => ({ ...s }));
    let atFrom: ParticipantStats[] = before;
    const snapshot = setTimeout(async () => (atFrom = await participants.call<ParticipantStats[]>("stats")), o.warmup * 1000);
    await Promise.all(CALLERS.map((c) => closedLoop(url, c.name, c.cls, c.concurrency, to, done, stop.signal)));
    clearTimeout(snapshot);
    const atTo = await participants.call<ParticipantStats[]>("stats");
    events.stop();
    // The participants' counts over the measured window (peak: over the whole run).
    const stats = atTo.map((s, i) => ({ ...s, requests: s.requests - atFrom[i]!.requests, provoked429: s.provoked429 - atFrom[i]!.provoked429, started: s.started - atFrom[i]!.started, injected: s.injected - atFrom[i]!.injected }));
    return poolFigures({ variant, window: { from, to }, done, said: events.said, retries: events.retries(), callers: CALLERS, specs: SPECS, stats, idleLightTtftP50: idleTtft });
  } finally {
    await hub.stop();
    await participants.stop();
  }
}

async function main(): Promise<number> {
  const o = args(Bun.argv.slice(2));
  log(`pool bench: ${SPECS.length} participants (${SPECS.map((s) => `${s.name} ×${s.capacity}`).join(", ")}), callers ${CALLERS.map((c) => `${c.name} ×${c.concurrency}`).join(", ")}; ${o.warmup} s warm-up, ${o.seconds} s measured, per variant`);
  const all: PoolFigures[] = [];
  for (const v of o.variants) {
    log(`running ${v}…`);
    all.push(await runVariant(v, o));
  }
  printPool(all, log);
  if (o.json) writeFileSync(o.json, JSON.stringify(all, null, 2));
  const pooled = all.find((f) => f.variant === "pool");
  if (!pooled) return 0;
  log("");
  let failed = false;
  for (const t of judgePool(pooled)) {
    log(`${t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.value}`);
    failed ||= !t.pass;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
