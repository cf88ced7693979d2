/**
 * The workloads, each run the same way against the upstream directly, through the bare proxy
 * and through the hub; the adaptation workloads directly, through the hub untranslated, and
 * through the hub translating (see ADAPTED_SIDES).
 * A scenario turns one run into named figures; the runner pairs them across sides and rounds.
 */
import { jsonOnce, runCount, runFor, streamOnce, type RunResult, type Sample, type Target } from "./load.ts";
import { percentile, median } from "./stats.ts";
import type { Config } from "./config.ts";

/**
 * Straight to the upstream, through the bare Bun proxy (the floor of any hop), through the hub
 * to a participant that speaks the request's protocol (passthrough), and through the hub to
 * one that speaks only the other protocol (`adapted`: the request and answer are translated).
 */
export type Side = "direct" | "bare" | "hub" | "adapted";
export const SIDES: readonly Side[] = ["direct", "bare", "hub"];
/**
 * The adaptation scenarios: the same upstream answer fetched directly, relayed by the hub
 * untranslated (a client speaking the participant's protocol), and translated for a client
 * speaking the other one. adapted/hub is then what translation adds to the hub's own cost.
 */
export const ADAPTED_SIDES: readonly Side[] = ["direct", "hub", "adapted"];

/**
 * Participants that speak one protocol: base URLs under the upstream whose path tells the fake
 * upstream to answer 404 on the other route (and, since the Responses → chat adapter drops
 * unknown fields such as `bench_write`, how to write the stream; see upstream-server.ts).
 */
export type OneProtocol =
  | "chatOnly"
  | "chatOnlyBurst"
  | "chatOnlyGap"
  | "responsesOnly"
  | "responsesOnlyBurst"
  | "responsesOnlyGap"
  | "messagesOnly"
  | "messagesOnlyBurst"
  | "messagesOnlyGap"
  | "chatOnlyMemory";

export function oneProtocolPaths(memoryEvents: number): Record<OneProtocol, string> {
  return {
    chatOnly: "/chat-only",
    chatOnlyBurst: "/chat-only/burst",
    chatOnlyGap: "/chat-only/first-gap",
    responsesOnly: "/responses-only",
    responsesOnlyBurst: "/responses-only/burst",
    responsesOnlyGap: "/responses-only/first-gap",
    messagesOnly: "/messages-only",
    messagesOnlyBurst: "/messages-only/burst",
    messagesOnlyGap: "/messages-only/first-gap",
    // Its own room, so the store the memory phase fills starts empty.
    chatOnlyMemory: `/chat-only/events-${memoryEvents}`,
  };
}

export interface Endpoints {
  upstream: string;
  bare: string;
  hub: string;
  /** The room whose participant speaks both protocols (every non-adapted scenario). */
  room: string;
  /** One room per one-protocol participant, each its only member. */
  rooms: Record<OneProtocol, string>;
  paths: Record<OneProtocol, string>;
}

export interface Scenario {
  key: string;
  /** One request in flight at a time: the proxies share the load generator's CPU (placeProxies in ../proxy.ts). */
  serial?: boolean;
  /** The sides it runs on, SIDES unless given. */
  sides?: readonly Side[];
  run(side: Side): Promise<RunResult>;
  metrics(r: RunResult): Record<string, number>;
}

export function targetUrl(e: Endpoints, side: Side, path: "/chat/completions" | "/responses"): string {
  if (side === "direct") return `${e.upstream}/v1${path}`;
  return `${side === "bare" ? e.bare : e.hub}/rooms/${e.room}/v1${path}`;
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

/** A chat request whose answer the upstream pads to `bytes` (`bench_bytes`): non-streamed chat of an embedding's size. */
export const chatBodyOfSize = (bytes: number) => JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Say hi" }], bench_bytes: bytes });

/** An embeddings request as openai-python sends one (one string); `float`, as the recorded answer the upstream gives. */
export const embeddingsBody = () => JSON.stringify({ model: "bench-model", input: "The food was delicious and the waiter...", encoding_format: "float" });

export const responsesBody = (stream: boolean, write?: Write, events?: number, store?: boolean) =>
  JSON.stringify({ model: "bench-model", input: "Say hi", ...(store === undefined ? {} : { store }), ...extras(stream, write, events) });

/**
 * A stream that did not deliver every event would make events/s meaningless: fail loudly.
 * `report` is the count the sample then carries: for an adapted stream, the events the
 * upstream produced, so events/s and CPU per event count the same work on every side.
 */
function checked(expected: number, once: () => Promise<Sample>, report = expected): () => Promise<Sample> {
  return async () => {
    const s = await once();
    if (s.events !== expected) throw new Error(`expected ${expected} SSE events in a response, got ${s.events}`);
    if (report !== expected) s.events = report;
    return s;
  };
}

/**
 * The two directions of adaptation, named by what the client speaks ← what the participant
 * speaks, and how many events the client gets for an upstream stream of n events:
 * - Responses ← chat: chat's role, n−4 content, finish and usage chunks and `[DONE]` become
 *   response.created, .in_progress, output_item.added, content_part.added, n−4 deltas, the
 *   three .done events and response.completed: n+4;
 * - chat ← Responses: n−8 deltas among n events become a role chunk, n−8 content chunks, a
 *   finish chunk, a usage chunk and `[DONE]`: n−4;
 * - Messages ← chat: the same chat stream becomes message_start, content_block_start, n−4
 *   text deltas, content_block_stop, message_delta and message_stop: n+1;
 * - chat ← Messages: a Messages stream of n events (message_start, content_block_start, n−5
 *   text deltas, content_block_stop, message_delta, message_stop) becomes a role chunk, n−5
 *   content chunks, a finish chunk, a usage chunk and `[DONE]`: n−1;
 * - Responses ← Messages (responses-via-messages, straight from the Messages events): response.created, .in_progress,
 *   output_item.added, content_part.added, n−5 deltas, the three .done events and
 *   response.completed: n+3;
 * - Messages ← Responses (messages-via-responses, a chain through the chat shape): the n−8
 *   deltas of a Responses stream of n events become n−8 chat content chunks (chat ← Responses)
 *   and then message_start, content_block_start, n−8 text deltas, content_block_stop,
 *   message_delta and message_stop: n−3.
 * For chat ← Messages and Responses ← Messages the hub side is a Messages client passed through
 * to the Messages participant; for Messages ← Responses, a Responses client passed through.
 */
export type Direction = "responses_via_chat" | "chat_via_responses" | "messages_via_chat" | "chat_via_messages" | "responses_via_messages" | "messages_via_responses";
/** How the participant writes its stream: as `Write`, or write per event with a 1 ms pause after the first (upstream-server.ts). */
type Shape = Write | "gap";
const DIRECTIONS: Record<Direction, { upstream: ApiPath; client: ApiPath; clientEvents: (n: number) => number; participant: Record<Shape, OneProtocol> }> = {
  responses_via_chat: {
    upstream: "/chat/completions",
    client: "/responses",
    clientEvents: (n) => n + 4,
    participant: { event: "chatOnly", burst: "chatOnlyBurst", gap: "chatOnlyGap" },
  },
  chat_via_responses: {
    upstream: "/responses",
    client: "/chat/completions",
    clientEvents: (n) => n - 4,
    participant: { event: "responsesOnly", burst: "responsesOnlyBurst", gap: "responsesOnlyGap" },
  },
  messages_via_chat: {
    upstream: "/chat/completions",
    client: "/messages",
    clientEvents: (n) => n + 1,
    participant: { event: "chatOnly", burst: "chatOnlyBurst", gap: "chatOnlyGap" },
  },
  chat_via_messages: {
    upstream: "/messages",
    client: "/chat/completions",
    clientEvents: (n) => n - 1,
    participant: { event: "messagesOnly", burst: "messagesOnlyBurst", gap: "messagesOnlyGap" },
  },
  responses_via_messages: {
    upstream: "/messages",
    client: "/responses",
    clientEvents: (n) => n + 3,
    participant: { event: "messagesOnly", burst: "messagesOnlyBurst", gap: "messagesOnlyGap" },
  },
  messages_via_responses: {
    upstream: "/responses",
    client: "/messages",
    clientEvents: (n) => n - 3,
    participant: { event: "responsesOnly", burst: "responsesOnlyBurst", gap: "responsesOnlyGap" },
  },
};

type ApiPath = "/chat/completions" | "/responses" | "/messages";

/** An Anthropic Messages request (the hub translates it for a chat participant, and passes it through to a Messages one). */
export const messagesBody = (stream: boolean) => JSON.stringify({ model: "bench-model", max_tokens: 256, messages: [{ role: "user", content: "Say hi" }], ...(stream ? { stream: true } : {}) });

/** No `bench_*` fields: the participant's path says how to answer, so all three sides send the same. */
const plainBody = (path: ApiPath, stream: boolean, store: boolean) =>
  path === "/responses" ? responsesBody(stream, undefined, undefined, store) : path === "/messages" ? messagesBody(stream) : chatBody(stream);

/**
 * One adapted request on a side: direct and hub send the upstream's protocol (to the upstream
 * itself, or to the participant's room), adapted sends the other one to the same room.
 */
export function adaptedTarget(e: Endpoints, dir: Direction, participant: OneProtocol, side: Side, stream: boolean, store = false): Target {
  const d = DIRECTIONS[dir];
  const path = side === "adapted" ? d.client : d.upstream;
  const url = side === "direct" ? `${e.upstream}${e.paths[participant]}/v1${path}` : `${e.hub}/rooms/${e.rooms[participant]}/v1${path}`;
  return { url, body: plainBody(path, stream, store) };
}

export function adaptedClientEvents(dir: Direction, upstreamEvents: number): number {
  return DIRECTIONS[dir].clientEvents(upstreamEvents);
}

const ttfts = (r: RunResult) => r.samples.map((s) => s.firstMs);
const perSecond = (n: number, ms: number) => (n * 1000) / ms;

export function scenarios(e: Endpoints, c: Config): Scenario[] {
  const chatJson = (side: Side): Target => ({ url: targetUrl(e, side, "/chat/completions"), body: chatBody(false) });
  const responsesJson = (side: Side): Target => ({ url: targetUrl(e, side, "/responses"), body: responsesBody(false) });
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
  const adaptedStream = (dir: Direction, shape: Shape) => (side: Side) => {
    const t = adaptedTarget(e, dir, DIRECTIONS[dir].participant[shape], side, true);
    return checked(side === "adapted" ? adaptedClientEvents(dir, c.events) : c.events, () => streamOnce(t), c.events);
  };
  const jsonMetrics = (r: RunResult) => {
    const ms = r.samples.map((s) => s.totalMs);
    return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
  };
  // The c=1 scenarios together, then the loaded ones: the side that runs first after a loaded
  // run is sometimes slower (direct non-stream p50 0.052 against 0.039 ms in the rounds where it
  // followed the burst run), so there are as few such switches as possible.
  const directions = Object.keys(DIRECTIONS) as Direction[];
  const adapted: Scenario[] = [];
  for (const dir of directions) {
    adapted.push(
      {
        key: `${dir}_stream_c1`,
        serial: true,
        sides: ADAPTED_SIDES,
        run: (side) => runCount(1, c.ttftCount, adaptedStream(dir, "event")(side)),
        metrics: streamMetrics,
      },
      {
        // The first event alone, then a pause: its latency without the backlog (README).
        key: `${dir}_gap_c1`,
        serial: true,
        sides: ADAPTED_SIDES,
        run: (side) => runCount(1, c.ttftCount, adaptedStream(dir, "gap")(side)),
        metrics: streamMetrics,
      },
      {
        key: `${dir}_json_c1`,
        serial: true,
        sides: ADAPTED_SIDES,
        run: (side) => runCount(1, c.jsonCount, () => jsonOnce(adaptedTarget(e, dir, DIRECTIONS[dir].participant.event, side, false))),
        metrics: jsonMetrics,
      },
    );
  }
  // store:true (the Responses default): the hub also keeps each adapted response for the room.
  adapted.push({
    key: "responses_via_chat_json_stored_c1",
    serial: true,
    sides: ADAPTED_SIDES,
    run: (side) => runCount(1, c.jsonCount, () => jsonOnce(adaptedTarget(e, "responses_via_chat", "chatOnly", side, false, true))),
    metrics: jsonMetrics,
  });
  for (const dir of directions) {
    // Not in --quick: with a write per event the load generator and upstream are the limit, not
    // the adapter (adapted/direct ≈ 1), and leaving these two runs out keeps --quick near 30 s.
    if (!c.quick) adapted.push({ key: `${dir}_stream_c64`, sides: ADAPTED_SIDES, run: (side) => runFor(64, c.runMs, adaptedStream(dir, "event")(side)), metrics: streamMetrics });
    adapted.push({ key: `${dir}_burst_c64`, sides: ADAPTED_SIDES, run: (side) => runFor(64, c.runMs, adaptedStream(dir, "burst")(side)), metrics: streamMetrics });
  }
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
      metrics: jsonMetrics,
    },
    {
      key: "chat_json_c32",
      run: (side) => runFor(32, c.runMs, () => jsonOnce(chatJson(side))),
      metrics: (r) => ({ reqPerSec: perSecond(r.samples.length, r.wallMs) }),
    },
    {
      // A new Responses id per answer: the hub's id map takes a key each time, as in real use.
      key: "responses_json_c32",
      run: (side) => runFor(32, c.runMs, () => jsonOnce(responsesJson(side))),
      metrics: (r) => ({ reqPerSec: perSecond(r.samples.length, r.wallMs) }),
    },
    ...adapted,
  ];
}
