/**
 * Participants that misbehave with the key they are given, for secret-hygiene tests: they
 * echo the `Authorization` value they received wherever a careless provider might — error
 * bodies, answers, in-band stream errors, response headers, lifecycle answers — chosen by a
 * word in the request. `leakyHandler` plugs into startFakeUpstream (both protocols, by path);
 * `keyedEndpoint` and `flakyKeyedEndpoint` are whole servers for join probes and health.
 */
import type { Server } from "bun";
import { sseResponse, type Handler } from "./fake-upstream.ts";

const enc = new TextEncoder();
let counter = 0;

const chatChunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-leaky", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export function chatEvents(text: string): string[] {
  return [
    chatChunk({ role: "assistant", content: "" }),
    chatChunk({ content: text }),
    chatChunk({}, "stop"),
    `data: ${JSON.stringify({ id: "chatcmpl-leaky", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\n`,
    "data: [DONE]\n\n",
  ];
}

export const chatCompletion = (text: string) => ({
  id: "chatcmpl-leaky",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

const responseObject = (id: string, status: string, text: string | null, extra: object = {}) => ({
  id,
  object: "response",
  created_at: 1,
  model: "m",
  status,
  output: text === null ? [] : [{ type: "message", id: "msg_leaky", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
  usage: text === null ? null : { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
  ...extra,
});

const responsesEvent = (type: string, payload: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

export function responsesEvents(id: string, text: string): string[] {
  return [
    responsesEvent("response.created", { sequence_number: 0, response: responseObject(id, "in_progress", null) }),
    responsesEvent("response.output_text.delta", { sequence_number: 1, item_id: "msg_leaky", output_index: 0, content_index: 0, delta: text }),
    responsesEvent("response.completed", { sequence_number: 2, response: responseObject(id, "completed", text) }),
  ];
}

/** Headers a hub forwards from an upstream (x-request-id, rate limits, ...), all holding `value`. */
const echoHeaders = (value: string) => ({ "x-request-id": value, "openai-processing-ms": value, "x-ratelimit-remaining-requests": value, "set-cookie": `key=${value}` });

/** A stream the handler keeps open: `first` at once, then one event every 20 ms (`slow`) or none (`stall`) until cancelled. */
function openStream(first: string, next: (() => string) | undefined): Response {
  let sent = false;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (!sent) {
        sent = true;
        return c.enqueue(enc.encode(first));
      }
      if (!next) return new Promise<void>(() => {});
      await Bun.sleep(20);
      if (!cancelled) c.enqueue(enc.encode(next()));
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/**
 * Inference and lifecycle answers, by a word in the request body: `echo-http` (401, key in the
 * error), `echo-text` (500, plain text with the key), `echo-json` (an answer whose text holds
 * the key), `echo-stream` (a stream ending in an in-band error holding the key), `echo-header`
 * (an answer with the key in forwarded headers), `hang` (no answer until aborted), `stall`
 * (one event, then silence), `slow` (an event every 20 ms until cancelled); anything else a
 * plain answer. Lifecycle: GET answers with the key in `instructions`, input_items is a 404
 * holding it, cancel and DELETE succeed.
 */
export const leakyHandler: Handler = (req, body) => {
  const key = req.headers.get("authorization") ?? "";
  const path = new URL(req.url).pathname;
  const lifecycle = /\/responses\/([^/]+)(\/[a-z_]+)?$/.exec(path);
  if (lifecycle) {
    const id = decodeURIComponent(lifecycle[1]!);
    if (lifecycle[2] === "/input_items") return Response.json({ error: { message: `no input items kept for ${key}`, type: "invalid_request_error" } }, { status: 404 });
    if (lifecycle[2] === "/cancel") return Response.json(responseObject(id, "cancelled", null));
    if (req.method === "DELETE") return Response.json({ id, object: "response", deleted: true });
    return Response.json(responseObject(id, "completed", "stored answer", { instructions: `remember ${key}` }));
  }
  const isChat = path.endsWith("/chat/completions");
  const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
  const id = `resp_leaky_${++counter}`;
  const has = (word: string) => body.includes(word);
  if (has("echo-http")) return Response.json({ error: { message: `Incorrect API key provided: ${key}`, type: "invalid_request_error", code: "invalid_api_key" } }, { status: 401 });
  if (has("echo-text")) return new Response(`upstream broke while using ${key}`, { status: 500, headers: { "content-type": "text/plain" } });
  if (has("hang")) return new Promise<Response>((resolve) => req.signal.addEventListener("abort", () => resolve(new Response(null))));
  if (has("stall") || has("slow")) {
    const first = isChat ? chatEvents("")[0]! : responsesEvents(id, "")[0]!;
    const next = has("slow") ? () => (isChat ? chatChunk({ content: "tick" }) : responsesEvent("response.output_text.delta", { sequence_number: 1, item_id: "msg_leaky", output_index: 0, content_index: 0, delta: "tick" })) : undefined;
    return openStream(first, next);
  }
  if (has("echo-stream")) {
    const events = isChat
      ? [chatEvents("hi")[0]!, chatEvents("hi")[1]!, `data: ${JSON.stringify({ error: { message: `key ${key} revoked`, type: "invalid_request_error", code: "invalid_api_key" } })}\n\n`]
      : [responsesEvents(id, "hi")[0]!, responsesEvent("error", { sequence_number: 1, code: "invalid_api_key", message: `key ${key} revoked`, param: null })];
    return sseResponse(events);
  }
  const text = has("echo-json") ? `your key is ${key}` : "ok";
  const headers = has("echo-header") ? echoHeaders(key) : {};
  if (stream) {
    const res = sseResponse(isChat ? chatEvents(text) : responsesEvents(id, text));
    return new Response(res.body, { headers: { "content-type": "text/event-stream", ...headers } });
  }
  return Response.json(isChat ? chatCompletion(text) : responseObject(id, "completed", text), { headers });
};

/** Answers the join probes like an OpenAI-compatible server, and chat with a short stream or body. */
function keyedFetch(expected: string) {
  return async (req: Request) => {
    const key = req.headers.get("authorization") ?? "";
    // Like a provider that quotes the rejected key back (several do, partly masked or not).
    if (key !== expected) return Response.json({ error: { message: `Incorrect API key provided: ${key}`, type: "invalid_request_error", code: "invalid_api_key" } }, { status: 401 });
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/v1/models") return Response.json({ object: "list", data: [{ id: "m", object: "model", owned_by: "fake" }] });
    const body = req.method === "POST" ? await req.text() : "";
    if (body === "{}") return Response.json({ error: { message: "you must provide a model parameter", type: "invalid_request_error" } }, { status: 400 });
    if (path !== "/v1/chat/completions") return new Response("404 page not found", { status: 404 });
    return (JSON.parse(body) as { stream?: boolean }).stream ? sseResponse(chatEvents("ok")) : Response.json(chatCompletion("ok"));
  };
}

/** A chat-only endpoint that wants one key and echoes any other in its 401. */
export function keyedEndpoint(expected: string) {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: keyedFetch(expected) });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => void server.stop(true) };
}

/** The same, switched off (its port closed) and on again on the same port. */
export function flakyKeyedEndpoint(expected: string) {
  let server: Server<unknown> | undefined;
  let port = 0;
  const start = () => {
    server = Bun.serve({ port, hostname: "127.0.0.1", idleTimeout: 0, fetch: keyedFetch(expected) });
    port = server.port!;
  };
  start();
  return {
    url: `http://127.0.0.1:${port}`,
    down: () => void server?.stop(true),
    up: start,
    stop: () => void server?.stop(true),
  };
}
