/**
 * The tunnel bench's two phases after the rounds.
 *
 * Idle streams: `n` chat streams held open at once, each having delivered its first event to its
 * client and then silent (the upstream's `bench_hold`, a model that thinks for a long time),
 * all through one participant: for the tunnel, all on one WebSocket. The hub's and the joiner's
 * heap (after a full GC) and RSS are read before, with half open, with all open, after holding
 * them idle for a while (pings flowing), and after the clients leave. Memory per idle stream is
 * the growth from before to all open, ÷ n; "flat" is no growth while they idle and the heap
 * given back once they are gone.
 *
 * Stall: a stream that the client stops reading (the upstream's `bench_endless`: produced only
 * as it is read), and beside it on the same socket a burst stream read as fast as possible, back
 * to back; its events/s against the same run with no stalled stream, interleaved by round.
 */
import type { Child, Usage } from "./children.ts";
import { runFor, type Target } from "./load.ts";
import { chatBody } from "./scenarios.ts";
import { median } from "./stats.ts";
import { chatUrl, checkedStream, type TunnelEndpoints, type TunnelSide } from "./tunnel-scenarios.ts";

export interface TunnelInfo {
  id: string;
  inFlight: number;
  buffered: number;
}

export interface PhaseChildren {
  hub: Child<{ url: string }>;
  joiner: Child<unknown>;
  upstream: Child<{ url: string }>;
}

export interface IdleCheckpoint {
  label: string;
  open: number;
  hub: Usage;
  joiner: Usage;
  /** Streams the upstream holds open now. */
  upstreamHeld: number;
  /** Requests open on the tunnel socket (tunnel side), per the hub. */
  tunnelInFlight: number;
}

export interface IdleResult {
  side: TunnelSide;
  streams: number;
  holdMs: number;
  openMs: number;
  checkpoints: IdleCheckpoint[];
}

export async function deadline(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await Bun.sleep(50);
  }
}

const LF = 10;

/** One held stream: resolves once its first event reached the client, with a way to hang up. */
async function openIdle(url: string): Promise<AbortController> {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Think." }], stream: true, bench_hold: true }),
    signal: abort.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`idle stream: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  const reader = res.body.getReader();
  let last = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) throw new Error("idle stream ended before its first event");
    const c = r.value;
    let complete = false;
    for (let i = c.indexOf(LF); i !== -1 && !complete; i = c.indexOf(LF, i + 1)) complete = (i > 0 ? c[i - 1] : last) === LF;
    if (complete) break;
    if (c.length > 0) last = c[c.length - 1]!;
  }
  // The reader stays unread from here: the stream is open and idle until the abort.
  return abort;
}

const tunnelInFlight = async (hub: PhaseChildren["hub"]) => (await hub.call<TunnelInfo[]>("tunnels")).reduce((n, t) => n + t.inFlight, 0);

export async function measureIdle(side: TunnelSide, e: TunnelEndpoints, c: PhaseChildren, streams: number, holdMs: number, log: (s: string) => void): Promise<IdleResult> {
  const url = chatUrl(e, side);
  const checkpoints: IdleCheckpoint[] = [];
  const aborts: AbortController[] = [];
  const checkpoint = async (label: string) => {
    const [hub, joiner, upstreamHeld, inFlight] = await Promise.all([c.hub.call<Usage>("usage", true), c.joiner.call<Usage>("usage", true), c.upstream.call<number>("held"), tunnelInFlight(c.hub)]);
    checkpoints.push({ label, open: aborts.length, hub, joiner, upstreamHeld, tunnelInFlight: inFlight });
  };
  await checkpoint("before");
  const t0 = performance.now();
  const half = Math.floor(streams / 2);
  for (const [label, count] of [
    ["half open", half],
    ["all open", streams - half],
  ] as const) {
    aborts.push(...(await Promise.all(Array.from({ length: count }, () => openIdle(url)))));
    await checkpoint(label);
  }
  const openMs = performance.now() - t0;
  const all = checkpoints.at(-1)!;
  if (all.upstreamHeld !== streams) throw new Error(`${side}: ${streams} idle streams open at the client, ${all.upstreamHeld} at the upstream`);
  if (side === "tunnel" && all.tunnelInFlight !== streams) throw new Error(`tunnel: ${streams} idle streams open, ${all.tunnelInFlight} on the tunnel socket`);
  log(`  ${side}: ${streams} idle streams open in ${(openMs / 1000).toFixed(1)} s; holding them ${(holdMs / 1000).toFixed(1)} s`);
  await Bun.sleep(holdMs);
  await checkpoint(`after ${(holdMs / 1000).toFixed(1)} s idle`);
  for (const a of aborts) a.abort();
  aborts.length = 0;
  // Every hang-up must reach the upstream (through the tunnel: a cancel frame, then the joiner's abort).
  await deadline(`${side}: the upstream releasing the idle streams`, 10_000, async () => (await c.upstream.call<number>("held")) === 0 && (await tunnelInFlight(c.hub)) === 0);
  await Bun.sleep(200);
  await checkpoint("after the clients left");
  return { side, streams, holdMs, openMs, checkpoints };
}

export interface StallResult {
  /** Events/s of the fast stream, per round: alone, and beside a stalled stream on the same socket. */
  alone: number[];
  beside: number[];
  /** What the stalled stream's upstream had produced when it stopped, and whether it stayed stopped during the run (bytes). */
  stalledProduced: number[];
  stalledGrewDuringRun: number[];
  /** Bytes the hub held for the stalled stream (its side of the tunnel), at most a window. */
  hubBuffered: number[];
}

/** The stall phase (tunnel side only): see the file's comment. */
export async function measureStall(e: TunnelEndpoints, c: PhaseChildren, rounds: number, runMs: number, events: number, log: (s: string) => void): Promise<StallResult> {
  const url = chatUrl(e, "tunnel");
  const fast: Target = { url, body: chatBody(true, "burst") };
  const once = checkedStream(fast, events);
  const run = async () => {
    const r = await runFor(1, runMs, once);
    return (r.events * 1000) / r.wallMs;
  };
  const result: StallResult = { alone: [], beside: [], stalledProduced: [], stalledGrewDuringRun: [], hubBuffered: [] };
  const beside = async () => {
    const abort = new AbortController();
    const start = await c.upstream.call<number>("produced");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Go on forever." }], stream: true, bench_endless: true }),
      signal: abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stalled stream: HTTP ${res.status}`);
    await res.body.getReader().read(); // one chunk, then never again
    // Once everything between the upstream and the stalled client is full, the upstream stops.
    let last = -1;
    let now = await c.upstream.call<number>("produced");
    for (const end = performance.now() + 10_000; now !== last; now = await c.upstream.call<number>("produced")) {
      if (performance.now() > end) throw new Error("the stalled stream's upstream did not stop within 10 s");
      last = now;
      await Bun.sleep(150);
    }
    const eps = await run();
    const after = await c.upstream.call<number>("produced");
    const tunnels = await c.hub.call<TunnelInfo[]>("tunnels");
    result.stalledProduced.push(now - start);
    result.stalledGrewDuringRun.push(after - now);
    result.hubBuffered.push(tunnels.reduce((n, t) => n + t.buffered, 0));
    abort.abort();
    await deadline("the stalled stream ending", 10_000, async () => (await tunnelInFlight(c.hub)) === 0);
    return eps;
  };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (["alone", "beside"] as const) : (["beside", "alone"] as const);
    for (const which of order) result[which].push(which === "alone" ? await run() : await beside());
    log(`  stall round ${round + 1}/${rounds}: events/s alone ${Math.round(result.alone.at(-1)!)}, beside a stalled stream ${Math.round(result.beside.at(-1)!)}`);
  }
  return result;
}

export const stallRatio = (s: StallResult) => median(s.beside) / median(s.alone);
