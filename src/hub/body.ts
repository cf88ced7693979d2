/**
 * Request bodies, read by the hub itself instead of Elysia's default JSON parser, for two
 * guarantees the default does not give: a body over the limit is a 413 in OpenAI's envelope
 * (Bun's own limit answers an empty 413), and a body that is not valid UTF-8 is a 400 (the
 * default decodes it with replacement characters and carries on with altered text).
 * Every body is read here, within the limit, whatever its type: Bun's own cap is set out of the
 * way (index.ts), since it answers a declared length over it with an empty 413 before the hub
 * sees the request. A body of another type is handed on as its text, which no route's schema
 * takes (the hub's API is JSON only; Elysia would have parsed a form into an object).
 */
import { GambiError } from "../protocol/openai/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(maxBytes: number): GambiError {
  return new GambiError(413, `request body is larger than this hub accepts (${maxBytes} bytes)`, { code: "request_too_large" });
}

/**
 * The body's bytes, never more than `maxBytes` of them: a declared length was checked before
 * (checkLength), so it is read whole; a chunked body is counted as it arrives and abandoned at
 * the limit.
 */
async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.headers.has("content-length") || request.body === null) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      void reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length);
}

export function createBodyParser(maxBytes: number) {
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
      const bytes = await readCapped(request, maxBytes);
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
