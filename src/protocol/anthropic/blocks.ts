/**
 * Messages request content built from what OpenAI's protocols carry, for every adapter that
 * writes a Messages request (chat-via-messages, responses-via-messages): image and document
 * blocks from URLs, a tool call's arguments as a `tool_use` input, and turns appended so that
 * roles alternate. Each returns undefined for what it cannot build; the adapter says why, in a
 * 400 naming its own field.
 */
import { isObject, type Json } from "../json.ts";

const DATA_URL = /^data:([^;,]+);base64,/;

/** A base64 `data:` URL → a base64 image source with its media type; an http(s) URL → a url source; undefined for a `data:` URL that is not base64. */
export function imageBlockOfUrl(url: string): Json | undefined {
  if (!url.startsWith("data:")) return { type: "image", source: { type: "url", url } };
  const m = DATA_URL.exec(url);
  return m ? { type: "image", source: { type: "base64", media_type: m[1], data: url.slice(m[0].length) } } : undefined;
}

/** A PDF as a base64 `data:` URL → a document block; undefined for any other data or kind of file. */
export function pdfBlockOfDataUrl(data: unknown): Json | undefined {
  const m = typeof data === "string" ? DATA_URL.exec(data) : null;
  if (!m || m[1] !== "application/pdf") return undefined;
  return { type: "document", source: { type: "base64", media_type: "application/pdf", data: (data as string).slice(m[0].length) } };
}

/** A tool call's `arguments` (a JSON string, "" or absent for none) → the object a `tool_use` block holds; undefined when they are no JSON object. */
export function toolInputOf(args: unknown): Json | undefined {
  if (args === undefined || args === null || (typeof args === "string" && args.trim() === "")) return {};
  if (isObject(args)) return args;
  if (typeof args !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Appends a turn, or merges it into the last one when that has the same role: the Messages API
 * alternates user and assistant, and parallel calls' results belong in the one user turn after them.
 */
export function appendTurn(turns: Json[], role: "user" | "assistant", content: string | Json[]): void {
  const last = turns.at(-1);
  if (last?.role !== role) {
    turns.push({ role, content });
    return;
  }
  last.content = [...asBlocks(last.content as string | Json[]), ...asBlocks(content)];
}

const asBlocks = (content: string | Json[]): Json[] => (typeof content === "string" ? (content === "" ? [] : [{ type: "text", text: content }]) : content);
