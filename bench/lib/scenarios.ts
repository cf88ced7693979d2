/**
 * The workloads, each run the same way against the upstream directly, through the bare proxy
 * and through the hub.
 * A scenario turns one run into named figures; the runner pairs them across sides and rounds.
 */
import { jsonOnce, runCount, runFor, streamOnce, type RunResult, type Sample, type Target } from "./load.ts";
import { percentile, median } from "./stats.ts";
import type { Config } from "./config.ts";

/** Straight to the upstream, through the bare Bun proxy (the floor of any hop), through the hub. */
export type Side = "direct" | "bare" | "hub";
export const SIDES: readonly Side[] = ["direct", "bare", "hub"];

export interface Endpoints {
  upstream: string;
  bare: string;
  hub: string;
  room: string;
}

export interface Scenario {
  key: string;
  /** One request in flight at a time: the proxies share the load generator's CPU (placeProxies in ../proxy.ts). */
  serial?: boolean;
  run(side: Side): Promise<RunResult>;
  metrics(r: RunResult): Record<string, number>;
}

export function targetUrl(e: Endpoints, side: Side, path: "/chat/completions" | "/responses"): string {
  if (side === "direct") return `${e.upstream}/v1${path}`;
  return `${side === "hub" ? e.hub : e.bare}/rooms/${e.room}/v1${path}`;
}

export type Write = "event" | "burst";

/** `bench_*` fields steer the fake upstream; the hub forwards unknown fields untouched. */
function extras(stream: boolean, write?: Write, events?: number) {
  return { ...(stream ? { stream: true } : {}), ...(write ? { bench_write: write } : {}), ...(events ? { bench_events: events } : {}) };
}

export const chatBody = (stream: boolean, write?: Write, events?: number) =>
  JSON.stringify({
    model: "bench-model",
    messages: [{ role: "user", content: "Say hi" }],
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    ...extras(stream, write, events),
  });

export const responsesBody = (stream: boolean, write?: Write, events?: number) =>
  JSON.stringify({ model: "bench-model", input: "Say hi", ...extras(stream, write, events) });

/** A stream that did not deliver every event would make events/s meaningless: fail loudly. */
function checked(expected: number, once: () => Promise<Sample>): () => Promise<Sample> {
  return async () => {
    const s = await once();
    if (s.events !== expected) throw new Error(`expected ${expected} SSE events in a response, got ${s.events}`);
    return s;
  };
}

const ttfts = (r: RunResult) => r.samples.map((s) => s.firstMs);
const perSecond = (n: number, ms: number) => (n * 1000) / ms;

export function scenarios(e: Endpoints, c: Config): Scenario[] {
  const chatJson = (side: Side): Target => ({ url: targetUrl(e, side, "/chat/completions"), body: chatBody(false) });
  const stream = (path: "/chat/completions" | "/responses", write: Write) => (side: Side) => {
    const t: Target = { url: targetUrl(e, side, path), body: path === "/responses" ? responsesBody(true, write) : chatBody(true, write) };
    return checked(c.events, () => streamOnce(t));
  };
  const streamMetrics = (r: RunResult) => ({ ttftP50Ms: median(ttfts(r)), eventsPerSec: perSecond(r.events, r.wallMs) });
  const at64 = (key: string, once: (side: Side) => () => Promise<Sample>): Scenario => ({
    key,
    run: (side) => runFor(64, c.runMs, once(side)),
    metrics: streamMetrics,
  });
  return [
    {
      key: "chat_stream_c1",
      serial: true,
      run: (side) => runCount(1, c.ttftCount, stream("/chat/completions", "event")(side)),
      metrics: streamMetrics,
    },
    at64("chat_stream_c64", stream("/chat/completions", "event")),
    at64("responses_stream_c64", stream("/responses", "event")),
    at64("chat_burst_c64", stream("/chat/completions", "burst")),
    at64("responses_burst_c64", stream("/responses", "burst")),
    {
      key: "chat_json_c1",
      serial: true,
      run: (side) => runCount(1, c.jsonCount, () => jsonOnce(chatJson(side))),
      metrics: (r) => {
        const ms = r.samples.map((s) => s.totalMs);
        return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
      },
    },
    {
      key: "chat_json_c32",
      run: (side) => runFor(32, c.runMs, () => jsonOnce(chatJson(side))),
      metrics: (r) => ({ reqPerSec: perSecond(r.samples.length, r.wallMs) }),
    },
  ];
}
