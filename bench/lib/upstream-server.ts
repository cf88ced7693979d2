/**
 * Child process: a fake OpenAI-compatible participant on 127.0.0.1:0 that answers as fast as
 * it can: no delay between events, so what is measured is the cost of moving events, not of
 * waiting for them. Two ways to write a stream, chosen per request by `bench_write`:
 * - "event" (default): one socket write per event. Between events the stream yields to the
 *   event loop (setImmediate, not a timer), which is what makes Bun flush each event on its
 *   own, the way a real server writes one token at a time (without the yield, Bun coalesces
 *   synchronous enqueues into one write even with `highWaterMark: 0`);
 * - "burst": every event enqueued at once; Bun coalesces them, so a 256-event response arrives
 *   in two reads (the first event, then the rest), as when an upstream is faster than its reader.
 *
 * - GET /v1/models → `bench-model`;
 * - POST with body `{}` → 400, as a real server answers the hub's join probes; a Responses
 *   request with a `previous_response_id` → OpenAI's 400 `previous_response_not_found` (the
 *   hub's state probe then finds a server that keeps conversations, as OpenAI's);
 * - POST /v1/embeddings → OpenAI's recorded answer for text-embedding-3-small at 768
 *   dimensions (test/fixtures/embeddings/openai-3-small-float.json, 14.5 kB of floats), whatever
 *   was asked: the hub passes embeddings through, so only the answer's size matters;
 * - POST /v1/chat/completions and /v1/responses: `stream: true` → an SSE stream of
 *   `bench_events` events (default 256) written as `bench_write` says, else a small JSON
 *   body (a chat one padded to `bench_bytes` bytes when asked: the size of an embedding). Responses ids are unique per request so the hub's id map sees a new key each time.
 *
 * Path options, for participants the hub must translate for: segments before `/v1` shape
 * every answer under them, so one process serves every scenario and each participant is a base
 * URL (`http://…/chat-only/burst`, the hub appends `/v1/...`):
 * - `chat-only` / `responses-only`: the other protocol's route answers 404, as a server that
 *   lacks it would; the hub's join probe then records one protocol only;
 * - `messages-only`: Anthropic's `POST /v1/messages` (a stream of `messagesStream`, or
 *   `MESSAGE_JSON`) and no OpenAI route; no other path answers `/v1/messages`, so every other
 *   participant stays as it was (chat and Responses);
 * - `burst`, `events-N`: the write shape and event count, for requests whose `bench_*` fields
 *   do not reach the upstream (the Responses → chat adapter sends only fields it maps).
 *   A `bench_*` field in the body still wins;
 * - `first-gap`: write per event, but wait 1 ms (a timer) after the first event, as a model
 *   does between its first and second token: a relay that is slower than this upstream has
 *   caught up by then, so the first event's latency is the relay's, not its backlog's;
 * - `p-N`: no effect on the answer; it makes base URLs distinct, so one process can be many
 *   participants (scale.ts joins thousands, each probed at its own URL).
 *
 * Two stream shapes for tunnel.ts, by body field:
 * - `bench_hold: true`: the first event, then nothing until the client goes (an idle stream: a
 *   model thinking); `held` over IPC counts those open now;
 * - `bench_endless: true`: content events for as long as they are read (never ends; produced
 *   only when pulled, so a stalled reader stops it); `produced` counts their bytes.
 */
import { CHAT_COMPLETION, MESSAGE_JSON, MIN_EVENTS, chatStream, messagesStream, responseJson, responsesStream } from "./sse-events.ts";
import { processUsage, serveParent } from "./children.ts";

const DEFAULT_EVENTS = 256;
/** Chat answers padded to `bench_bytes` (the message content made longer), made once per size. */
const padded = new Map<number, string>();
function paddedChat(bytes: number): string {
  let body = padded.get(bytes);
  if (body === undefined) {
    const parsed = JSON.parse(CHAT_COMPLETION) as { choices: { message: { content: string } }[] };
    parsed.choices[0]!.message.content = "x".repeat(Math.max(0, bytes - CHAT_COMPLETION.length));
    padded.set(bytes, (body = JSON.stringify(parsed)));
  }
  return body;
}
const EMBEDDING = new Uint8Array(await Bun.file(new URL("../../test/fixtures/embeddings/openai-3-small-float.json", import.meta.url)).arrayBuffer());
let responseCount = 0;

const json = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "application/json" } });

const notFound = () => json(404, '{"error":{"message":"not found"}}');

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One enqueue per event; `highWaterMark: 0` so nothing is produced before the socket asks. */
function sse(events: Uint8Array[], write: "event" | "burst", firstGap = false): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        controller.enqueue(events[i++]!);
        if (i === events.length) controller.close();
        else if (firstGap && i === 1) await Bun.sleep(1);
        else if (write === "event") await nextTick();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}

let held = 0;
let produced = 0;

/** One event, then silence until the reader cancels (the client left). */
function holdOpen(first: Uint8Array): Response {
  held++;
  const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(first), cancel: () => void held-- }, { highWaterMark: 0 });
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}

/** Content events for as long as they are pulled. */
function endless(first: Uint8Array, content: Uint8Array): Response {
  let started = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const event = started ? content : first;
        started = true;
        produced += event.length;
        controller.enqueue(event);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}

interface PathOptions {
  only?: "chat" | "responses" | "messages";
  write?: "event" | "burst";
  events?: number;
  firstGap?: boolean;
}

/** `/chat-only/burst/v1/chat/completions` → the options and `/v1/chat/completions`; undefined if malformed. */
function parsePath(pathname: string): { path: string; opts: PathOptions } | undefined {
  const at = pathname.indexOf("/v1/");
  if (at < 0) return undefined;
  const opts: PathOptions = {};
  for (const seg of pathname.slice(0, at).split("/")) {
    if (seg === "") continue;
    else if (seg === "chat-only") opts.only = "chat";
    else if (seg === "responses-only") opts.only = "responses";
    else if (seg === "messages-only") opts.only = "messages";
    else if (seg === "burst") opts.write = "burst";
    else if (seg === "first-gap") opts.firstGap = true;
    else if (/^events-\d+$/.test(seg)) opts.events = Number(seg.slice(7));
    else if (/^p-\d+$/.test(seg)) continue;
    else return undefined;
  }
  return { path: pathname.slice(at), opts };
}

/** A Messages-only participant's answer: the probe's `{}` a 400 (Anthropic's shape), then a stream or a body. */
async function messages(req: Request, opts: PathOptions): Promise<Response> {
  const text = await req.text();
  if (text === "{}") return json(400, JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "model: Field required" } }));
  const body = JSON.parse(text) as { stream?: boolean };
  if (!body.stream) return json(200, MESSAGE_JSON);
  return sse(messagesStream(Math.max(MIN_EVENTS, opts.events ?? DEFAULT_EVENTS)), opts.write ?? "event", opts.firstGap);
}

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  idleTimeout: 60,
  async fetch(req) {
    const parsed = parsePath(new URL(req.url).pathname);
    if (!parsed) return notFound();
    const { path, opts } = parsed;
    if (req.method === "GET" && path === "/v1/models") {
      return Response.json({ object: "list", data: [{ id: "bench-model", object: "model", owned_by: "bench" }] });
    }
    if (req.method === "POST" && path === "/v1/embeddings" && !opts.only) {
      const text = await req.text();
      if (text === "{}") return json(400, JSON.stringify({ error: { message: "'input' is a required property", type: "invalid_request_error", code: null, param: null } }));
      return new Response(EMBEDDING, { headers: { "content-type": "application/json" } });
    }
    if (req.method === "POST" && path === "/v1/messages" && opts.only === "messages") return messages(req, opts);
    const isChat = path === "/v1/chat/completions";
    if (req.method !== "POST" || (!isChat && path !== "/v1/responses")) return notFound();
    // Checked before the body, so the join probe's `{}` gets a 404 here, not a 400.
    if (opts.only && opts.only !== (isChat ? "chat" : "responses")) return notFound();
    const text = await req.text();
    if (text === "{}") {
      return json(400, JSON.stringify({ error: { message: "you must provide a model parameter", type: "invalid_request_error", code: null, param: null } }));
    }
    const body = JSON.parse(text) as { stream?: boolean; bench_bytes?: number; bench_events?: number; bench_write?: "event" | "burst"; bench_hold?: boolean; bench_endless?: boolean; previous_response_id?: string };
    // As OpenAI answers the join probe's made-up previous_response_id: a server that keeps state,
    // so the hub passes Responses turns through without keeping them (hub/responses/state.ts).
    if (!isChat && typeof body.previous_response_id === "string") {
      const message = `Previous response with id '${body.previous_response_id}' not found.`;
      return json(400, JSON.stringify({ error: { message, type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" } }));
    }
    if (isChat && body.stream && (body.bench_hold || body.bench_endless)) {
      const [first, content] = chatStream(MIN_EVENTS) as [Uint8Array, Uint8Array];
      return body.bench_hold ? holdOpen(first) : endless(first, content);
    }
    const n = Math.max(MIN_EVENTS, body.bench_events ?? opts.events ?? DEFAULT_EVENTS);
    const write = (body.bench_write ?? opts.write) === "burst" ? "burst" : "event";
    if (isChat && !body.stream && body.bench_bytes) return json(200, paddedChat(body.bench_bytes));
    if (isChat) return body.stream ? sse(chatStream(n), write, opts.firstGap) : json(200, CHAT_COMPLETION);
    const id = `resp_bench${(++responseCount).toString(16).padStart(12, "0")}`;
    return body.stream ? sse(responsesStream(n, id), write, opts.firstGap) : json(200, responseJson(id));
  },
});

serveParent({ url: `http://127.0.0.1:${server.port}` }, {
  usage: (arg) => processUsage(arg === true),
  held: () => held,
  produced: () => produced,
});
