/**
 * The tunnel bench's workloads, each run the same way on two sides: through the hub to the
 * upstream joined **direct** (the hub dials it over HTTP), and through the hub to the same
 * upstream joined by **tunnel** (the hub sends each request over the joiner's WebSocket, the
 * joiner dials the upstream). Same hub process, same upstream process, same request bodies; only
 * the room differs.
 */
import { jsonOnce, runCount, runFor, streamOnce, type RunResult, type Sample, type Target } from "./load.ts";
import { chatBody, type Write } from "./scenarios.ts";
import { median, percentile } from "./stats.ts";
import type { TunnelConfig } from "./tunnel-config.ts";

export type TunnelSide = "direct" | "tunnel";
export const TUNNEL_SIDES: readonly TunnelSide[] = ["direct", "tunnel"];

export interface TunnelEndpoints {
  hub: string;
  /** The room each side's participant is in (the only participant there). */
  rooms: Record<TunnelSide, string>;
}

export interface TunnelScenario {
  key: string;
  /** One request in flight at a time: hub and joiner share the load generator's CPU (place() in ../tunnel.ts). */
  serial?: boolean;
  run(side: TunnelSide): Promise<RunResult>;
  metrics(r: RunResult): Record<string, number>;
}

export const chatUrl = (e: TunnelEndpoints, side: TunnelSide) => `${e.hub}/rooms/${e.rooms[side]}/v1/chat/completions`;

/** A stream that did not deliver every event would make events/s meaningless: fail loudly. */
export function checkedStream(t: Target, expected: number): () => Promise<Sample> {
  return async () => {
    const s = await streamOnce(t);
    if (s.events !== expected) throw new Error(`expected ${expected} SSE events in a response, got ${s.events}`);
    return s;
  };
}

const perSecond = (n: number, ms: number) => (n * 1000) / ms;

export function tunnelScenarios(e: TunnelEndpoints, c: TunnelConfig): TunnelScenario[] {
  const stream = (write: Write) => (side: TunnelSide) => checkedStream({ url: chatUrl(e, side), body: chatBody(true, write) }, c.events);
  const json = (side: TunnelSide): Target => ({ url: chatUrl(e, side), body: chatBody(false) });
  const streamMetrics = (r: RunResult) => ({ ttftP50Ms: median(r.samples.map((s) => s.firstMs)), eventsPerSec: perSecond(r.events, r.wallMs) });
  // The c=1 workloads together, then the loaded ones (fewer placement switches, as proxy.ts).
  return [
    { key: "chat_stream_c1", serial: true, run: (side) => runCount(1, c.ttftCount, stream("event")(side)), metrics: streamMetrics },
    {
      key: "chat_json_c1",
      serial: true,
      run: (side) => runCount(1, c.jsonCount, () => jsonOnce(json(side))),
      metrics: (r) => {
        const ms = r.samples.map((s) => s.totalMs);
        return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
      },
    },
    { key: "chat_stream_c64", run: (side) => runFor(64, c.runMs, stream("event")(side)), metrics: streamMetrics },
    { key: "chat_burst_c64", run: (side) => runFor(64, c.runMs, stream("burst")(side)), metrics: streamMetrics },
    { key: "chat_json_c32", run: (side) => runFor(32, c.runMs, () => jsonOnce(json(side))), metrics: (r) => ({ reqPerSec: perSecond(r.samples.length, r.wallMs) }) },
  ];
}
