/**
 * What `gambi chat` needs from an answer, whatever the protocol: text to print as it arrives,
 * reasoning (only timed, not printed), token usage, an in-band error, the Responses id, and why
 * the model stopped. The per-protocol readers (chat-stream.ts, responses-stream.ts) map one
 * decoded SSE event, or one non-streaming body, to a list of these.
 */
import type { Usage } from "../protocol/observe.ts";

export type StreamPart =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "usage"; usage: Usage }
  | { type: "error"; message: string; code?: string }
  | { type: "response-id"; id: string }
  | { type: "finish"; reason: string };

export type Json = Record<string, any>;

export function parseJson(data: string): Json | undefined {
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    // Not JSON (a keep-alive, a provider's plain-text line): it carries nothing we print.
    return undefined;
  }
}

/** An error object as providers send it: `{message, code}` (code may be a number: OpenRouter), or a bare string. */
export function errorPart(e: unknown, fallback: string): StreamPart {
  if (typeof e === "string" && e.length > 0) return { type: "error", message: e };
  const o = e && typeof e === "object" ? (e as Json) : {};
  const message = typeof o.message === "string" && o.message.length > 0 ? o.message : fallback;
  const code = typeof o.code === "string" || typeof o.code === "number" ? String(o.code) : undefined;
  return code === undefined ? { type: "error", message } : { type: "error", message, code };
}
