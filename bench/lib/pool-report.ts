/**
 * The figures of pool.ts, from the requests the callers completed in the measured window, what
 * the hub said of them, and what the participants counted.
 *
 * Fairness: Jain's index over the callers' slot shares, each divided by its max-min fair share.
 * A caller's slot share is the time its requests spent being served (duration less the queue
 * wait the hub reported) over the window, i.e. how many participant slots it held on average;
 * its fair share is what water-filling the slots in use over the callers' demands (their
 * concurrency) gives it. A light caller with 2 requests in flight is owed 2 slots, not a fifth
 * of the room; the heavy caller is owed the rest. 1.0 is perfectly fair; a FIFO queue in front
 * of 22 slots with demands 32, 2, 2, 2, 2 scores about 0.86.
 */
import { percentile } from "./stats.ts";
import type { Done, HubSays } from "./pool-load.ts";
import type { ParticipantSpec, ParticipantStats } from "./pool-participants.ts";

export interface CallerSpec {
  name: string;
  cls: "heavy" | "light";
  concurrency: number;
}

export interface ClassFigures {
  requests: number;
  ttftP50: number;
  ttftP99: number;
  queueP50?: number;
  queueP99?: number;
}

export interface PoolFigures {
  variant: string;
  windowS: number;
  completed: number;
  goodputTokS: number;
  idealTokS: number;
  goodputRatio: number;
  clientErrors: number;
  errorsByKind: Record<string, number>;
  upstreamRequests: number;
  provoked429: number;
  provokedRatio: number;
  peakOverCapacity: string[];
  retries: number;
  heavy: ClassFigures;
  light: ClassFigures;
  idleLightTtftP50: number;
  lightTtftRatio: number;
  jain: number;
}

/** What the room could deliver: each participant's capacity × speed, a rate-limited one capped by its limit. */
export function idealTokensPerSecond(specs: ParticipantSpec[]): number {
  let sum = 0;
  for (const s of specs) {
    const perAnswerS = s.prefillMs / 1000 + s.tokens / s.tokensPerSecond;
    let tokS = (s.capacity * s.tokens) / perAnswerS;
    if (s.perWindow !== undefined) tokS = Math.min(tokS, (s.perWindow * s.tokens) / ((s.windowMs ?? 10_000) / 1000));
    // A flaky participant fails before its first byte: those attempts cost it no generation time.
    sum += tokS;
  }
  return sum;
}

/** Max-min fair shares of `total` over `demands` (water-filling). */
export function waterFill(demands: number[], total: number): number[] {
  const share = demands.map(() => 0);
  let left = total;
  let open = demands.map((_, i) => i);
  while (open.length > 0 && left > 1e-9) {
    const each = left / open.length;
    const next: number[] = [];
    for (const i of open) {
      const want = demands[i]! - share[i]!;
      const give = Math.min(want, each);
      share[i]! += give;
      left -= give;
      if (demands[i]! - share[i]! > 1e-9) next.push(i);
    }
    if (next.length === open.length) break;
    open = next;
  }
  return share;
}

export function jainIndex(xs: number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 0 : (sum * sum) / (xs.length * squares);
}

function classFigures(done: Done[], said: Map<string, HubSays>): ClassFigures {
  const ttfts = done.filter((d) => d.ok && d.ttftMs !== undefined).map((d) => d.ttftMs!);
  const queues = done.map((d) => (d.requestId ? said.get(d.requestId)?.queueMs : undefined)).filter((q): q is number => q !== undefined);
  return {
    requests: done.length,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    queueP50: queues.length ? percentile(queues, 50) : undefined,
    queueP99: queues.length ? percentile(queues, 99) : undefined,
  };
}

function kindOf(d: Done): string {
  if (d.status === 0) return "network";
  if (d.status !== 200) return `HTTP ${d.status}`;
  return d.error ? "stream error" : "incomplete stream";
}

export function poolFigures(input: {
  variant: string;
  window: { from: number; to: number };
  done: Done[];
  said: Map<string, HubSays>;
  retries: number;
  callers: CallerSpec[];
  specs: ParticipantSpec[];
  stats: ParticipantStats[];
  idleLightTtftP50: number;
}): PoolFigures {
  const { from, to } = input.window;
  const windowS = (to - from) / 1000;
  const inWindow = input.done.filter((d) => d.startedAt >= from && d.endedAt <= to);
  const ok = inWindow.filter((d) => d.ok);
  const errors = inWindow.filter((d) => !d.ok);
  const errorsByKind: Record<string, number> = {};
  for (const e of errors) errorsByKind[kindOf(e)] = (errorsByKind[kindOf(e)] ?? 0) + 1;
  const tokens = ok.reduce((a, d) => a + d.tokens, 0);
  const ideal = idealTokensPerSecond(input.specs);
  const upstreamRequests = input.stats.reduce((a, s) => a + s.requests, 0);
  const provoked = input.stats.reduce((a, s) => a + s.provoked429, 0);

  // Slots held per caller: service time (duration less queue wait) over the window.
  const slots = input.callers.map((c) => {
    let ms = 0;
    for (const d of ok) if (d.caller === c.name) ms += d.endedAt - d.startedAt - ((d.requestId && input.said.get(d.requestId)?.queueMs) || 0);
    return ms / (to - from);
  });
  const fair = waterFill(
    input.callers.map((c) => c.concurrency),
    slots.reduce((a, b) => a + b, 0),
  );
  const light = classFigures(inWindow.filter((d) => d.cls === "light"), input.said);
  return {
    variant: input.variant,
    windowS,
    completed: ok.length,
    goodputTokS: tokens / windowS,
    idealTokS: ideal,
    goodputRatio: tokens / windowS / ideal,
    clientErrors: errors.length,
    errorsByKind,
    upstreamRequests,
    provoked429: provoked,
    provokedRatio: upstreamRequests ? provoked / upstreamRequests : 0,
    peakOverCapacity: input.stats.filter((s) => s.peak > input.specs.find((p) => p.name === s.name)!.capacity).map((s) => `${s.name} ${s.peak}`),
    retries: input.retries,
    heavy: classFigures(inWindow.filter((d) => d.cls === "heavy"), input.said),
    light,
    idleLightTtftP50: input.idleLightTtftP50,
    lightTtftRatio: light.ttftP50 / input.idleLightTtftP50,
    jain: jainIndex(slots.map((s, i) => (fair[i]! > 0 ? s / fair[i]! : 0))),
  };
}

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "—" : `${n.toFixed(1)} ms`);

/** The targets of issue 13, judged on the pooled hub. */
export function judgePool(f: PoolFigures): { name: string; value: string; pass: boolean }[] {
  return [
    { name: "goodput ≥ 0.95 × ideal", value: f.goodputRatio.toFixed(3), pass: f.goodputRatio >= 0.95 },
    { name: "client-visible errors = 0", value: String(f.clientErrors), pass: f.clientErrors === 0 },
    { name: "provoked 429s ≤ 1 % of upstream requests", value: `${(f.provokedRatio * 100).toFixed(2)} %`, pass: f.provokedRatio <= 0.01 },
    { name: "fairness (Jain) ≥ 0.95", value: f.jain.toFixed(3), pass: f.jain >= 0.95 },
    { name: "light p50 TTFT ≤ 1.5 × idle", value: f.lightTtftRatio.toFixed(2), pass: f.lightTtftRatio <= 1.5 },
  ];
}

export function printPool(all: PoolFigures[], log: (s: string) => void): void {
  const row = (name: string, get: (f: PoolFigures) => string) => log(`| ${name} | ${all.map(get).join(" | ")} |`);
  log(`| figure | ${all.map((f) => f.variant).join(" | ")} |`);
  log(`|---|${all.map(() => "---:").join("|")}|`);
  row("completed requests", (f) => String(f.completed));
  row("goodput, tokens/s", (f) => f.goodputTokS.toFixed(0));
  row("goodput ÷ ideal", (f) => f.goodputRatio.toFixed(3));
  row("client-visible errors", (f) => `${f.clientErrors}${f.clientErrors ? ` (${Object.entries(f.errorsByKind).map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""}`);
  row("upstream requests", (f) => String(f.upstreamRequests));
  row("provoked 429s", (f) => `${f.provoked429} (${(f.provokedRatio * 100).toFixed(2)} %)`);
  row("peak above capacity", (f) => (f.peakOverCapacity.length ? f.peakOverCapacity.join(", ") : "none"));
  row("retries (llm.retry)", (f) => String(f.retries));
  row("heavy: TTFT p50 / p99", (f) => `${ms(f.heavy.ttftP50)} / ${ms(f.heavy.ttftP99)}`);
  row("heavy: queue wait p50 / p99", (f) => `${ms(f.heavy.queueP50)} / ${ms(f.heavy.queueP99)}`);
  row("light: TTFT p50 / p99", (f) => `${ms(f.light.ttftP50)} / ${ms(f.light.ttftP99)}`);
  row("light: queue wait p50 / p99", (f) => `${ms(f.light.queueP50)} / ${ms(f.light.queueP99)}`);
  row("light p50 TTFT ÷ idle room", (f) => `${f.lightTtftRatio.toFixed(2)} (idle ${ms(f.idleLightTtftP50)})`);
  row("fairness, Jain's index", (f) => f.jain.toFixed(3));
}
