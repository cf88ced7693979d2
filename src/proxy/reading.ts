/**
 * Reading an upstream answer under its deadlines (timeouts.ts), shared by the relays
 * (relay-passthrough.ts, relay-translated.ts, relay-error.ts): a whole non-streaming body, or
 * the first chunk of a stream, read ahead so that a death before the first byte is still an
 * HTTP error. A read that fails is told apart by cause (failures.ts): the client left, the
 * hub's shutdown cut it, a deadline passed, or the connection broke.
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { describeNetworkError } from "./upstream.ts";
import { timeoutError, type UpstreamWatch } from "./timeouts.ts";
import { cutByShutdown, SHUTDOWN_MESSAGE, shutdownError } from "./failures.ts";
import type { Fault, ForwardOptions } from "./types.ts";

/**
 * A whole non-streaming body. Under a watch it is read chunk by chunk, so the idle deadline
 * counts silence, not the body's length (OpenRouter keeps a slow non-streaming answer alive
 * with whitespace before the JSON).
 */
export async function readBody(res: Response, opts: Pick<ForwardOptions, "signal" | "target" | "timeouts" | "shutdown">, watch?: UpstreamWatch): Promise<Uint8Array | GambiError> {
  try {
    if (!watch || !res.body) return new Uint8Array(await res.arrayBuffer());
    watch.flowing();
    // A server that sent Content-Length had the whole body when it started: one read, which
    // is as fast as without a watch (keep-alive whitespace only comes with chunked bodies).
    if (res.headers.has("content-length")) {
      watch.readStart();
      const whole = await res.arrayBuffer();
      watch.readEnd();
      return new Uint8Array(whole);
    }
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    for (;;) {
      watch.readStart();
      const r = await reader.read();
      watch.readEnd();
      if (r.done) break;
      parts.push(r.value);
    }
    return parts.length === 1 ? parts[0]! : concatAll(parts);
  } catch (err) {
    if (opts.signal.aborted) throw err;
    if (cutByShutdown(opts)) return shutdownError();
    if (watch?.expired) return timeoutError(watch.expired, opts.target.label, opts.timeouts!);
    return new GambiError(502, `upstream closed the connection before the body was complete: ${describeNetworkError(err)}`, {
      code: "upstream_disconnected",
    });
  }
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Stateless decoding (no `stream` option), so one decoder serves every call. */
const utf8 = new TextDecoder();

export function parseJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(utf8.decode(bytes));
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads ahead to the first chunk: a stream that dies (or stays silent past the first-byte
 * deadline) before its first byte is still an HTTP error (returned as a Response); a client
 * that left meanwhile rethrows. Once it is there, the watch moves on to the idle deadline.
 */
export async function readFirstChunk<Chunk>(
  read: () => Promise<Chunk>,
  opts: Pick<ForwardOptions, "signal" | "target" | "headers" | "timeouts" | "shutdown">,
  watch: UpstreamWatch | undefined,
  finish: (outcome: { error: string; aborted: boolean; status: number; fault?: Fault }) => void,
): Promise<Chunk | Response> {
  try {
    const chunk = await read();
    watch?.flowing();
    return chunk;
  } catch (err) {
    const aborted = opts.signal.aborted;
    if (cutByShutdown(opts)) {
      finish({ error: SHUTDOWN_MESSAGE, aborted, status: 503 });
      return shutdownError().toResponse(opts.headers);
    }
    if (watch?.expired && !aborted) {
      const timeout = timeoutError(watch.expired, opts.target.label, opts.timeouts!);
      finish({ error: timeout.message, aborted, status: 504, fault: "timeout" });
      return timeout.toResponse(opts.headers);
    }
    const error = `upstream closed the stream before sending anything: ${describeNetworkError(err)}`;
    finish({ error, aborted, status: 502, fault: aborted ? undefined : "disconnected" });
    if (aborted) throw err;
    return new GambiError(502, `${opts.target.label}: ${error}`, { code: "upstream_disconnected" }).toResponse(opts.headers);
  }
}
