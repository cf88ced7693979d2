/**
 * What /metrics and the usage ledger (src/hub/metrics/, src/hub/ledger/) cost per request, in
 * process, against the alternatives issue 16 asked to weigh:
 *
 * - **hand-written** (what the hub does): `HubMetrics.attemptEnded` + `Ledger.attemptEnded` for
 *   one ended attempt, with the queue-wait and hub-overhead histograms and a cached caller label:
 *   everything dispatch.ts adds per request;
 * - **prom-client** 15 (the usual Node library) recording the same figures: a 7-label counter,
 *   two 5-label histograms, four 3-label counters, the queue-wait and overhead histograms. Only
 *   when it can be imported: `PROM_CLIENT=/path/to/node_modules/prom-client bun …` (it is not
 *   a dependency of gambi; `npm install --prefix /tmp/pc prom-client` gives one);
 * - the ledger written to SQLite **per request** (one prepared upsert each, WAL, synchronous
 *   FULL as the room database runs, and NORMAL), against the hub's **batch** (a transaction of
 *   one upsert per changed row, every second: measured per row);
 * - the caller label: an HMAC each time against the cache (Bun.hash → label);
 * - a passthrough chat body's usage: the whole body parsed against `usageInChatBytes`.
 *
 *   bun bench/experiments/metrics-cost.ts
 *
 * Prints the mean µs per operation over 5 runs (after a warm-up), pinned to CPU 0.
 */
import { Database } from "bun:sqlite";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setAffinity } from "../lib/children.ts";
import { HubMetrics } from "../../src/hub/metrics/hub-metrics.ts";
import { Ledger } from "../../src/hub/ledger/ledger.ts";
import { callerToken } from "../../src/hub/access/caller.ts";
import { memoryLedgerStore } from "../../src/hub/persist/ledger-store.ts";
import { LEDGER_MIGRATION, sqliteLedgerStore } from "../../src/hub/persist/ledger-sql.ts";
import type { AttemptEnd } from "../../src/hub/inference/attempt-end.ts";
import type { Participant, Room } from "../../src/hub/rooms/types.ts";
import { usageFromChat } from "../../src/protocol/observe.ts";
import { usageInChatBytes } from "../../src/protocol/usage-in-bytes.ts";

setAffinity(process.pid, "0");

function measure(name: string, n: number, op: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 100_000); i++) op(i);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) op(i);
    runs.push(((performance.now() - t) * 1000) / n);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name.padEnd(64)} ${runs[2]!.toFixed(3)} µs (runs ${runs[0]!.toFixed(3)}–${runs[4]!.toFixed(3)})`);
  return runs[2]!;
}

const TOKENS = Array.from({ length: 8 }, (_, i) => `sk-caller-${i}`);
const room = { id: "room-id-1", code: "K7QX2M", createdAt: 0, passwordHash: null } as unknown as Room;
const participants = ["p-alice", "p-bob", "p-carol"].map((id) => ({ id, nickname: id.slice(2) }) as unknown as Participant);
const attempt = (i: number): AttemptEnd => ({
  room,
  participant: participants[i % 3],
  model: "llama3",
  protocol: "chat",
  stream: true,
  adapted: false,
  result: "ok",
  stage: undefined,
  final: true,
  ttftMs: 120 + (i % 50),
  durationMs: 900 + (i % 300),
  generationMs: 780,
  inputTokens: 812,
  outputTokens: 256,
  estimatedInputTokens: 0,
  estimatedOutputTokens: 0,
  callerKind: "t:",
  callerId: TOKENS[i % 8]!,
});

/** Eight callers, each with its bearer token, as SDK clients send them. */
const CALLERS = Array.from({ length: 8 }, (_, i) => new Request("http://hub/", { headers: { authorization: `Bearer sk-caller-${i}` } }));
const metrics = new HubMetrics();
const ledger = new Ledger(memoryLedgerStore());
console.log("per request, everything dispatch.ts adds:");
const ours = measure("hand-written: metrics + ledger + queue wait + overhead", 1_000_000, (i) => {
  const a = attempt(i);
  metrics.leased(room.code, "chat", 0, 0.00004);
  metrics.attemptEnded(a);
  ledger.attemptEnded(a);
});
measure("  of which the metrics alone", 1_000_000, (i) => metrics.attemptEnded(attempt(i)));
measure("  of which the ledger alone (caller label cached)", 1_000_000, (i) => ledger.attemptEnded(attempt(i)));
measure("  the AttemptEnd object alone", 1_000_000, (i) => void attempt(i));

const promPath = process.env.PROM_CLIENT;
if (promPath) {
  // Not a dependency: typed here by what is used of it.
  type Labelled = { inc(labels: Record<string, string>, n?: number): void; observe(labels: Record<string, string>, v: number): void };
  const prom = (await import(promPath)) as { Registry: new () => unknown; Counter: new (o: object) => Labelled; Histogram: new (o: object) => Labelled };
  const registry = new prom.Registry();
  const base = ["room", "participant", "model", "protocol", "adapted"] as const;
  const requests = new prom.Counter({ name: "r_total", help: "h", labelNames: [...base, "result", "stage"], registers: [registry] });
  const ttft = new prom.Histogram({ name: "ttft", help: "h", labelNames: [...base], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: [registry] });
  const duration = new prom.Histogram({ name: "dur", help: "h", labelNames: [...base], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: [registry] });
  const tok = ["in", "out", "ein", "eout"].map((n) => new prom.Counter({ name: `${n}_total`, help: "h", labelNames: ["room", "participant", "model"], registers: [registry] }));
  const wait = new prom.Histogram({ name: "wait", help: "h", labelNames: ["room"], registers: [registry] });
  const overhead = new prom.Histogram({ name: "over", help: "h", labelNames: ["protocol"], registers: [registry] });
  const theirs = measure("prom-client 15: the same figures (labels objects)", 1_000_000, (i) => {
    const a = attempt(i);
    const labels = { room: a.room.code, participant: a.participant!.id, model: a.model!, protocol: a.protocol, adapted: a.adapted ? "true" : "false" };
    wait.observe({ room: a.room.code }, 0);
    overhead.observe({ protocol: "chat" }, 0.00004);
    requests.inc({ ...labels, result: "ok", stage: "none" });
    ttft.observe(labels, a.ttftMs! / 1000);
    duration.observe(labels, a.durationMs / 1000);
    const short = { room: a.room.code, participant: a.participant!.id, model: a.model! };
    tok[0]!.inc(short, a.inputTokens);
    tok[1]!.inc(short, a.outputTokens);
    tok[2]!.inc(short, 0);
    tok[3]!.inc(short, 0);
  });
  console.log(`  prom-client ÷ hand-written (metrics + ledger): ${(theirs / ours).toFixed(1)}×`);
} else console.log("prom-client: not measured (set PROM_CLIENT to its folder)");

console.log("\nthe ledger on disk:");
const dir = mkdtempSync(join(tmpdir(), "gambi-metrics-cost-"));
for (const sync of ["FULL", "NORMAL"]) {
  const db = new Database(join(dir, `l-${sync}.db`), { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${sync}`);
  db.exec(LEDGER_MIGRATION);
  const store = sqliteLedgerStore(db, { salt: () => randomBytes(32), now: Date.now });
  const onDisk = new Ledger(store);
  onDisk.attemptEnded(attempt(0));
  const [p, c] = onDisk.rowsOf(room);
  measure(`per request: one upsert, synchronous ${sync}`, sync === "FULL" ? 2_000 : 20_000, (i) => store.save([{ roomId: room.id, row: i % 2 ? p! : c! }]));
  const batch = Array.from({ length: 100 }, (_, i) => ({ roomId: `room-${i % 10}`, row: { ...p!, id: `p-${i}` } }));
  const perBatch = measure(`a flush of 100 changed rows, synchronous ${sync} (per flush)`, sync === "FULL" ? 200 : 2_000, () => store.save(batch));
  console.log(`  = ${(perBatch / 100).toFixed(2)} µs per row, once a second however many requests changed it`);
  store.finalize();
  db.close();
}
rmSync(dir, { recursive: true, force: true });

console.log("\ncaller labels and usage:");
const salt = randomBytes(32);
measure("caller label: HMAC-SHA-256 every time", 300_000, (i) => void createHmac("sha256", salt).update(`t:sk-caller-${i % 8}`).digest("hex").slice(0, 8));
measure("caller: the bearer read off a request (headers.get, the scheme cut)", 1_000_000, (i) => void callerToken(false, CALLERS[i % 8]!));
const body = new TextEncoder().encode(
  JSON.stringify({ id: "chatcmpl-1", object: "chat.completion", created: 1, model: "bench-model", choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I help you today? ".repeat(5) }, finish_reason: "stop" }], usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 } }),
);
const decoder = new TextDecoder();
measure(`a ${body.length}-byte chat body: decoded and parsed whole`, 300_000, () => void usageFromChat((JSON.parse(decoder.decode(body)) as { usage: unknown }).usage));
measure(`the same: usageInChatBytes (the usage object alone)`, 300_000, () => void usageInChatBytes(body));
