/**
 * Request bodies, read by the hub itself instead of Elysia's default JSON parser, for two
 * guarantees the default does not give: a body over the limit is a 413 in OpenAI's envelope
 * (Bun's own limit answers an empty 413), and a body that is not valid UTF-8 is a 400 (the
 * default decodes it with replacement characters and carries on with altered text).
 * Bodies of other content types are left to Elysia (the schemas then reject them).
 */
import { GambiError } from "../protocol/openai/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(maxBytes: number): GambiError {
  return new GambiError(413, `request body is larger than this hub accepts (${maxBytes} bytes)`, { code: "request_too_large" });
}

export function createBodyParser(maxBytes: number) {
  return {
    /** A declared length over the limit is refused before anything is read. */
    checkLength(request: Request): Response | undefined {
      const declared = request.headers.get("content-length");
      if (declared !== null && Number(declared) > maxBytes) return tooLarge(maxBytes).toResponse();
      return undefined;
    },
    /** JSON bodies: size, strict UTF-8, then JSON.parse; undefined for other content types. */
    async parse(request: Request, contentType: string | undefined): Promise<unknown> {
      if (!contentType?.toLowerCase().startsWith("application/json")) return undefined;
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.length > maxBytes) throw tooLarge(maxBytes);
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
