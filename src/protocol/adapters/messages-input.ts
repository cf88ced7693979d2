/**
 * A Messages request's conversation (`system` and `messages`), read and checked block by block,
 * once, for the adapters that turn it into another protocol's (messages-via-chat: chat messages;
 * messages-via-responses: Responses items). What each block becomes is the adapter's
 * `MessagesSink`; this says what a block may be, and the 400 when it may not.
 *
 * Read, in order:
 * - `system`: a string, or text blocks (their texts joined with a blank line), then every
 *   `role: "system"` entry of `messages` (Claude Code sends them) the same way → `system(text)`,
 *   each text that is not empty;
 * - `user` and `assistant` messages: string content is one text block; then block by block,
 *   and `endTurn(role)` after each message's last;
 * - in user messages: `text` → a text part; `image` (`source.type` `base64`: a `data:` URL of
 *   its media type and data; `url`: the URL) → an image part; `document` with a plain-text
 *   source → a text part, a PDF (a `base64` source of `application/pdf`, or a `url` source,
 *   unless the sink takes none by URL: `pdfByUrl`) → a PDF part; `tool_result` → `toolResult`
 *   (its content a string, or text, image and document blocks read the same way; `is_error`);
 * - in assistant messages: `text` → `assistantText`, `tool_use` → `toolUse(id, name, input)`
 *   (`input` as sent, `{}` when absent), `thinking` and `redacted_thinking` → `thinking(block)`
 *   as sent (whether a signature can go anywhere is the sink's to say).
 * Ignored: `cache_control` and `citations` on any block.
 * Rejected (400 naming the block, `speaks` the participant's protocol): images outside user
 * messages and tool results, images by `file` id, documents by file id or from content blocks,
 * base64 documents of another type than a PDF (naming `source.media_type`), a PDF by URL when
 * the sink takes none, Anthropic's own tool blocks (`server_tool_use`, `web_search_tool_result`,
 * `mcp_tool_use`, `container_upload`, `search_result`, …) and any other block type; invalid: a
 * role other than user, assistant or system, a block that is not an object, a text block without
 * its text, a base64 document without its data, a `tool_use` without its id or name, a
 * `tool_result` without its `tool_use_id`, an empty conversation (no user or assistant message).
 */
import { isObject, type Json } from "../json.ts";
import { invalid, unsupported, type Speaks } from "./rejections.ts";

/** A block of user content (a user message's, or a tool result's). */
export type MessagesPart =
  | { kind: "text"; text: string }
  | { kind: "image"; url: string }
  /** `block` is the document as sent: a `base64` source of `application/pdf`, or a `url` source; `title` its name. */
  | { kind: "pdf"; block: Json; param: string };

export interface MessagesSink {
  system(text: string): void;
  userPart(part: MessagesPart): void;
  /** `content` is a string, or the result's blocks; `param` where it is (`messages[2].content[0]`). */
  toolResult(id: string, content: string | MessagesPart[], isError: boolean, param: string): void;
  assistantText(text: string): void;
  toolUse(id: string, name: string, input: unknown): void;
  thinking(block: Json): void;
  /** A message's blocks are all read. */
  endTurn(role: "user" | "assistant"): void;
}

export interface ReadOptions {
  speaks: Speaks;
  /** Why a PDF by URL cannot go (it is a 400 saying so); absent, it is a part like one given as data. */
  pdfByUrl?: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Feeds `sink` the conversation; throws the 400 of the first block it cannot take. */
export function readMessages(body: Json, sink: MessagesSink, opts: ReadOptions): void {
  if (body.system !== undefined && body.system !== null) {
    const text = systemText(body.system, "system");
    if (text !== "") sink.system(text);
  }
  if (!Array.isArray(body.messages)) throw invalid("messages", "messages must be an array");
  let turns = 0;
  body.messages.forEach((m: unknown, i: number) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalid(param, "a message must be an object");
    if (m.role === "system") {
      const text = systemText(m.content, `${param}.content`);
      if (text !== "") sink.system(text);
      return;
    }
    if (m.role !== "user" && m.role !== "assistant") throw invalid(`${param}.role`, `role ${JSON.stringify(m.role)} is not one of user, assistant`);
    const content = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (!Array.isArray(content)) throw invalid(`${param}.content`, "content must be a string or an array of content blocks");
    turns++;
    content.forEach((b: unknown, j: number) => {
      const at = `${param}.content[${j}]`;
      if (!isObject(b)) throw invalid(at, "a content block must be an object");
      if (m.role === "user") userBlock(b, at, sink, opts);
      else assistantBlock(b, at, sink, opts.speaks);
    });
    sink.endTurn(m.role);
  });
  if (turns === 0) throw invalid("messages", "there is nothing to answer: messages is empty");
}

function systemText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalid(param, "a system prompt must be a string or an array of text blocks");
  return content
    .map((b: unknown, j: number) => {
      if (!isObject(b) || b.type !== "text" || typeof b.text !== "string") throw invalid(`${param}[${j}]`, "a system prompt block must be a text block");
      return b.text;
    })
    .filter((t) => t !== "")
    .join("\n\n");
}

function userBlock(b: Json, at: string, sink: MessagesSink, opts: ReadOptions): void {
  if (b.type === "tool_result") {
    const id = str(b.tool_use_id);
    if (!id) throw invalid(`${at}.tool_use_id`, "a tool_result block needs its tool_use_id");
    let content: string | MessagesPart[];
    if (b.content === undefined || b.content === null) content = "";
    else if (typeof b.content === "string") content = b.content;
    else if (Array.isArray(b.content)) {
      content = b.content.map((c: unknown, k: number) => {
        const cat = `${at}.content[${k}]`;
        if (!isObject(c)) throw invalid(cat, "a content block must be an object");
        if (c.type !== "text" && c.type !== "image" && c.type !== "document") throw blockError(c.type, cat, "a tool result", opts.speaks);
        return partOf(c, cat, opts);
      });
    } else throw invalid(`${at}.content`, "a tool result's content must be a string or an array of content blocks");
    return sink.toolResult(id, content, b.is_error === true, at);
  }
  if (b.type !== "text" && b.type !== "image" && b.type !== "document") throw blockError(b.type, at, "a user message", opts.speaks);
  sink.userPart(partOf(b, at, opts));
}

/** A text, image or document block → its part. */
function partOf(b: Json, at: string, opts: ReadOptions): MessagesPart {
  switch (b.type) {
    case "text":
      if (typeof b.text !== "string") throw invalid(`${at}.text`, "a text block needs its text");
      return { kind: "text", text: b.text };
    case "image":
      return { kind: "image", url: imageUrl(b, at, opts.speaks) };
    default:
      return documentPart(b, at, opts);
  }
}

function imageUrl(b: Json, at: string, speaks: Speaks): string {
  const source = isObject(b.source) ? b.source : undefined;
  if (!source) throw invalid(`${at}.source`, "an image block needs its source");
  if (source.type === "base64") {
    if (typeof source.media_type !== "string" || typeof source.data !== "string") throw invalid(`${at}.source`, "a base64 image needs media_type and data");
    return `data:${source.media_type};base64,${source.data}`;
  }
  if (source.type === "url") {
    if (typeof source.url !== "string") throw invalid(`${at}.source.url`, "a url image needs its url");
    return source.url;
  }
  throw unsupported(`${at}.source.type`, `an image by ${JSON.stringify(source.type)} (only base64 and url images)`, speaks);
}

function documentPart(b: Json, at: string, opts: ReadOptions): MessagesPart {
  const source = isObject(b.source) ? b.source : undefined;
  if (source?.type === "text" && typeof source.data === "string") return { kind: "text", text: source.data };
  if (source?.type === "base64") {
    if (source.media_type !== "application/pdf") throw unsupported(`${at}.source.media_type`, `a base64 document of type ${JSON.stringify(source.media_type)} (only PDFs)`, opts.speaks);
    if (typeof source.data !== "string") throw invalid(`${at}.source.data`, "a base64 document needs its data");
    return { kind: "pdf", block: b, param: at };
  }
  if (source?.type === "url") {
    if (opts.pdfByUrl !== undefined) throw unsupported(`${at}.source.type`, `a PDF by URL (${opts.pdfByUrl})`, opts.speaks);
    if (typeof source.url !== "string") throw invalid(`${at}.source.url`, "a url document needs its url");
    return { kind: "pdf", block: b, param: at };
  }
  const which = opts.pdfByUrl !== undefined ? "only plain-text and base64 PDF documents" : "only plain-text and PDF documents";
  throw unsupported(`${at}.source.type`, `a document from a ${JSON.stringify(source?.type)} source (${which})`, opts.speaks);
}

function assistantBlock(b: Json, at: string, sink: MessagesSink, speaks: Speaks): void {
  switch (b.type) {
    case "text":
      if (typeof b.text !== "string") throw invalid(`${at}.text`, "a text block needs its text");
      return sink.assistantText(b.text);
    case "tool_use": {
      const id = str(b.id);
      const name = str(b.name);
      if (!id) throw invalid(`${at}.id`, "a tool_use block needs its id");
      if (!name) throw invalid(`${at}.name`, "a tool_use block needs its name");
      return sink.toolUse(id, name, b.input ?? {});
    }
    case "thinking":
    case "redacted_thinking":
      return sink.thinking(b);
    default:
      throw blockError(b.type, at, "an assistant message", speaks);
  }
}

function blockError(type: unknown, at: string, where: string, speaks: Speaks) {
  if (type === "image") return invalid(`${at}.type`, `an image cannot be in ${where}`);
  if (typeof type === "string" && type !== "text" && type !== "tool_use" && type !== "tool_result") {
    return unsupported(`${at}.type`, `a ${JSON.stringify(type)} block in ${where}`, speaks);
  }
  return invalid(`${at}.type`, `a ${JSON.stringify(type)} block cannot be in ${where}`);
}
