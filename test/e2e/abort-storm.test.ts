/**
 * 1,000 streams aborted by their client at random points (seeded): both client protocols,
 * relayed as is and translated, against a real hub and upstreams that stream slowly until
 * cancelled. Afterwards every upstream request has been aborted, every participant's
 * `inFlight` is 0, no timer set during the storm is still pending (the hub's deadline timers
 * and anything set through the global setTimeout/setInterval), and the process holds no more
 * file descriptors than before it, give or take a few pooled keep-alive connections.
 *
 * Abort points, per stream: before the first byte (the upstream holds its headers; the client
 * aborts once the upstream has the request), or after reading 0–7 events (0: as soon as the
 * headers arrive), by `AbortController.abort()` or, for some, by cancelling the body reader.
 * Nothing sleeps to force an order: every wait is an event or a poll with a deadline.
 *
 * Every stream is relayed the moment it arrives: each participant declares more slots than the
 * storm has streams, so none waits in its room's queue. (One that waited a second would be
 * answered 200 with `: queued` comments before its participant had it, queued-stream.ts, and
 * how many did would depend on the machine's load; aborts in the queue are pool-queue.test.ts's.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, waitFor, type FakeUpstream, type Handler, type RecordedRequest } from "../helpers/fake-upstream.ts";
import { countingTimers, type CountingTimers } from "../helpers/fake-timers.ts";
import { countFds, fdsSupported, trackTimers, type TimerTracker } from "../helpers/leaks.ts";
import { prng } from "../helpers/prng.ts";
import { MAX_CONCURRENCY } from "../../src/common/max-concurrency.ts";

const SEED = 0x0ab0_4751;
const STREAMS = 1_000;
const CONCURRENCY = 48;
/** Pause between two upstream events: slow next to the client, which aborts within a few. */
const EVENT_GAP_MS = 2;
/** Descriptors a run may end with beyond its start: keep-alive connections a pool keeps. */
const FD_MARGIN = 8;
/** Each participant's declared capacity: more than the storm's streams, so nothing ever queues. */
const SLOTS = MAX_CONCURRENCY;

type Protocol = "chat" | "responses";
type Kind = "both" | "chat" | "responses";

interface Route {
  name: string;
  client: Protocol;
  upstream: Protocol;
  kind: Kind;
}

const ROUTES: Route[] = [
  { name: "chat, passthrough", client: "chat", upstream: "chat", kind: "both" },
  { name: "Responses, passthrough", client: "responses", upstream: "responses", kind: "both" },
  { name: "Responses ← chat", client: "responses", upstream: "chat", kind: "chat" },
  { name: "chat ← Responses", client: "chat", upstream: "responses", kind: "responses" },
];

const UP = {
  chat: {
    first: `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
    text: (t: string) => `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${t}"},"finish_reason":null}]}\n\n`,
  },
  responses: {
    first: `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_storm","object":"response","created_at":1,"model":"m","status":"in_progress","output":[]}}\n\n`,
    text: (t: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"${t}"}\n\n`,
  },
};

/** What the upstream saw of one stream, found by the tag in the request's text. */
interface Seen {
  record: RecordedRequest;
  /** The upstream's body stream was cancelled (streams that got past their headers). */
  cancelled: boolean;
  held: boolean;
}

let hub: TestHub;
let timers: CountingTimers;
let tracker: TimerTracker | undefined;
const upstreams = {} as Record<Kind, FakeUpstream>;
const rooms = {} as Record<Kind, string>;
const seen = new Map<number, Seen>();
/** Resolvers for clients waiting until the upstream has their request. */
const arrived = new Map<number, () => void>();

const enc = new TextEncoder();

/** An endless stream: the first event at once, then one every EVENT_GAP_MS until cancelled. */
function slowStream(protocol: Protocol, entry: Seen): Response {
  let n = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (n > 0) await Bun.sleep(EVENT_GAP_MS);
        if (entry.cancelled) return;
        c.enqueue(enc.encode(n === 0 ? UP[protocol].first : UP[protocol].text(`t${n}`)));
        n++;
      },
      cancel() {
        entry.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

function handler(protocol: Protocol): Handler {
  return (req, body, record) => {
    const tag = /#s(\d+)([hs])#/.exec(body);
    if (!tag) return Response.json({ error: { message: "untagged request" } }, { status: 400 });
    const id = Number(tag[1]);
    const entry: Seen = { record, cancelled: false, held: tag[2] === "h" };
    seen.set(id, entry);
    arrived.get(id)?.();
    // Held: no headers until the hub gives up on the request (only an abort ends it).
    if (entry.held) return new Promise<Response>((resolve) => req.signal.addEventListener("abort", () => resolve(new Response(null))));
    return slowStream(protocol, entry);
  };
}

function send(route: Route, id: number, held: boolean, signal: AbortSignal): Promise<Response> {
  const text = `#s${id}${held ? "h" : "s"}#`;
  const body = route.client === "chat" ? { model: "*", stream: true, messages: [{ role: "user", content: text }] } : { model: "*", stream: true, input: text, store: false };
  return fetch(`${hub.url}/rooms/${rooms[route.kind]}/v1/${route.client === "chat" ? "chat/completions" : "responses"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

type At = "right-away" | "before-first-byte" | number;
type Plan = { id: number; route: Route; at: At; by: "abort" | "cancel"; yields: number };

/** The whole storm, decided up front from the seed. */
function plans(seed: number, count: number, offset = 0): Plan[] {
  const rand = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const route = ROUTES[Math.floor(rand() * ROUTES.length)]!;
    const r = rand();
    const at: At = r < 0.1 ? "right-away" : r < 0.25 ? "before-first-byte" : Math.floor(rand() * 8);
    const by = typeof at === "number" && rand() < 0.25 ? "cancel" : "abort";
    return { id: offset + i, route, at, by, yields: Math.floor(rand() * 12) };
  });
}

/**
 * Every client's response, reader and controller, kept until the checks are done: a dropped
 * Response is cancelled by Bun's garbage collector, which would hide a hang-up that never
 * happened. Here only the explicit abort or cancel ends a stream.
 */
const alive: unknown[] = [];

const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One client: send, read until its abort point, hang up. */
async function runOne(p: Plan): Promise<void> {
  const abort = new AbortController();
  alive.push(abort);
  if (p.at === "right-away" || p.at === "before-first-byte") {
    // Right away: somewhere between the hub reading the request and the upstream getting it
    // (a few event-loop turns in); the upstream may never see it. Before the first byte: the
    // upstream has it and holds its headers.
    const there = new Promise<void>((resolve) => arrived.set(p.id, resolve));
    const pending = send(p.route, p.id, true, abort.signal).catch((err: Error) => err);
    alive.push(pending);
    if (p.at === "right-away") for (let i = 0; i < p.yields; i++) await nextTask();
    else await there;
    abort.abort();
    const outcome = await pending;
    if (!(outcome instanceof Error)) throw new Error(`stream ${p.id}: expected the aborted fetch to reject, got HTTP ${outcome.status}`);
    return;
  }
  const res = await send(p.route, p.id, false, abort.signal);
  if (res.status !== 200) throw new Error(`stream ${p.id} (${p.route.name}): HTTP ${res.status} ${await res.text()}`);
  const reader = res.body!.getReader();
  alive.push(res, reader);
  let events = 0;
  let last = 0;
  while (events < p.at) {
    const r = await reader.read();
    if (r.done) throw new Error(`stream ${p.id} (${p.route.name}) ended after ${events} events; the upstream never ends`);
    for (let i = r.value.indexOf(10); i !== -1; i = r.value.indexOf(10, i + 1)) if ((i > 0 ? r.value[i - 1] : last) === 10) events++;
    if (r.value.length > 0) last = r.value[r.value.length - 1]!;
  }
  if (p.by === "abort") abort.abort();
  else await reader.cancel();
}

async function storm(list: Plan[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) await runOne(list[next++]!);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const participants = () => (Object.keys(rooms) as Kind[]).map((k) => hub.hub.ctx.registry.find(rooms[k])!.participants.get(`p-${k}`)!);
const inFlightOf = (id: string) => (Object.keys(rooms) as Kind[]).reduce((n, k) => n + (hub.hub.ctx.registry.find(rooms[k])!.scheduler.memberView(id)?.inFlight ?? 0), 0);

beforeAll(async () => {
  timers = countingTimers();
  hub = startTestHub({ timers });
  upstreams.both = startFakeUpstream({ models: ["m"] });
  upstreams.chat = startFakeUpstream({ models: ["m"], responses: false });
  upstreams.responses = startFakeUpstream({ models: ["m"], chat: false });
  for (const kind of ["both", "chat", "responses"] as const) {
    rooms[kind] = await hub.createRoom({ name: `storm ${kind}` });
    const res = await hub.join(rooms[kind], { id: `p-${kind}`, nickname: `${kind}-speaker`, model: "m", endpoint: upstreams[kind].url, maxConcurrency: SLOTS });
    expect(res.status).toBe(201);
  }
  upstreams.chat.handle(handler("chat"));
  upstreams.responses.handle(handler("responses"));
  // The participant that speaks both answers each protocol in its own.
  const both = { chat: handler("chat"), responses: handler("responses") };
  upstreams.both.handle((req, body, record) => both[new URL(req.url).pathname.endsWith("/responses") ? "responses" : "chat"](req, body, record));
});

afterAll(async () => {
  tracker?.restore();
  await hub.stop();
  for (const u of Object.values(upstreams)) await u.stop();
});

test("1,000 streams aborted at random points: every upstream request aborted, nothing left behind", async () => {
  // Warm-up (a few of every kind) so connection pools and lazily made state exist before the count.
  await storm(plans(SEED ^ 0xffff, 64, 100_000));
  expect(await waitFor(() => participants().every((p) => inFlightOf(p.id) === 0) && timers.live === 0, 5_000)).toBe(true);
  alive.length = 0;
  seen.clear();
  const fdsBefore = fdsSupported ? countFds() : undefined;
  const hubTimersBefore = timers.created;
  // Installed for the storm and the checks after it: a timer set during the storm and cleared
  // after it must be seen cleared (afterAll puts the originals back if a check fails first).
  tracker = trackTimers();
  const list = plans(SEED, STREAMS);
  // The storm's premise: every participant takes all its streams at once.
  for (const k of Object.keys(rooms) as Kind[]) expect(hub.hub.ctx.registry.find(rooms[k])!.scheduler.memberView(`p-${k}`)!.maxConcurrency).toBeGreaterThan(STREAMS);
  const started = performance.now();
  await storm(list);
  const stormMs = performance.now() - started;

  // Each route and each kind of abort point was exercised.
  for (const route of ROUTES) {
    const mine = list.filter((p) => p.route === route);
    expect(mine.filter((p) => p.at === "right-away").length).toBeGreaterThan(10);
    expect(mine.filter((p) => p.at === "before-first-byte").length).toBeGreaterThan(10);
    expect(mine.filter((p) => p.at === 0).length).toBeGreaterThan(10);
    expect(mine.filter((p) => typeof p.at === "number" && p.at >= 4).length).toBeGreaterThan(50);
    expect(mine.filter((p) => p.by === "cancel").length).toBeGreaterThan(20);
  }

  // Every stream but those aborted right away reached its upstream (its client waited for the
  // headers, or for the upstream to have it); every request an upstream got was aborted, and
  // every body it had started was cancelled.
  const reached = list.filter((p) => p.at !== "right-away");
  expect(reached.filter((p) => !seen.has(p.id))).toEqual([]);
  const notAborted = () => [...seen.entries()].filter(([, s]) => !s.record.aborted).map(([id]) => id);
  const notCancelled = () => [...seen.entries()].filter(([, s]) => !s.held && !s.cancelled).map(([id]) => id);
  await waitFor(() => notAborted().length === 0 && notCancelled().length === 0, 10_000);
  expect({ notAborted: notAborted(), notCancelled: notCancelled() }).toEqual({ notAborted: [], notCancelled: [] });

  // Bookkeeping: nothing in flight, no deadline timer and no other timer still pending.
  await waitFor(() => participants().every((p) => inFlightOf(p.id) === 0), 5_000);
  expect(participants().map((p) => inFlightOf(p.id))).toEqual([0, 0, 0]);
  expect(timers.created - hubTimersBefore).toBeGreaterThanOrEqual(reached.length);
  await waitFor(() => timers.live === 0 && tracker!.live === 0, 5_000);
  expect(timers.live).toBe(0);
  expect(tracker.liveSites()).toEqual([]);
  expect(tracker.created).toBeGreaterThanOrEqual(reached.length);
  tracker.restore();

  // Descriptors (sockets among them) back to where the storm started, within a few pooled
  // connections, while every client object is still referenced.
  if (fdsBefore) {
    let after = countFds();
    await waitFor(() => (after = countFds()).all <= fdsBefore.all + FD_MARGIN, 10_000);
    expect(after.all).toBeLessThanOrEqual(fdsBefore.all + FD_MARGIN);
    expect(after.sockets).toBeLessThanOrEqual(fdsBefore.sockets + FD_MARGIN);
  }
  alive.length = 0;
  expect(stormMs).toBeLessThan(15_000);
}, 30_000);
