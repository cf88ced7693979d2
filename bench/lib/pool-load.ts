/**
 * The callers of pool.ts: closed-loop streaming chat clients, each named by the bearer token it
 * sends (in an open room any token is accepted, so a script can name itself), and the room's
 * event stream, read for what the hub says of each request (queue wait, attempts).
 */
import { SseDecoder } from "../../src/protocol/sse/decode.ts";

export interface Done {
  caller: string;
  cls: "heavy" | "light";
  startedAt: number;
  endedAt: number;
  status: number;
  ok: boolean;
  /** Milliseconds to the first content delta; undefined when none came. */
  ttftMs?: number;
  tokens: number;
  requestId?: string;
  error?: string;
}

const CONTENT = '"content":"';

/** One streamed chat request, read to its end. */
export async function streamChat(url: string, caller: string, cls: Done["cls"], signal: AbortSignal): Promise<Done> {
  const startedAt = performance.now();
  const base = { caller, cls, startedAt, tokens: 0 };
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${caller}` },
      body: JSON.stringify({ model: "bench-model", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "Tell me a story." }] }),
      signal,
    });
  } catch (err) {
    return { ...base, endedAt: performance.now(), status: 0, ok: false, error: (err as Error).message };
  }
  const requestId = res.headers.get("x-gambi-request-id") ?? undefined;
  if (res.status !== 200) {
    const text = await res.text().catch(() => "");
    return { ...base, endedAt: performance.now(), status: res.status, ok: false, requestId, error: text.slice(0, 200) };
  }
  const decoder = new SseDecoder();
  let ttftMs: number | undefined;
  let tokens = 0;
  let done = false;
  let error: string | undefined;
  try {
    for await (const bytes of res.body!) {
      for (const event of decoder.push(bytes)) {
        if (event.data === "[DONE]") done = true;
        else if (event.data.includes('"error"')) error = event.data.slice(0, 200);
        else {
          if (ttftMs === undefined && event.data.includes(CONTENT)) ttftMs = performance.now() - startedAt;
          const usage = /"completion_tokens":(\d+)/.exec(event.data);
          if (usage) tokens = Number(usage[1]);
        }
      }
    }
  } catch (err) {
    error ??= (err as Error).message;
  }
  return { ...base, endedAt: performance.now(), status: 200, ok: done && error === undefined, ttftMs, tokens, requestId, error };
}

/**
 * `concurrency` loops sending one request after another until `until` (performance.now()). A
 * loop whose request failed waits `ERROR_PAUSE_MS` before the next, as an SDK backs off before
 * it retries, so a room that refuses requests is not also flooded by its own callers.
 */
const ERROR_PAUSE_MS = 200;

export async function closedLoop(url: string, caller: string, cls: Done["cls"], concurrency: number, until: number, out: Done[], signal: AbortSignal): Promise<void> {
  const loop = async () => {
    while (performance.now() < until && !signal.aborted) {
      const d = await streamChat(url, caller, cls, signal);
      out.push(d);
      if (!d.ok) await Bun.sleep(ERROR_PAUSE_MS);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

export interface HubSays {
  queueMs?: number;
  attempts?: number;
}

/** Follows the room's events; `said` maps request ids to what llm.complete / llm.error said. */
export function followEvents(url: string): { said: Map<string, HubSays>; retries: () => number; stop: () => void } {
  const said = new Map<string, HubSays>();
  let retries = 0;
  const controller = new AbortController();
  void (async () => {
    try {
      const res = await fetch(url, { signal: controller.signal });
      const decoder = new SseDecoder();
      for await (const bytes of res.body!) {
        for (const event of decoder.push(bytes)) {
          if (event.event === "llm.retry") retries++;
          if (event.event !== "llm.complete" && event.event !== "llm.error") continue;
          const e = JSON.parse(event.data) as { data: { requestId: string; attempts?: number; metrics?: { queueMs?: number } } };
          said.set(e.data.requestId, { queueMs: e.data.metrics?.queueMs, attempts: e.data.attempts });
        }
      }
    } catch {
      // stopped
    }
  })();
  return { said, retries: () => retries, stop: () => controller.abort() };
}
