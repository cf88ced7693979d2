/**
 * What issue 16's recording (/metrics and the ledger) costs per request *inside* a running hub,
 * step by step: timers around each step, patched into a scratch worktree (never into the
 * checkout it is run from), which then prints `TIMING step=µs×count …` to stderr every 3 s.
 * The in-process loop (metrics-cost.ts) finds the same calls 3–5 times cheaper than they are in
 * a hub serving requests, and ab.ts's end-to-end CPU per request cannot tell 2 µs from this
 * VM's noise; these timers can. Each timer costs ~0.07–0.1 µs itself (`noop` says how much).
 *
 *   git worktree add /tmp/timed HEAD && ln -s "$PWD/node_modules" /tmp/timed/node_modules
 *   bun bench/experiments/recording-timers.ts /tmp/timed
 *   [BENCH_BEARER=sk-x] bun bench/experiments/ab.ts --rounds 2 --only chat-json-c32 /tmp/timed 2>&1 | grep TIMING
 *
 * Steps: `usage` (a passthrough body's usage read off its bytes), `build` (the attempt's record,
 * the caller's token or address included), `metrics` and `ledger` (adding the record, and the
 * batch's fold every 128th time), `leased` (the queue-wait and hub-overhead histograms, observed
 * as a request leaves for its participant; `leased` and `waited` in checkouts that made two calls).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = Bun.argv[2];
if (!dir) throw new Error("usage: bun bench/experiments/recording-timers.ts SCRATCH_WORKTREE");

const TIMING = `export const T: Record<string, { ms: number; n: number }> = {};
export function timed<R>(name: string, f: () => R): R {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    const e = (T[name] ??= { ms: 0, n: 0 });
    e.ms += performance.now() - t0;
    e.n++;
  }
}
setInterval(() => {
  const parts = Object.entries(T).map(([k, v]) => \`\${k}=\${((v.ms * 1000) / Math.max(1, v.n)).toFixed(2)}µs×\${v.n}\`);
  if (parts.length) console.error("TIMING", parts.join(" "));
  for (const k of Object.keys(T)) delete T[k];
}, 3000).unref();
`;

/** Each edit: [from, to], or a list of such alternatives of which the first found is made (older checkouts). */
type Edit = [string, string] | [string, string][];

function patch(file: string, importLine: string, edits: Edit[]): void {
  const path = join(dir!, file);
  let text = readFileSync(path, "utf8");
  for (const edit of edits) {
    const choices = typeof edit[0] === "string" ? [edit as [string, string]] : (edit as [string, string][]);
    const found = choices.find(([from]) => text.includes(from));
    if (!found) throw new Error(`${file}: no "${choices[0]![0].slice(0, 70)}" (the code moved: update this script)`);
    text = text.replace(found[0], found[1]);
  }
  writeFileSync(path, `${importLine}\n${text}`);
}

const SIGNATURE = "private attemptEnd(participant: Participant, model: string, adapted: boolean, outcome: RelayOutcome, failed: boolean, final: boolean, startedAt: number, endedAt: number): AttemptEnd {";
writeFileSync(join(dir, "src/timing.ts"), TIMING);
patch("src/hub/inference/dispatch.ts", 'import { timed } from "../../timing.ts";', [
  [
    SIGNATURE,
    `${SIGNATURE}\n    return timed("build", () => this.untimedAttemptEnd(participant, model, adapted, outcome, failed, final, startedAt, endedAt));\n  }\n\n  ${SIGNATURE.replace("attemptEnd", "untimedAttemptEnd")}`,
  ],
  [
    "    this.ctx.metrics.attemptEnded(a);\n    this.ctx.ledger.attemptEnded(a);",
    "    timed('metrics', () => this.ctx.metrics.attemptEnded(a));\n    timed('ledger', () => this.ctx.ledger.attemptEnded(a));\n    timed('noop', () => 0);",
  ],
  [
    // Since the queue wait and the hub's overhead are observed in one call:
    ["if (attempt.first) ctx.metrics.leased(", "if (attempt.first) timed('leased', () => ctx.metrics.leased("],
    // Before, two calls:
    [
      "ctx.metrics.hubOverhead(this.protocol, Math.max(0, (performance.now() - this.arrivedAt - this.queueMs) / 1000));",
      "timed('leased', () => ctx.metrics.hubOverhead(this.protocol, Math.max(0, (performance.now() - this.arrivedAt - this.queueMs) / 1000)));",
    ],
  ],
  [
    [": undefined);", ": undefined));"],
    ["ctx.metrics.waited(room.code, lease.waitedMs);", "timed('waited', () => ctx.metrics.waited(room.code, lease.waitedMs));"],
  ],
]);
patch("src/proxy/relay-passthrough.ts", 'import { timed } from "../timing.ts";', [["observation.usage = usageInChatBytes(bytes);", "observation.usage = timed('usage', () => usageInChatBytes(bytes));"]]);
console.log(`${dir}: timers in (src/timing.ts); run a hub from it`);
