/**
 * Request bodies, read by the hub itself instead of Elysia's default JSON parser, for two
 * guarantees the default does not give: a body over the limit is a 413 in OpenAI's envelope
 * (Bun's own limit answers an empty 413), and a body that is not valid UTF-8 is a 400 (the
 * default decodes it with replacement characters and carries on with altered text).
 * Every body is read here, within the limit, whatever its type: Bun's own cap is set out of the
 * way (index.ts), since it answers a declared length over it with an empty 413 before the hub
 * sees the request. A body of another type is handed on as its text, which no route's schema
 * takes (the hub's API is JSON only; Elysia would have parsed a form into an object).
 *
 * A body that stops arriving must not hold its connection for good (the hub serves with Bun's
 * idle timeout off: streams may be silent for minutes). Two deadlines, by how the body comes:
 * - A declared length (what every SDK sends): read whole by Bun (`arrayBuffer`, native), under
 *   Bun's own per-request deadline (`server.timeout`): `windowMs` plus a second for every
 *   MIN_BODY_RATE bytes declared, the way servers ask for a minimum upload rate (Kestrel's
 *   MinRequestBodyDataRate). When it passes, Bun closes the connection. Nothing of it runs in
 *   JavaScript per request but two native calls (~0.04 µs); reading through a stream with a
 *   timer of our own cost ~35 µs per request in the hub (bench/README.md).
 * - Chunked (no length to judge by), or a declared body too large for that deadline (Bun counts
 *   it in seconds up to MAX_DEADLINE_S: over ~3.5 MiB): read piece by piece, and a silence of
 *   `windowMs` is a 408 `request_timeout` in the route's shape, with the connection closed
 *   (errors.ts). The stream's cost is nothing beside megabytes of upload.
 */
import { GambiError } from "../protocol/openai/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(maxBytes: number): GambiError {
  return new GambiError(413, `request body is larger than this hub accepts (${maxBytes} bytes)`, { code: "request_too_large" });
}

function stalled(idleMs: number): GambiError {
  return new GambiError(408, `the request body stopped arriving: nothing for ${idleMs / 1000} s; send the whole body`, { code: "request_timeout" });
}

/** Bun's per-request deadline (`server.timeout(request, seconds)`, 0: none); absent in process (`app.handle`). */
export interface BodyDeadline {
  timeout(request: Request, seconds: number): void;
}

/** The slowest upload a declared body may come at, after its first window: 16 KiB/s (128 kbit/s). */
export const MIN_BODY_RATE = 16 * 1024;

/** The longest deadline Bun's `server.timeout` is given here: its idle timeouts stop at 255 s. */
export const MAX_DEADLINE_S = 255;

/** Seconds a body of `length` declared bytes may take to arrive (over MAX_DEADLINE_S: read by silences instead). */
export function declaredBodySeconds(length: number, windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / 1000 + length / MIN_BODY_RATE));
}

/**
 * The body's bytes, never more than `maxBytes` of them (a declared length was checked before,
 * checkLength; a chunked body is counted as it arrives and abandoned at the limit).
 */
async function readCapped(request: Request, maxBytes: number, windowMs: number, server: Partial<BodyDeadline> | null | undefined): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared === null) return request.body === null ? new Uint8Array(0) : readPieces(request, maxBytes, windowMs);
  const seconds = declaredBodySeconds(Number(declared), windowMs);
  if (seconds > MAX_DEADLINE_S && request.body !== null) return readPieces(request, maxBytes, windowMs);
  const deadline = windowMs > 0 && server?.timeout ? server : undefined;
  deadline?.timeout!(request, seconds);
  try {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  } finally {
    // The answer may take minutes (a model's first token, a long stream): no deadline on it.
    deadline?.timeout!(request, 0);
  }
}

/** A body piece by piece, each within `windowMs` of the one before. One timer per body, moved on only when it fires. */
async function readPieces(request: Request, maxBytes: number, windowMs: number): Promise<Uint8Array> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let heardAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const watch = (ms: number) => {
    timer = setTimeout(() => {
      const silent = performance.now() - heardAt;
      if (silent < windowMs) return watch(windowMs - silent);
      timedOut = true;
      void reader.cancel().catch(() => {});
    }, ms);
  };
  if (windowMs > 0) watch(windowMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw stalled(windowMs);
      if (done) break;
      heardAt = performance.now();
      length += value.length;
      if (length > maxBytes) {
        void reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw timedOut ? stalled(windowMs) : err;
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/** A chunked body's longest silence, and a declared body's first window (ms; see the top). */
export const DEFAULT_BODY_WINDOW_MS = 30_000;

export function createBodyParser(maxBytes: number, windowMs = DEFAULT_BODY_WINDOW_MS) {
  return {
    /** A declared length over the limit is refused before anything is read. */
    checkLength(request: Request): Response | undefined {
      const declared = request.headers.get("content-length");
      if (declared !== null && Number(declared) > maxBytes) return tooLarge(maxBytes).toResponse();
      return undefined;
    },
    /**
     * JSON bodies: size, strict UTF-8, then JSON.parse. A body of another type: its text (the
     * schemas reject it). No content type: undefined, and nobody reads it. `server`: the Bun
     * server the request came to, for the declared body's deadline.
     */
    async parse(request: Request, contentType: string | undefined, server?: Partial<BodyDeadline> | null): Promise<unknown> {
      if (!contentType) return undefined;
      const bytes = await readCapped(request, maxBytes, windowMs, server);
      if (!contentType.toLowerCase().startsWith("application/json")) return new TextDecoder().decode(bytes);
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        throw new GambiError(400, "request body is not valid UTF-8", { code: "invalid_encoding" });
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new GambiError(400, "request body could not be parsed: send valid JSON with Content-Type: application/json", { code: "invalid_json" });
      }
    },
  };
}

export type BodyParser = ReturnType<typeof createBodyParser>;
