/**
 * A fake OpenAI-compatible (and, with `messages`, Anthropic-compatible) participant on
 * 127.0.0.1:0: answers the hub's probes like a real server would, records every request (headers, body, whether it was aborted), and serves
 * inference with whatever handler a test sets — usually a recorded provider stream.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  aborted: boolean;
}

export type Handler = (req: Request, body: string, record: RecordedRequest) => Response | Promise<Response>;

export interface FakeUpstreamOptions {
  /** Model ids for GET /v1/models; null → 404 (endpoint without a model list). */
  models?: string[] | null;
  /** The `owned_by` of each listed model, which tells the hub the kind of server (default "fake"). */
  ownedBy?: string;
  /** The body of GET /props (outside /v1), as llama.cpp's; unset → 404 like other servers. */
  props?: unknown;
  chat?: boolean;
  responses?: boolean;
  /** Serves POST /v1/embeddings (default: no, a 404 like a chat-only server). */
  embeddings?: boolean;
  /** Serves Anthropic's POST /v1/messages (default: no, a 404 like an OpenAI-only server). */
  messages?: boolean;
  /** Serves POST /v1/messages/count_tokens through the handler (default: no, a 404 like a server that does not count). */
  countTokens?: boolean;
  /** Every request must carry this header with this value, else 401. */
  requireHeader?: { name: string; value: string };
  /** Path prefix before /v1 (e.g. "/api" for OpenRouter-like URLs). */
  prefix?: string;
  /**
   * How /v1/responses answers the hub's state probe (a made-up previous_response_id): like
   * OpenAI, which keeps responses (default); like llama.cpp, which cannot continue one; or with a
   * validation error that tells nothing (as Ollama and vLLM do before looking at the id).
   */
  responsesState?: "stateful" | "stateless" | "ambiguous";
}

/** The answers real servers gave to the hub's state probe (protocol/openai/responses-state.ts). */
export const STATE_PROBE_ANSWERS = {
  stateful: [400, { error: { message: "Previous response with id 'resp_gambi_state_probe' not found.", type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" } }],
  // llama.cpp b11669 (the real-llm kit), exactly.
  stateless: [400, { error: { code: 400, message: "llama.cpp does not support 'previous_response_id'.", type: "invalid_request_error" } }],
  ambiguous: [400, { error: { message: "model is required", type: "invalid_request_error", param: null, code: null } }],
} as const;

const isStateProbe = (body: string) => body.includes('"resp_gambi_state_probe"');

export interface FakeUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests other than the join probes (and the state probe). */
  inference(): RecordedRequest[];
  handle(h: Handler): void;
  stop(): Promise<void>;
}

const json = (status: number, body: unknown) => Response.json(body, { status });

export function startFakeUpstream(opts: FakeUpstreamOptions = {}): FakeUpstream {
  const prefix = opts.prefix ?? "";
  const requests: RecordedRequest[] = [];
  let handler: Handler = () => json(500, { error: { message: "no handler set", type: "server_error" } });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = req.method === "GET" || req.method === "DELETE" ? "" : await req.text();
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      const record: RecordedRequest = { method: req.method, path: url.pathname + url.search, headers, body, aborted: false };
      requests.push(record);
      req.signal.addEventListener("abort", () => (record.aborted = true));
      if (opts.requireHeader && req.headers.get(opts.requireHeader.name) !== opts.requireHeader.value) {
        return json(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
      }
      if (url.pathname === `${prefix}/props` && req.method === "GET" && opts.props !== undefined) return json(200, opts.props);
      if (!url.pathname.startsWith(`${prefix}/v1/`)) return json(404, { error: { message: "not found" } });
      const path = url.pathname.slice(prefix.length + 3);
      if (path === "/models" && req.method === "GET") {
        if (opts.models === null) return new Response("404 page not found", { status: 404 });
        return json(200, { object: "list", data: (opts.models ?? ["test-model"]).map((id) => ({ id, object: "model", owned_by: opts.ownedBy ?? "fake" })) });
      }
      const enabled =
        (path === "/chat/completions" && opts.chat !== false) ||
        (path === "/responses" && opts.responses !== false) ||
        (path === "/embeddings" && opts.embeddings === true) ||
        (path === "/messages" && opts.messages === true) ||
        (path === "/messages/count_tokens" && opts.countTokens === true) ||
        path.startsWith("/responses/");
      if (!enabled) return new Response("404 page not found", { status: 404 });
      if (req.method === "POST" && body === "{}" && !path.startsWith("/responses/")) {
        return json(400, { error: { message: "you must provide a model parameter", type: "invalid_request_error", code: null, param: null } });
      }
      if (req.method === "POST" && path === "/responses" && isStateProbe(body)) {
        const [status, answer] = STATE_PROBE_ANSWERS[opts.responsesState ?? "stateful"];
        return json(status, answer);
      }
      return handler(req, body, record);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}${prefix}`,
    port: server.port!,
    requests,
    inference: () => requests.filter((r) => r.body !== "{}" && !r.path.endsWith("/models") && r.path !== `${prefix}/props` && !isStateProbe(r.body)),
    handle: (h) => (handler = h),
    stop: async () => {
      await server.stop(true);
    },
  };
}

/**
 * An SSE response that writes each chunk separately (a tick apart), like a real upstream.
 * `then: "die"` errors the stream after the last chunk; `dieAfter` holds that error back until
 * it settles (a test says when the hub has its first bytes: an error right after the chunks may
 * otherwise reach the hub's socket before they do, so the hub sees no answer at all).
 */
export function sseResponse(chunks: (Uint8Array | string)[], init: { status?: number; contentType?: string; then?: "close" | "hang" | "die"; dieAfter?: Promise<unknown> } = {}): Response {
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < chunks.length) {
        const c = chunks[i++]!;
        controller.enqueue(typeof c === "string" ? enc.encode(c) : c);
        await Bun.sleep(0);
        return;
      }
      if (init.then === "hang") return new Promise<void>(() => {}); // never ends: only an abort stops it
      if (init.then === "die") {
        await init.dieAfter;
        controller.error(new Error("upstream crashed"));
      } else controller.close();
    },
  });
  return new Response(body, { status: init.status ?? 200, headers: { "content-type": init.contentType ?? "text/event-stream" } });
}

/** Polls until `check` holds or the deadline passes; returns whether it held. No fixed sleeps. */
export async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (check()) return true;
    await Bun.sleep(5);
  }
  return check();
}

/** A stream the test drives: `send` writes a chunk now, `die` breaks the connection, `end` closes. */
export function controlledStream() {
  const enc = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: (contentType = "text/event-stream") => new Response(body, { headers: { "content-type": contentType } }),
    send: (s: string) => controller.enqueue(enc.encode(s)),
    end: () => controller.close(),
    die: () => controller.error(new Error("upstream crashed")),
    get cancelled() {
      return cancelled;
    },
  };
}

/** A finished, non-streamed chat completion (one message, usage), as an upstream answers. */
export function chatCompletion(model: string, content = "hi"): Response {
  return Response.json({
    id: "chatcmpl-fake",
    object: "chat.completion",
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
  });
}
