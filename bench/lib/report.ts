/**
 * Turns per-round figures into the printed table: the median over rounds for each side, the
 * ratios of those medians (hub/direct, which the targets are about, and bare/direct and
 * hub/bare, which split it into the cost of any hop and the hub's own), the spread of the
 * per-round hub/direct ratios (how noisy the run was), and PASS/FAIL against the targets.
 * The protocol-adaptation table is built the same way with adapted/direct, hub/direct and
 * adapted/hub (what translating adds to the hub's passthrough).
 */
import { fmt, formatBytes, median } from "./stats.ts";
import type { Side } from "./scenarios.ts";
import { LEAK_THRESHOLD_BYTES_PER_REQUEST, type MemoryResult } from "./memory.ts";

/** scenario → side → metric → one value per round (only the sides the scenario runs on). */
export type Series = Record<string, Partial<Record<Side, Record<string, number[]>>>>;

export interface Row {
  figure: string;
  unit: string;
  direct: number;
  bare: number;
  hub: number;
  /** hub / direct: the figure the targets are about. */
  ratio: number;
  /** bare / direct: what any extra hop costs on this machine. */
  bareRatio: number;
  /** hub / bare: the hub's own cost on top of the hop. */
  hubVsBare: number;
  /** Lowest and highest per-round hub/direct ratio. */
  ratioRange: [number, number];
}

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

const ROWS = [
  { figure: "stream TTFT p50, c=1", unit: "ms", scenario: "chat_stream_c1", metric: "ttftP50Ms" },
  { figure: "stream TTFT p50, c=64", unit: "ms", scenario: "chat_stream_c64", metric: "ttftP50Ms" },
  { figure: "chat events/s, c=64, write per event", unit: "ev/s", scenario: "chat_stream_c64", metric: "eventsPerSec" },
  { figure: "Responses events/s, c=64, write per event", unit: "ev/s", scenario: "responses_stream_c64", metric: "eventsPerSec" },
  { figure: "chat events/s, c=64, burst", unit: "ev/s", scenario: "chat_burst_c64", metric: "eventsPerSec" },
  { figure: "Responses events/s, c=64, burst", unit: "ev/s", scenario: "responses_burst_c64", metric: "eventsPerSec" },
  { figure: "non-stream latency p50, c=1", unit: "ms", scenario: "chat_json_c1", metric: "p50Ms" },
  { figure: "non-stream latency p99, c=1", unit: "ms", scenario: "chat_json_c1", metric: "p99Ms" },
  { figure: "non-stream requests/s, c=32", unit: "req/s", scenario: "chat_json_c32", metric: "reqPerSec" },
  { figure: "Responses non-stream requests/s, c=32", unit: "req/s", scenario: "responses_json_c32", metric: "reqPerSec" },
] as const;

/** CPU time of the process in the middle (its own cpuUsage, user + system) per unit of work. */
const CPU_ROWS = [
  { figure: "per event, chat stream c=1, write per event", scenario: "chat_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "per event, chat stream c=64, write per event", scenario: "chat_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "per event, Responses stream c=64, write per event", scenario: "responses_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "per event, chat stream c=64, burst", scenario: "chat_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "per event, Responses stream c=64, burst", scenario: "responses_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "per request, non-stream c=1", scenario: "chat_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "per request, non-stream c=32", scenario: "chat_json_c32", metric: "proxyCpuUsPerRequest" },
  { figure: "per request, Responses non-stream c=32", scenario: "responses_json_c32", metric: "proxyCpuUsPerRequest" },
] as const;

const values = (series: Series, scenario: string, side: Side, metric: string): number[] => {
  const v = series[scenario]?.[side]?.[metric];
  if (!v) throw new Error(`no ${metric} for ${scenario} on side ${side}`);
  return v;
};

/** Lowest and highest per-round ratio of two sides. */
const range = (num: number[], den: number[]): [number, number] => {
  const perRound = num.map((v, i) => v / den[i]!);
  return [Math.min(...perRound), Math.max(...perRound)];
};

export function buildRows(series: Series): Row[] {
  return ROWS.map(({ figure, unit, scenario, metric }) => {
    const [d, b, h] = (["direct", "bare", "hub"] as const).map((side) => values(series, scenario, side, metric));
    const direct = median(d!);
    const bare = median(b!);
    const hub = median(h!);
    return {
      figure,
      unit,
      direct,
      bare,
      hub,
      ratio: hub / direct,
      bareRatio: bare / direct,
      hubVsBare: hub / bare,
      ratioRange: range(h!, d!),
    };
  });
}

export interface CpuRow {
  figure: string;
  bareUs: number;
  hubUs: number;
}

export function buildCpuRows(series: Series): CpuRow[] {
  return CPU_ROWS.map(({ figure, scenario, metric }) => ({
    figure,
    bareUs: median(values(series, scenario, "bare", metric)),
    hubUs: median(values(series, scenario, "hub", metric)),
  }));
}

/**
 * Protocol adaptation. "Responses ← chat": the client speaks Responses, the participant only
 * chat ("Messages ← chat": the client speaks Anthropic's Messages; "chat ← Messages": the
 * participant speaks only Messages, whose "hub" column is a Messages client passed through;
 * "Messages ← Responses": a Messages client, a Responses-only participant, through the chat shape).
 * Events are the upstream's (what the participant produced), on every side.
 */
const ADAPTED_ROWS = [
  { figure: "Responses ← chat: stream TTFT p50, c=1", unit: "ms", scenario: "responses_via_chat_stream_c1", metric: "ttftP50Ms" },
  { figure: "Responses ← chat: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "responses_via_chat_gap_c1", metric: "ttftP50Ms" },
  { figure: "Responses ← chat: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "responses_via_chat_stream_c64", metric: "eventsPerSec" },
  { figure: "Responses ← chat: upstream events/s, c=64, burst", unit: "ev/s", scenario: "responses_via_chat_burst_c64", metric: "eventsPerSec" },
  { figure: "Responses ← chat: non-stream p50, c=1", unit: "ms", scenario: "responses_via_chat_json_c1", metric: "p50Ms" },
  { figure: "Responses ← chat: non-stream p50, c=1, store:true", unit: "ms", scenario: "responses_via_chat_json_stored_c1", metric: "p50Ms" },
  { figure: "chat ← Responses: stream TTFT p50, c=1", unit: "ms", scenario: "chat_via_responses_stream_c1", metric: "ttftP50Ms" },
  { figure: "chat ← Responses: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "chat_via_responses_gap_c1", metric: "ttftP50Ms" },
  { figure: "chat ← Responses: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "chat_via_responses_stream_c64", metric: "eventsPerSec" },
  { figure: "chat ← Responses: upstream events/s, c=64, burst", unit: "ev/s", scenario: "chat_via_responses_burst_c64", metric: "eventsPerSec" },
  { figure: "chat ← Responses: non-stream p50, c=1", unit: "ms", scenario: "chat_via_responses_json_c1", metric: "p50Ms" },
  { figure: "Messages ← chat: stream TTFT p50, c=1", unit: "ms", scenario: "messages_via_chat_stream_c1", metric: "ttftP50Ms" },
  { figure: "Messages ← chat: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "messages_via_chat_gap_c1", metric: "ttftP50Ms" },
  { figure: "Messages ← chat: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "messages_via_chat_stream_c64", metric: "eventsPerSec" },
  { figure: "Messages ← chat: upstream events/s, c=64, burst", unit: "ev/s", scenario: "messages_via_chat_burst_c64", metric: "eventsPerSec" },
  { figure: "Messages ← chat: non-stream p50, c=1", unit: "ms", scenario: "messages_via_chat_json_c1", metric: "p50Ms" },
  { figure: "chat ← Messages: stream TTFT p50, c=1", unit: "ms", scenario: "chat_via_messages_stream_c1", metric: "ttftP50Ms" },
  { figure: "chat ← Messages: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "chat_via_messages_gap_c1", metric: "ttftP50Ms" },
  { figure: "chat ← Messages: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "chat_via_messages_stream_c64", metric: "eventsPerSec" },
  { figure: "chat ← Messages: upstream events/s, c=64, burst", unit: "ev/s", scenario: "chat_via_messages_burst_c64", metric: "eventsPerSec" },
  { figure: "chat ← Messages: non-stream p50, c=1", unit: "ms", scenario: "chat_via_messages_json_c1", metric: "p50Ms" },
  { figure: "Responses ← Messages: stream TTFT p50, c=1", unit: "ms", scenario: "responses_via_messages_stream_c1", metric: "ttftP50Ms" },
  { figure: "Responses ← Messages: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "responses_via_messages_gap_c1", metric: "ttftP50Ms" },
  { figure: "Responses ← Messages: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "responses_via_messages_stream_c64", metric: "eventsPerSec" },
  { figure: "Responses ← Messages: upstream events/s, c=64, burst", unit: "ev/s", scenario: "responses_via_messages_burst_c64", metric: "eventsPerSec" },
  { figure: "Responses ← Messages: non-stream p50, c=1", unit: "ms", scenario: "responses_via_messages_json_c1", metric: "p50Ms" },
  { figure: "Messages ← Responses: stream TTFT p50, c=1", unit: "ms", scenario: "messages_via_responses_stream_c1", metric: "ttftP50Ms" },
  { figure: "Messages ← Responses: stream TTFT p50, c=1, 1 ms after 1st event", unit: "ms", scenario: "messages_via_responses_gap_c1", metric: "ttftP50Ms" },
  { figure: "Messages ← Responses: upstream events/s, c=64, write per event", unit: "ev/s", scenario: "messages_via_responses_stream_c64", metric: "eventsPerSec" },
  { figure: "Messages ← Responses: upstream events/s, c=64, burst", unit: "ev/s", scenario: "messages_via_responses_burst_c64", metric: "eventsPerSec" },
  { figure: "Messages ← Responses: non-stream p50, c=1", unit: "ms", scenario: "messages_via_responses_json_c1", metric: "p50Ms" },
] as const;

const ADAPTED_CPU_ROWS = [
  { figure: "Responses ← chat: per upstream event, c=1, write per event", scenario: "responses_via_chat_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← chat: per upstream event, c=64, write per event", scenario: "responses_via_chat_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← chat: per upstream event, c=64, burst", scenario: "responses_via_chat_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← chat: per request, non-stream c=1", scenario: "responses_via_chat_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "Responses ← chat: per request, non-stream c=1, store:true", scenario: "responses_via_chat_json_stored_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "chat ← Responses: per upstream event, c=1, write per event", scenario: "chat_via_responses_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Responses: per upstream event, c=64, write per event", scenario: "chat_via_responses_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Responses: per upstream event, c=64, burst", scenario: "chat_via_responses_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Responses: per request, non-stream c=1", scenario: "chat_via_responses_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "Messages ← chat: per upstream event, c=1, write per event", scenario: "messages_via_chat_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← chat: per upstream event, c=64, write per event", scenario: "messages_via_chat_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← chat: per upstream event, c=64, burst", scenario: "messages_via_chat_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← chat: per request, non-stream c=1", scenario: "messages_via_chat_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "chat ← Messages: per upstream event, c=1, write per event", scenario: "chat_via_messages_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Messages: per upstream event, c=64, write per event", scenario: "chat_via_messages_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Messages: per upstream event, c=64, burst", scenario: "chat_via_messages_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "chat ← Messages: per request, non-stream c=1", scenario: "chat_via_messages_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "Responses ← Messages: per upstream event, c=1, write per event", scenario: "responses_via_messages_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← Messages: per upstream event, c=64, write per event", scenario: "responses_via_messages_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← Messages: per upstream event, c=64, burst", scenario: "responses_via_messages_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Responses ← Messages: per request, non-stream c=1", scenario: "responses_via_messages_json_c1", metric: "proxyCpuUsPerRequest" },
  { figure: "Messages ← Responses: per upstream event, c=1, write per event", scenario: "messages_via_responses_stream_c1", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← Responses: per upstream event, c=64, write per event", scenario: "messages_via_responses_stream_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← Responses: per upstream event, c=64, burst", scenario: "messages_via_responses_burst_c64", metric: "proxyCpuUsPerEvent" },
  { figure: "Messages ← Responses: per request, non-stream c=1", scenario: "messages_via_responses_json_c1", metric: "proxyCpuUsPerRequest" },
] as const;

export interface AdaptedRow {
  figure: string;
  unit: string;
  direct: number;
  /** The hub relaying the same upstream answer untranslated (a client speaking the participant's protocol). */
  hub: number;
  adapted: number;
  /** adapted / direct: the cost of the hub translating, hop included. */
  ratio: number;
  /** hub / direct: the hub's cost without translation, for the same upstream answer. */
  hubRatio: number;
  /** adapted / hub: what translation adds on top of the hub's passthrough. */
  adaptedVsHub: number;
  /** Lowest and highest per-round adapted/direct ratio. */
  ratioRange: [number, number];
  /** For latency figures: adapted − direct and hub − direct, ms. */
  addedMs?: { adapted: number; hub: number };
}

export interface AdaptedCpuRow {
  figure: string;
  hubUs: number;
  adaptedUs: number;
}

/** Rows whose scenario ran (--quick leaves some out). */
const ran = <T extends { scenario: string }>(rows: readonly T[], series: Series) => rows.filter((r) => series[r.scenario] !== undefined);

export function buildAdaptedRows(series: Series): AdaptedRow[] {
  return ran(ADAPTED_ROWS, series).map(({ figure, unit, scenario, metric }) => {
    const d = values(series, scenario, "direct", metric);
    const h = values(series, scenario, "hub", metric);
    const a = values(series, scenario, "adapted", metric);
    const [direct, hub, adapted] = [median(d), median(h), median(a)];
    return {
      figure,
      unit,
      direct,
      hub,
      adapted,
      ratio: adapted / direct,
      hubRatio: hub / direct,
      adaptedVsHub: adapted / hub,
      ratioRange: range(a, d),
      ...(unit === "ms" ? { addedMs: { adapted: adapted - direct, hub: hub - direct } } : {}),
    };
  });
}

export function buildAdaptedCpuRows(series: Series): AdaptedCpuRow[] {
  return ran(ADAPTED_CPU_ROWS, series).map(({ figure, scenario, metric }) => ({
    figure,
    hubUs: median(values(series, scenario, "hub", metric)),
    adaptedUs: median(values(series, scenario, "adapted", metric)),
  }));
}

function memoryVerdict(memory: MemoryResult, what: string): Verdict {
  const last = memory.checkpoints.at(-1)!;
  return {
    target: `memory bounded, ${what} (heap growth ≤ ${LEAK_THRESHOLD_BYTES_PER_REQUEST} B/request once the ${memory.structure} is full)`,
    measured: `${fmt(memory.heapGrowthPerRequest)} B/req over ${memory.measuredRequests} requests, ${memory.structure} ${last.entries}/${memory.cap}`,
    pass: memory.heapGrowthPerRequest <= LEAK_THRESHOLD_BYTES_PER_REQUEST && last.entries <= memory.cap,
  };
}

/**
 * The targets, as issue 11 restated them against the floor of any hop: hub ÷ bare proxy in the
 * same run (a bare Bun proxy alone is 2.2-2.3× direct on non-stream latency here, so targets
 * against direct said more about the machine than about the hub).
 */
export function judge(rows: Row[], memory: MemoryResult | undefined, adaptedMemory?: MemoryResult): Verdict[] {
  const row = (figure: string) => rows.find((r) => r.figure === figure)!;
  const atMost = (figure: string, max: number, what = figure): Verdict => {
    const r = row(figure);
    return { target: `${what} ≤ ${fmt(max)}× bare`, measured: `${fmt(r.hubVsBare)}× (hub ${fmt(r.hub)} vs bare ${fmt(r.bare)} ${r.unit})`, pass: r.hubVsBare <= max };
  };
  const atLeast = (figure: string, min: number, what = figure): Verdict => {
    const r = row(figure);
    return { target: `${what} ≥ ${fmt(min)}× bare`, measured: `${fmt(r.hubVsBare)}× (hub ${fmt(r.hub)} vs bare ${fmt(r.bare)} ${r.unit})`, pass: r.hubVsBare >= min };
  };
  const verdicts: Verdict[] = [
    atLeast("non-stream requests/s, c=32", 0.9),
    atMost("non-stream latency p50, c=1", 1.1),
    atLeast("Responses non-stream requests/s, c=32", 0.85),
    atLeast("chat events/s, c=64, write per event", 0.9),
    atLeast("chat events/s, c=64, burst", 0.9),
    atMost("stream TTFT p50, c=1", 1.25),
  ];
  // Judged on burst streams only: there the hub is the bottleneck, so its cost is what the
  // ratio shows. With a write per event the load generator and upstream's CPU is the limit
  // (hub/bare ≈ 1 for both protocols) and the ratios differ only by noise (±10%).
  const chat = row("chat events/s, c=64, burst");
  const resp = row("Responses events/s, c=64, burst");
  // Responses events are larger than chat chunks, so each protocol is compared with its own
  // direct run: the hub's relative cost must be no worse for Responses (10% for noise).
  verdicts.push({
    target: "Responses streams no costlier than chat (burst): hub/direct ≥ 0.9× chat's",
    measured: `${fmt(resp.ratio)}× vs chat ${fmt(chat.ratio)}× (hub: ${fmt(resp.hub)} vs ${fmt(chat.hub)} ev/s)`,
    pass: resp.ratio >= 0.9 * chat.ratio,
  });
  if (memory) verdicts.push(memoryVerdict(memory, "Responses streams"));
  // The hub's store for chat-only participants is bounded per room: it must not grow past it.
  if (adaptedMemory) verdicts.push(memoryVerdict(adaptedMemory, "adapted Responses streams with store:true"));
  return verdicts;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function printMemory(memory: MemoryResult, title: string): void {
  const entry = memory.structure === "id map" ? "id-map entry" : "stored response";
  console.log(
    "\n" +
      table(
        [`memory checkpoint, ${title} (after full GC)`, "requests", "hub heap", "hub RSS", memory.structure],
        memory.checkpoints.map((c, i) => [i === 0 ? "before" : i === 1 ? "after settle batch" : `after batch ${i - 1}`, String(c.requests), formatBytes(c.heapUsed), formatBytes(c.rss), String(c.entries)]),
      ),
  );
  console.log(
    `heap growth after settling: ${formatBytes(memory.heapGrowth)} over ${memory.measuredRequests} requests (slope ${fmt(memory.heapGrowthPerRequest)} B/request); ` +
      `RSS growth ${formatBytes(memory.rssGrowth)}. ` +
      (Number.isNaN(memory.entryBytes)
        ? `The heap grows after the ${memory.structure} is full, so the cost of one ${entry} is not estimated.`
        : `One ${entry} ≈ ${formatBytes(memory.entryBytes)} (${memory.eventsPerResponse}-event responses) → ` +
          `${formatBytes(memory.atDefaultCap)} at the default cap of ${memory.defaultCap.toLocaleString("en-US")}${memory.structure === "store" ? " per room" : ""}.`),
  );
}

export interface Report {
  rows: Row[];
  cpu: CpuRow[];
  adapted: AdaptedRow[];
  adaptedCpu: AdaptedCpuRow[];
  verdicts: Verdict[];
  memory?: MemoryResult;
  adaptedMemory?: MemoryResult;
}

export function printReport(r: Report): void {
  console.log(
    "\n" +
      table(
        ["figure", "unit", "direct", "bare", "hub", "hub/direct", "(range)", "bare/direct", "hub/bare"],
        r.rows.map((row) => [
          row.figure,
          row.unit,
          fmt(row.direct),
          fmt(row.bare),
          fmt(row.hub),
          fmt(row.ratio),
          `${fmt(row.ratioRange[0])}–${fmt(row.ratioRange[1])}`,
          fmt(row.bareRatio),
          fmt(row.hubVsBare),
        ]),
      ),
  );
  // hub − bare: what the hub's own work costs; steadier between runs than the throughput ratios.
  console.log("\n" + table(["CPU time of the proxy process", "bare µs", "hub µs", "hub − bare µs"], r.cpu.map((c) => [c.figure, fmt(c.bareUs), fmt(c.hubUs), fmt(c.hubUs - c.bareUs)])));
  if (r.memory) printMemory(r.memory, "id map");

  console.log(
    "\nprotocol adaptation: hub = the hub relaying the same upstream answer untranslated, adapted = the hub translating it for a client of the other protocol; events are the upstream's\n" +
      table(
        ["figure", "unit", "direct", "hub", "adapted", "adapted/direct", "(range)", "hub/direct", "adapted/hub", "added ms hub / adapted"],
        r.adapted.map((row) => [
          row.figure,
          row.unit,
          fmt(row.direct),
          fmt(row.hub),
          fmt(row.adapted),
          fmt(row.ratio),
          `${fmt(row.ratioRange[0])}–${fmt(row.ratioRange[1])}`,
          fmt(row.hubRatio),
          fmt(row.adaptedVsHub),
          row.addedMs ? `+${fmt(row.addedMs.hub)} / +${fmt(row.addedMs.adapted)}` : "",
        ]),
      ),
  );
  console.log("\n" + table(["CPU time of the hub, adaptation scenarios", "hub µs", "adapted µs"], r.adaptedCpu.map((c) => [c.figure, fmt(c.hubUs), fmt(c.adaptedUs)])));
  if (r.adaptedMemory) printMemory(r.adaptedMemory, "adapted store:true");
  console.log("\n" + table(["target", "measured", "result"], r.verdicts.map((v) => [v.target, v.measured, v.pass ? "PASS" : "FAIL"])));
}
