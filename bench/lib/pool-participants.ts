/**
 * Child process for pool.ts: fake participants that behave like real ones under load, one HTTP
 * server each on 127.0.0.1:0 (so the hub sees distinct endpoints). Each has:
 * - a capacity: at most that many answers are generated at once; above it a participant either
 *   queues the request inside (FIFO, like llama.cpp's slots or Ollama's queue: the first token
 *   comes late) or answers 429 with `Retry-After: 1` (like a hosted provider's concurrency cap);
 * - a service time: a prefill delay, then `tokens` chat chunks at `tokensPerSecond`, then a
 *   usage chunk and `[DONE]` (requests must ask `stream: true`; the model is `bench-model`);
 * - optionally `flaky`: that fraction of requests fails before the first byte, half with a 503,
 *   half with a 200 whose body breaks before its first byte (a reset, as the hub sees it);
 * - optionally `perWindow` requests per `windowMs` (a rate limit): past it, 429 with the
 *   seconds until the window ends in `Retry-After`.
 *
 * `stats` (over IPC) reports per participant: requests, answers started, peak concurrency
 * generated, 429s sent (each one provoked: the hub sent past a capacity or a limit it was told
 * about through Retry-After), failures injected. The specs come as JSON in POOL_SPECS.
 */
import { serveParent } from "./children.ts";

export interface ParticipantSpec {
  name: string;
  capacity: number;
  tokensPerSecond: number;
  /** What happens above capacity. */
  over: "queue" | "429";
  prefillMs: number;
  tokens: number;
  flaky?: number;
  perWindow?: number;
  windowMs?: number;
}

export interface ParticipantStats {
  name: string;
  requests: number;
  started: number;
  peak: number;
  provoked429: number;
  injected: number;
}

const specs = JSON.parse(process.env.POOL_SPECS ?? "[]") as ParticipantSpec[];
const seedStart = Number(process.env.POOL_SEED ?? 1);
const encoder = new TextEncoder();

/** A small deterministic PRNG (mulberry32), so a run's failures are the same from run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunk(id: string, content: string | null, finish: string | null): Uint8Array {
  const delta = content === null ? {} : { content };
  return encoder.encode(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model: "bench-model", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
}

function serve(spec: ParticipantSpec, seed: number) {
  const random = prng(seed);
  const stats: ParticipantStats = { name: spec.name, requests: 0, started: 0, peak: 0, provoked429: 0, injected: 0 };
  let active = 0;
  const waiting: (() => void)[] = [];
  let windowStart = 0;
  let windowCount = 0;
  let ids = 0;
  const tooMany = (seconds: number) =>
    new Response(JSON.stringify({ error: { message: "rate limited", type: "rate_limit_error", code: "rate_limited" } }), {
      status: 429,
      headers: { "content-type": "application/json", "retry-after": String(seconds) },
    });
  /** A finished answer's slot goes to the next request queued inside, else it is free. */
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  /** `handed`: the slot came from release() and is already counted. */
  const generate = (signal: AbortSignal, handed: boolean): Response => {
    if (!handed) active++;
    stats.started++;
    stats.peak = Math.max(stats.peak, active);
    const id = `chatcmpl-${spec.name}-${++ids}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      release();
    };
    signal.addEventListener("abort", finish, { once: true });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let sent = 0;
        const step = () => {
          if (done) return;
          if (sent < spec.tokens) {
            controller.enqueue(chunk(id, sent === 0 ? "tok" : " tok", null));
            sent++;
            timer = setTimeout(step, 1000 / spec.tokensPerSecond);
            return;
          }
          controller.enqueue(chunk(id, null, "stop"));
          controller.enqueue(encoder.encode(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model: "bench-model", choices: [], usage: { prompt_tokens: 8, completion_tokens: spec.tokens, total_tokens: 8 + spec.tokens } })}\n\ndata: [DONE]\n\n`));
          controller.close();
          finish();
        };
        timer = setTimeout(step, spec.prefillMs);
      },
      cancel: finish,
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === "GET" && path === "/v1/models") return Response.json({ object: "list", data: [{ id: "bench-model", object: "model", owned_by: "bench" }] });
      if (req.method !== "POST" || path !== "/v1/chat/completions") return new Response('{"error":{"message":"not found"}}', { status: 404 });
      const text = await req.text();
      // The hub's join probe: `{}` is refused as a real server refuses it.
      if (text === "{}") return new Response('{"error":{"message":"you must provide a model parameter"}}', { status: 400 });
      stats.requests++;
      if (spec.perWindow !== undefined) {
        const now = performance.now();
        const windowMs = spec.windowMs ?? 10_000;
        if (now - windowStart >= windowMs) {
          windowStart = now;
          windowCount = 0;
        }
        if (++windowCount > spec.perWindow) {
          stats.provoked429++;
          return tooMany(Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)));
        }
      }
      if (spec.flaky && random() < spec.flaky) {
        stats.injected++;
        if (random() < 0.5) return new Response('{"error":{"message":"overloaded","type":"server_error"}}', { status: 503, headers: { "content-type": "application/json" } });
        return new Response(new ReadableStream({ pull: (c) => c.error(new Error("reset")) }), { headers: { "content-type": "text/event-stream" } });
      }
      if (active < spec.capacity) return generate(req.signal, false);
      if (spec.over === "429") {
        stats.provoked429++;
        return tooMany(1);
      }
      // Queued inside, as a server with slots does: generation starts when one frees.
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (req.signal.aborted) {
        release();
        return new Response(null, { status: 499 });
      }
      return generate(req.signal, true);
    },
  });
  return { spec, stats, url: `http://127.0.0.1:${server.port}` };
}

const servers = specs.map((spec, n) => serve(spec, seedStart + n));

serveParent(
  { urls: servers.map((s) => ({ name: s.spec.name, url: s.url })) },
  {
    stats: () => servers.map((s) => ({ ...s.stats })),
  },
);
