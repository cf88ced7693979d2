/**
 * Messages `system` and `messages` → Chat Completions `messages` (docs/protocols.md, "Messages").
 *
 * Mapped:
 * - `system` (a string, or text blocks joined with a blank line) and every `role: "system"`
 *   entry inside `messages` (Claude Code sends them) → ONE leading `system` message, in that
 *   order: many local chat templates (Qwen, Llama) refuse a system message anywhere else;
 * - `user` / `assistant` messages, string content as is; `text` blocks → text parts (a single
 *   text part is sent as a plain string: wider support); an assistant's text blocks are joined;
 * - `image` blocks in user messages: `source.type: "base64"` → a `data:` URL, `"url"` → the URL,
 *   as `{type: "image_url", image_url: {url}}`;
 * - `document` blocks with a plain-text source → a text part; with a base64 PDF source → a
 *   `file` part `{filename: title, file_data: "data:application/pdf;base64,…"}` (`document.pdf`
 *   when untitled: OpenAI refuses file data without a filename), to a chat participant only;
 * - `tool_use` (assistant) → a `tool_calls` entry `{id, type: "function", function: {name,
 *   arguments: JSON of input}}` (parallel calls: several entries of one assistant message);
 * - `tool_result` (user) → a `tool` message per result, before the rest of that user message
 *   (chat wants tool answers right after the call); its content: a string, or its text blocks
 *   joined with a newline; `is_error: true` → the text prefixed with `Error: ` (chat has no
 *   error flag; the model still learns the call failed); images in a tool result → a user
 *   message right after the tool messages, `Images returned by tool call <id>:` then the
 *   images (chat's tool messages carry text only); PDFs in a tool result go there too, the
 *   message then opening `Files returned by tool call <id>:`.
 * Ignored: `cache_control` and `citations` on any block; `thinking` and `redacted_thinking`
 * blocks of earlier assistant turns (another model's thoughts, whose signatures a chat
 * participant cannot check; chat has no field for them).
 * Rejected (400 naming the block): images outside user messages and tool results, images by
 * `file` id, `document` blocks other than plain text and base64 PDFs (a PDF by URL: a chat file
 * part takes only data; by file id; a `content` source; any PDF on the way to a Responses
 * participant, whose chat-via-responses step carries no files), server tool blocks
 * (`server_tool_use`, `web_search_tool_result`, `web_fetch_tool_result`,
 * `code_execution_tool_result`, `mcp_tool_use`, `mcp_tool_result`, `container_upload`,
 * `search_result`, …), roles other than user/assistant/system.
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, str, unsupported, type Speaks } from "./common.ts";

export function mapMessages(body: Json, speaks: Speaks): Json[] {
  const system: string[] = [];
  if (body.system !== undefined && body.system !== null) {
    const text = systemText(body.system, "system");
    if (text !== "") system.push(text);
  }
  if (!Array.isArray(body.messages)) throw invalid("messages", "messages must be an array");
  const out: Json[] = [];
  body.messages.forEach((m: unknown, i: number) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalid(param, "a message must be an object");
    if (m.role === "system") {
      const text = systemText(m.content, `${param}.content`);
      if (text !== "") system.push(text);
    } else if (m.role === "user") userMessage(m.content, param, out, speaks);
    else if (m.role === "assistant") out.push(assistantMessage(m.content, param, speaks));
    else throw invalid(`${param}.role`, `role ${JSON.stringify(m.role)} is not one of user, assistant`);
  });
  if (out.length === 0) throw invalid("messages", "there is nothing to answer: messages is empty");
  if (system.length > 0) out.unshift({ role: "system", content: system.join("\n\n") });
  return out;
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

function userMessage(content: unknown, param: string, out: Json[], speaks: Speaks): void {
  if (typeof content === "string") {
    out.push({ role: "user", content });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`${param}.content`, "content must be a string or an array of content blocks");
  const parts: Json[] = [];
  const toolFiles: Json[] = [];
  content.forEach((b: unknown, j: number) => {
    const at = `${param}.content[${j}]`;
    if (!isObject(b)) throw invalid(at, "a content block must be an object");
    switch (b.type) {
      case "text":
        if (typeof b.text !== "string") throw invalid(`${at}.text`, "a text block needs its text");
        parts.push({ type: "text", text: b.text });
        return;
      case "image":
        parts.push(imagePart(b, at, speaks));
        return;
      case "document":
        parts.push(documentPart(b, at, speaks));
        return;
      case "tool_result":
        out.push(toolMessage(b, at, toolFiles, speaks));
        return;
      default:
        throw blockError(b.type, at, "a user message", speaks);
    }
  });
  if (toolFiles.length > 0) out.push({ role: "user", content: toolFiles });
  if (parts.length === 0) {
    if (toolFiles.length === 0 && !content.some((b) => isObject(b) && b.type === "tool_result")) out.push({ role: "user", content: "" });
    return;
  }
  out.push({ role: "user", content: parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts });
}

function assistantMessage(content: unknown, param: string, speaks: Speaks): Json {
  if (typeof content === "string") return { role: "assistant", content };
  if (!Array.isArray(content)) throw invalid(`${param}.content`, "content must be a string or an array of content blocks");
  let text = "";
  const calls: Json[] = [];
  content.forEach((b: unknown, j: number) => {
    const at = `${param}.content[${j}]`;
    if (!isObject(b)) throw invalid(at, "a content block must be an object");
    switch (b.type) {
      case "text":
        if (typeof b.text !== "string") throw invalid(`${at}.text`, "a text block needs its text");
        text += b.text;
        return;
      case "tool_use": {
        const id = str(b.id);
        const name = str(b.name);
        if (!id) throw invalid(`${at}.id`, "a tool_use block needs its id");
        if (!name) throw invalid(`${at}.name`, "a tool_use block needs its name");
        calls.push({ id, type: "function", function: { name, arguments: JSON.stringify(b.input ?? {}) } });
        return;
      }
      case "thinking":
      case "redacted_thinking":
        return;
      default:
        throw blockError(b.type, at, "an assistant message", speaks);
    }
  });
  const msg: Json = { role: "assistant", content: text };
  if (calls.length > 0) msg.tool_calls = calls;
  return msg;
}

/** A tool result → a tool message (its text); its images and PDFs go to `files`, for the user message after the tool messages. */
function toolMessage(b: Json, at: string, files: Json[], speaks: Speaks): Json {
  const id = str(b.tool_use_id);
  if (!id) throw invalid(`${at}.tool_use_id`, "a tool_result block needs its tool_use_id");
  let text: string;
  if (b.content === undefined || b.content === null) text = "";
  else if (typeof b.content === "string") text = b.content;
  else if (Array.isArray(b.content)) {
    const texts: string[] = [];
    const mine: Json[] = [];
    b.content.forEach((c: unknown, k: number) => {
      const cat = `${at}.content[${k}]`;
      if (!isObject(c)) throw invalid(cat, "a content block must be an object");
      if (c.type === "text") {
        if (typeof c.text !== "string") throw invalid(`${cat}.text`, "a text block needs its text");
        texts.push(c.text);
      } else if (c.type === "image") mine.push(imagePart(c, cat, speaks));
      else if (c.type === "document") {
        const part = documentPart(c, cat, speaks);
        if (part.type === "text") texts.push(part.text as string);
        else mine.push(part);
      } else throw blockError(c.type, cat, "a tool result", speaks);
    });
    text = texts.join("\n");
    if (mine.length > 0) {
      const what = mine.every((p) => p.type === "image_url") ? "Images" : "Files";
      files.push({ type: "text", text: `${what} returned by tool call ${id}:` }, ...mine);
    }
  } else throw invalid(`${at}.content`, "a tool result's content must be a string or an array of content blocks");
  if (b.is_error === true) text = text === "" ? "Error" : `Error: ${text}`;
  return { role: "tool", tool_call_id: id, content: text };
}

function imagePart(b: Json, at: string, speaks: Speaks): Json {
  const source = isObject(b.source) ? b.source : undefined;
  if (!source) throw invalid(`${at}.source`, "an image block needs its source");
  if (source.type === "base64") {
    if (typeof source.media_type !== "string" || typeof source.data !== "string") throw invalid(`${at}.source`, "a base64 image needs media_type and data");
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === "url") {
    if (typeof source.url !== "string") throw invalid(`${at}.source.url`, "a url image needs its url");
    return { type: "image_url", image_url: { url: source.url } };
  }
  throw unsupported(`${at}.source.type`, `an image by ${JSON.stringify(source.type)} (only base64 and url images)`, speaks);
}

/**
 * A `document` block → a chat part: a plain-text source → a text part; a base64 PDF → a `file`
 * part holding it as a `data:` URL, `title` as its `filename` (OpenAI's chat API refuses
 * `file_data` without one, so an untitled PDF is `document.pdf`). Chat takes files only as data:
 * a PDF by URL or file id is a 400, as is any PDF on the way to a Responses participant (the
 * chat-via-responses step carries no files).
 */
function documentPart(b: Json, at: string, speaks: Speaks): Json {
  const source = isObject(b.source) ? b.source : undefined;
  if (source?.type === "text" && typeof source.data === "string") return { type: "text", text: source.data };
  if (speaks !== "Chat Completions") throw unsupported(`${at}.source.type`, `a document from a ${JSON.stringify(source?.type)} source (only plain-text documents)`, speaks);
  if (source?.type === "base64") {
    if (source.media_type !== "application/pdf") throw unsupported(`${at}.source.media_type`, `a base64 document of type ${JSON.stringify(source.media_type)} (only PDFs)`, speaks);
    if (typeof source.data !== "string") throw invalid(`${at}.source.data`, "a base64 document needs its data");
    const filename = typeof b.title === "string" && b.title !== "" ? b.title : "document.pdf";
    return { type: "file", file: { filename, file_data: `data:application/pdf;base64,${source.data}` } };
  }
  if (source?.type === "url") throw unsupported(`${at}.source.type`, "a PDF by URL (a chat file part takes only data)", speaks);
  throw unsupported(`${at}.source.type`, `a document from a ${JSON.stringify(source?.type)} source (only plain-text and base64 PDF documents)`, speaks);
}

function blockError(type: unknown, at: string, where: string, speaks: Speaks) {
  if (type === "image") return invalid(`${at}.type`, `an image cannot be in ${where}`);
  if (typeof type === "string" && type !== "text" && type !== "tool_use" && type !== "tool_result") {
    return unsupported(`${at}.type`, `a ${JSON.stringify(type)} block in ${where}`, speaks);
  }
  return invalid(`${at}.type`, `a ${JSON.stringify(type)} block cannot be in ${where}`);
}
