/**
 * Messages request content built from what OpenAI's protocols carry, for every adapter that
 * writes a Messages request (chat-via-messages, responses-via-messages): image blocks from URLs,
 * document blocks from a file's `data:` URL (a PDF, or plain text decoded), a tool call's
 * arguments as a `tool_use` input, and turns appended so that roles alternate. Each returns
 * undefined for what it cannot build; the adapter says why, in a 400 naming its own field.
 */
import { isObject, type Json } from "../json.ts";

const DATA_URL = /^data:([^;,]+);base64,/;

/** A base64 `data:` URL → a base64 image source with its media type; an http(s) URL → a url source; undefined for a `data:` URL that is not base64. */
export function imageBlockOfUrl(url: string): Json | undefined {
  if (!url.startsWith("data:")) return { type: "image", source: { type: "url", url } };
  const m = DATA_URL.exec(url);
  return m ? { type: "image", source: { type: "base64", media_type: m[1], data: url.slice(m[0].length) } } : undefined;
}

/** What a file given as a `data:` URL becomes: a document block, or why its data cannot be read. */
export type FileDocument = { block: Json } | { unreadable: string };

const BASE64_DATA_URL = /^data:([^,]*?);base64,/i;
const UTF8 = new Set(["utf-8", "utf8", "us-ascii"]);

/**
 * A file as a base64 `data:` URL → a document block, the two kinds the Messages API reads inline:
 * a PDF (`application/pdf`) → a base64 source, as it came; plain text (`text/plain`, UTF-8 or
 * ASCII by its `charset`, UTF-8 when none) → a text source holding the decoded text (Anthropic's
 * text source takes text, not base64). `title` (a filename) becomes the block's title when it is
 * a non-empty string. `{unreadable}` says why a plain-text file's data is not UTF-8 text in valid
 * base64; undefined for any other kind of file, or data that is no base64 `data:` URL.
 */
export function documentOfDataUrl(data: unknown, title?: unknown): FileDocument | undefined {
  const m = typeof data === "string" ? BASE64_DATA_URL.exec(data) : null;
  if (!m) return undefined;
  const [type, ...params] = m[1]!.split(";").map((p) => p.trim().toLowerCase());
  const payload = (data as string).slice(m[0].length);
  let block: Json;
  if (type === "application/pdf") block = { type: "document", source: { type: "base64", media_type: "application/pdf", data: payload } };
  else if (type === "text/plain") {
    const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length);
    if (charset !== undefined && !UTF8.has(charset.replace(/^"|"$/g, ""))) return { unreadable: `is text in charset ${JSON.stringify(charset)} (only UTF-8 text is read)` };
    const text = utf8OfBase64(payload);
    if (typeof text !== "string") return text;
    block = { type: "document", source: { type: "text", media_type: "text/plain", data: text } };
  } else return undefined;
  return { block: titled(block, title) };
}

/** A document block with `title` as its title when that is a non-empty string (a file's name). */
export function titled(block: Json, title: unknown): Json {
  if (typeof title === "string" && title !== "") block.title = title;
  return block;
}

function utf8OfBase64(payload: string): string | { unreadable: string } {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(payload);
  } catch {
    return { unreadable: "is not valid base64" };
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { unreadable: "is not UTF-8 text" };
  }
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
