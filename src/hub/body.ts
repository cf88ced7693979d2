/**
 * Request bodies, read by the hub itself instead of Elysia's default JSON parser, for two
 * guarantees the default does not give: a body over the limit is a 413 in OpenAI's envelope
 * (Bun's own limit answers an empty 413), and a body that is not valid UTF-8 is a 400 (the
 * default decodes it with replacement characters and carries on with altered text).
 * Every body is read here, within the limit, whatever its type: Bun's own cap is set out of the
 * way (index.ts), since it answers a declared length over it with an empty 413 before the hub
 * sees the request. A body of another type is handed on as its text, which no route's schema
 * takes (the hub's API is JSON only; Elysia would have parsed a form into an object).
 * A body that stops arriving (`idleMs` without a byte) is a 408: the hub serves with Bun's idle
 * timeout off, so nothing else would ever let go of its connection (errors.ts closes it).
 */
import { GambiError } from "../protocol/openai/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(maxBytes: number): GambiError {
  return new GambiError(413, `request body is larger than this hub accepts (${maxBytes} bytes)`, { code: "request_too_large" });
}

function stalled(idleMs: number): GambiError {
  return new GambiError(408, `the request body stopped arriving: nothing for ${idleMs / 1000} s; send the whole body`, { code: "request_timeout" });
}

/**
 * The body's bytes, never more than `maxBytes` of them (a declared length was checked before,
 * checkLength; a chunked body is counted as it arrives and abandoned at the limit), each chunk
 * within `idleMs` of the one before. One timer per body, moved on only when it fires.
 */
async function readCapped(request: Request, maxBytes: number, idleMs: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let heardAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const watch = (ms: number) => {
    timer = setTimeout(() => {
      const silent = performance.now() - heardAt;
      if (silent < idleMs) return watch(idleMs - silent);
      timedOut = true;
      void reader.cancel().catch(() => {});
    }, ms);
  };
  if (idleMs > 0) watch(idleMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw stalled(idleMs);
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
    throw timedOut ? stalled(idleMs) : err;
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/** How long a request body may go without a byte before the hub gives up on it (ms). */
export const DEFAULT_BODY_IDLE_MS = 30_000;

export function createBodyParser(maxBytes: number, idleMs = DEFAULT_BODY_IDLE_MS) {
  return {
    /** A declared length over the limit is refused before anything is read. */
    checkLength(request: Request): Response | undefined {
      const declared = request.headers.get("content-length");
      if (declared !== null && Number(declared) > maxBytes) return tooLarge(maxBytes).toResponse();
      return undefined;
    },
    /**
     * JSON bodies: size, strict UTF-8, then JSON.parse. A body of another type: its text (the
     * schemas reject it). No content type: undefined, and nobody reads it.
     */
    async parse(request: Request, contentType: string | undefined): Promise<unknown> {
      if (!contentType) return undefined;
      const bytes = await readCapped(request, maxBytes, idleMs);
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
