/**
 * The load generator: plain `fetch`, streams read with `getReader()` and SSE events counted
 * by their `\n\n` terminators as bytes arrive (no body is ever buffered whole, and no text is
 * decoded, so the client costs the same whether it talks to the hub or to the upstream).
 */
const LF = 10;

export interface Sample {
  /** ms from just before fetch() to the chunk holding the first complete event (streams) or the whole body. */
  firstMs: number;
  /** ms from just before fetch() to the end of the body. */
  totalMs: number;
  /** SSE events received (0 for JSON bodies). */
  events: number;
}

export interface Target {
  url: string;
  body: string;
}

/**
 * BENCH_BEARER=TOKEN sends `Authorization: Bearer TOKEN` with every request, as the OpenAI SDKs
 * always do (their API key), to the bare proxy and the hub alike. Unset (the default, the bench's
 * figures), requests carry no credential, as curl's do: the hub then names the caller by its
 * address for the ledger, which costs a system call (hub/access/caller.ts `addressOnce`).
 */
const bearer: Record<string, string> = process.env.BENCH_BEARER ? { authorization: `Bearer ${process.env.BENCH_BEARER}` } : {};
const HEADERS_SSE: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream", ...bearer };
const HEADERS_JSON: Record<string, string> = { "content-type": "application/json", accept: "application/json", ...bearer };

async function failure(res: Response, url: string): Promise<Error> {
  return new Error(`${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/** One streaming request, read to the end. */
export async function streamOnce(t: Target): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(t.url, { method: "POST", headers: HEADERS_SSE, body: t.body });
  if (res.status !== 200 || !res.body) throw await failure(res, t.url);
  const reader = res.body.getReader();
  let events = 0;
  let firstMs = -1;
  let last = 0; // last byte of the previous chunk: a terminator may straddle two chunks
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    const chunk = r.value;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if ((i > 0 ? chunk[i - 1] : last) === LF) events++;
    }
    if (firstMs < 0 && events > 0) firstMs = performance.now() - t0;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return { firstMs, totalMs: performance.now() - t0, events };
}

/** One non-streaming request; the body is read (as bytes) so the connection can be reused. */
export async function jsonOnce(t: Target): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(t.url, { method: "POST", headers: HEADERS_JSON, body: t.body });
  if (res.status !== 200) throw await failure(res, t.url);
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  return { firstMs: ms, totalMs: ms, events: 0 };
}

export interface RunResult {
  samples: Sample[];
  /** From the first request's start to the last one's end. */
  wallMs: number;
  events: number;
}

function summarise(samples: Sample[], wallMs: number): RunResult {
  let events = 0;
  for (const s of samples) events += s.events;
  return { samples, wallMs, events };
}

/** `concurrency` workers, each sending requests back to back until `durationMs` has passed. */
export async function runFor(concurrency: number, durationMs: number, once: () => Promise<Sample>): Promise<RunResult> {
  const samples: Sample[] = [];
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) samples.push(await once());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarise(samples, performance.now() - t0);
}

/** `count` requests, `concurrency` at a time. */
export async function runCount(concurrency: number, count: number, once: () => Promise<Sample>): Promise<RunResult> {
  const samples: Sample[] = [];
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < count) {
      started++;
      samples.push(await once());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarise(samples, performance.now() - t0);
}
