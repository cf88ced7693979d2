/**
 * The tunnel bench's figures: per workload the median over rounds on each side, tunnel ÷ direct
 * (and the per-round range), the added latency in ms; the CPU time of the hub on each side and
 * of the joiner per event and per request; the idle-stream memory checkpoints and the cost per
 * idle stream; the stall phase; PASS/FAIL against the targets.
 */
import { fmt, formatBytes, median } from "./stats.ts";
import { stallRatio, type IdleResult, type StallResult } from "./tunnel-phases.ts";
import type { TunnelSide } from "./tunnel-scenarios.ts";

/** scenario → side → metric → one value per round. */
export type TunnelSeries = Record<string, Record<TunnelSide, Record<string, number[]>>>;

export interface TunnelRow {
  figure: string;
  unit: string;
  direct: number;
  tunnel: number;
  ratio: number;
  range: [number, number];
}

const ROWS = [
  { figure: "stream TTFT p50, c=1", unit: "ms", scenario: "chat_stream_c1", metric: "ttftP50Ms" },
  { figure: "stream TTFT p50, c=64", unit: "ms", scenario: "chat_stream_c64", metric: "ttftP50Ms" },
  { figure: "chat events/s, c=64, write per event", unit: "ev/s", scenario: "chat_stream_c64", metric: "eventsPerSec" },
  { figure: "chat events/s, c=64, burst", unit: "ev/s", scenario: "chat_burst_c64", metric: "eventsPerSec" },
  { figure: "non-stream latency p50, c=1", unit: "ms", scenario: "chat_json_c1", metric: "p50Ms" },
  { figure: "non-stream latency p99, c=1", unit: "ms", scenario: "chat_json_c1", metric: "p99Ms" },
  { figure: "non-stream requests/s, c=32", unit: "req/s", scenario: "chat_json_c32", metric: "reqPerSec" },
] as const;

const CPU_ROWS = [
  { figure: "per event, stream c=1, write per event", scenario: "chat_stream_c1", per: "Event" },
  { figure: "per event, stream c=64, write per event", scenario: "chat_stream_c64", per: "Event" },
  { figure: "per event, stream c=64, burst", scenario: "chat_burst_c64", per: "Event" },
  { figure: "per request, non-stream c=1", scenario: "chat_json_c1", per: "Request" },
  { figure: "per request, non-stream c=32", scenario: "chat_json_c32", per: "Request" },
] as const;

export interface TunnelCpuRow {
  figure: string;
  /** The hub's CPU time with the direct participant, with the tunnelled one, and the joiner's (tunnel side). */
  hubDirectUs: number;
  hubTunnelUs: number;
  joinerUs: number;
}

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

export interface TunnelReport {
  rows: TunnelRow[];
  cpu: TunnelCpuRow[];
  idle: IdleResult[];
  stall: StallResult;
  window: number;
  verdicts: Verdict[];
}

const values = (series: TunnelSeries, scenario: string, side: TunnelSide, metric: string): number[] => {
  const v = series[scenario]?.[side]?.[metric];
  if (!v) throw new Error(`no ${metric} for ${scenario} on side ${side}`);
  return v;
};

export function buildTunnelRows(series: TunnelSeries): TunnelRow[] {
  return ROWS.map(({ figure, unit, scenario, metric }) => {
    const d = values(series, scenario, "direct", metric);
    const t = values(series, scenario, "tunnel", metric);
    const perRound = t.map((v, i) => v / d[i]!);
    return { figure, unit, direct: median(d), tunnel: median(t), ratio: median(t) / median(d), range: [Math.min(...perRound), Math.max(...perRound)] };
  });
}

export function buildTunnelCpuRows(series: TunnelSeries): TunnelCpuRow[] {
  return CPU_ROWS.map(({ figure, scenario, per }) => ({
    figure,
    hubDirectUs: median(values(series, scenario, "direct", `hubCpuUsPer${per}`)),
    hubTunnelUs: median(values(series, scenario, "tunnel", `hubCpuUsPer${per}`)),
    joinerUs: median(values(series, scenario, "tunnel", `joinerCpuUsPer${per}`)),
  }));
}

/** The tunnel's throughput ÷ the direct participant's, were hub and joiner each on a CPU of its own and CPU-bound (see printTunnelReport). */
export const ownCpuEstimate = (c: TunnelCpuRow) => c.hubDirectUs / Math.max(c.hubTunnelUs, c.joinerUs);

/**
 * Growth per stream between two checkpoints of an idle phase: per stream opened in between, or,
 * when as many are open at both (held idle, or all gone again), per stream of the phase.
 */
export function perStream(r: IdleResult, from: string, to: string, who: "hub" | "joiner", what: "heapUsed" | "rss"): number {
  const a = r.checkpoints.find((c) => c.label === from || c.label.startsWith(from));
  const b = r.checkpoints.find((c) => c.label === to || c.label.startsWith(to));
  if (!a || !b) throw new Error(`no checkpoint ${from} or ${to}`);
  return (b[who][what] - a[who][what]) / (Math.abs(b.open - a.open) || r.streams);
}

/** Heap growth allowed per idle stream while idle, and left behind per stream once they end. */
export const FLAT_BYTES_PER_STREAM = 1024;

export function judgeTunnel(rows: TunnelRow[], idle: IdleResult[], stall: StallResult, window: number): Verdict[] {
  const row = (figure: string) => rows.find((r) => r.figure === figure)!;
  const atLeast = (figure: string, min: number): Verdict => {
    const r = row(figure);
    return { target: `${figure} ≥ ${fmt(min)}× direct`, measured: `${fmt(r.ratio)}× (tunnel ${fmt(r.tunnel)} vs direct ${fmt(r.direct)} ${r.unit})`, pass: r.ratio >= min };
  };
  const ttft = row("stream TTFT p50, c=1");
  const added = ttft.tunnel - ttft.direct;
  const verdicts: Verdict[] = [
    atLeast("chat events/s, c=64, write per event", 0.8),
    atLeast("chat events/s, c=64, burst", 0.8),
    { target: "stream TTFT p50, c=1: ≤ 0.3 ms added", measured: `${signed(added)} ms (tunnel ${fmt(ttft.tunnel)} vs direct ${fmt(ttft.direct)} ms)`, pass: added <= 0.3 },
    atLeast("non-stream requests/s, c=32", 0.7),
  ];
  const t = idle.find((r) => r.side === "tunnel");
  if (t) {
    const kib = fmt(FLAT_BYTES_PER_STREAM / 1024);
    const idleGrowth = (who: "hub" | "joiner") => perStream(t, "all open", "after ", who, "heapUsed");
    const left = (who: "hub" | "joiner") => perStream(t, "before", "after the clients left", who, "heapUsed");
    verdicts.push(
      {
        target: `${t.streams} idle streams on one socket, memory flat: hub and joiner heap growth while idle ≤ ${kib} KiB/stream`,
        measured: `hub ${formatBytes(idleGrowth("hub"))}, joiner ${formatBytes(idleGrowth("joiner"))} per stream over ${fmt(t.holdMs / 1000)} s`,
        pass: idleGrowth("hub") <= FLAT_BYTES_PER_STREAM && idleGrowth("joiner") <= FLAT_BYTES_PER_STREAM,
      },
      {
        target: `idle streams given back once their clients leave: heap left ≤ ${kib} KiB/stream`,
        measured: `hub ${formatBytes(left("hub"))}, joiner ${formatBytes(left("joiner"))} per stream`,
        pass: left("hub") <= FLAT_BYTES_PER_STREAM && left("joiner") <= FLAT_BYTES_PER_STREAM,
      },
    );
  }
  const ratio = stallRatio(stall);
  verdicts.push(
    {
      target: "a stalled client does not slow another stream on the same socket: events/s beside it ≥ 0.9× alone",
      measured: `${fmt(ratio)}× (${fmt(median(stall.beside))} vs ${fmt(median(stall.alone))} ev/s)`,
      pass: ratio >= 0.9,
    },
    {
      target: `the stalled stream stops: its upstream produces nothing more, the hub holds ≤ one window (${formatBytes(window)}) of it`,
      measured: `upstream stopped after ${formatBytes(median(stall.stalledProduced))}, +${formatBytes(Math.max(...stall.stalledGrewDuringRun))} during the runs; hub held ≤ ${formatBytes(Math.max(...stall.hubBuffered))}`,
      pass: Math.max(...stall.stalledGrewDuringRun) === 0 && Math.max(...stall.hubBuffered) <= window,
    },
  );
  return verdicts;
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${fmt(n)}`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function printTunnelReport(r: TunnelReport): void {
  console.log(
    "\n" +
      table(
        ["figure", "unit", "direct", "tunnel", "tunnel/direct", "(range)", "added"],
        r.rows.map((row) => [
          row.figure,
          row.unit,
          fmt(row.direct),
          fmt(row.tunnel),
          fmt(row.ratio),
          `${fmt(row.range[0])}–${fmt(row.range[1])}`,
          row.unit === "ms" ? `${signed(row.tunnel - row.direct)} ms` : "",
        ]),
      ),
  );
  console.log(
    "\n" +
      table(
        ["CPU time", "hub, direct µs", "hub, tunnel µs", "joiner µs", "hub + joiner − direct µs", "own-CPU estimate"],
        r.cpu.map((c) => [c.figure, fmt(c.hubDirectUs), fmt(c.hubTunnelUs), fmt(c.joinerUs), fmt(c.hubTunnelUs + c.joinerUs - c.hubDirectUs), `${fmt(ownCpuEstimate(c))}×`]),
      ),
  );
  console.log(
    "own-CPU estimate: hub, direct µs ÷ max(hub, tunnel µs; joiner µs): the tunnel's throughput against the direct participant's if the hub and the joiner each had a CPU of their own\n" +
      "(as in use: the joiner runs on the participant's machine) and CPU were the only limit. An estimate from CPU time, not a measurement; the targets are judged on the measured rows.",
  );
  for (const idle of r.idle) {
    console.log(
      "\n" +
        table(
          [`idle streams, ${idle.side} participant (after full GC)`, "open", "hub heap", "hub RSS", "joiner heap", "joiner RSS", "at upstream", "on tunnel"],
          idle.checkpoints.map((c) => [c.label, String(c.open), formatBytes(c.hub.heapUsed), formatBytes(c.hub.rss), formatBytes(c.joiner.heapUsed), formatBytes(c.joiner.rss), String(c.upstreamHeld), String(c.tunnelInFlight)]),
        ),
    );
    const b = (who: "hub" | "joiner", what: "heapUsed" | "rss", from = "before", to = "all open") => formatBytes(perStream(idle, from, to, who, what));
    console.log(
      `per idle stream (before → all open): hub heap ${b("hub", "heapUsed")}, RSS ${b("hub", "rss")}; joiner heap ${b("joiner", "heapUsed")}, RSS ${b("joiner", "rss")}. ` +
        `The second half's streams alone: hub heap ${b("hub", "heapUsed", "half open")}, joiner heap ${b("joiner", "heapUsed", "half open")}. ` +
        `While idle: hub heap ${b("hub", "heapUsed", "all open", "after ")}, joiner ${b("joiner", "heapUsed", "all open", "after ")} per stream.`,
    );
  }
  const s = r.stall;
  console.log(
    `\nstall: a burst stream alone ${fmt(median(s.alone))} ev/s, beside a stalled stream on the same socket ${fmt(median(s.beside))} ev/s (${fmt(stallRatio(s))}×); ` +
      `the stalled stream's upstream stopped after ${formatBytes(median(s.stalledProduced))}, of which the hub held ≤ ${formatBytes(Math.max(...s.hubBuffered))} (window ${formatBytes(r.window)})`,
  );
  console.log("\n" + table(["target", "measured", "result"], r.verdicts.map((v) => [v.target, v.measured, v.pass ? "PASS" : "FAIL"])));
}
