/**
 * Chat `messages` → Messages `system` + `messages` (docs/protocols.md, "Chat Completions request
 * → Messages participant").
 *
 * Mapped:
 * - every `system` and `developer` message → `system`, their texts joined with a blank line, in
 *   order: the Messages API has no system turn (one in the middle of the conversation moves to
 *   the top, which is where chat templates put it anyway);
 * - `user` → a user message: a string as is; parts: `text` → a text block, `image_url` → an
 *   image block (a base64 `data:` URL → `source.type: "base64"` with its media type, an http(s)
 *   URL → `source.type: "url"`; `detail` has no counterpart, ignored), a `file` part whose
 *   `file_data` is a base64 `data:` URL → a `document` block: a PDF (`application/pdf`) as a
 *   base64 source, plain text (`text/plain`, UTF-8) decoded into a text source (the only text
 *   type Anthropic's document blocks take); its `filename` → the block's `title`;
 * - `assistant` → an assistant message: its text (a string, text parts, a refusal part or the
 *   `refusal` field of an earlier refused turn) → text blocks, `tool_calls` → `tool_use` blocks
 *   (`id`, `name`, `input` the parsed `arguments`), after any thinking its `reasoning_details`
 *   carry with a signature (protocol/anthropic/thinking.ts: what an OpenRouter-style client
 *   sends back) as `thinking` / `redacted_thinking` blocks, first;
 * - `tool` → a `tool_result` block (`tool_use_id` = `tool_call_id`; its text as a string, or
 *   text blocks for several parts) in a user message;
 * - consecutive messages of one role merge into one (the Messages API alternates user and
 *   assistant, and parallel calls' results belong in the one user turn after them, first).
 * Ignored: `name`; an assistant's `reasoning_content` / `reasoning` (unsigned thoughts of an
 * earlier turn, which Anthropic would refuse as a thinking block); an assistant message with
 * nothing in it (no text, no calls: its absence changes nothing, an empty turn is a 400 there).
 * Rejected (400 naming the field): `input_audio` parts, files other than a PDF's or plain
 * text's data (by `file_id`: they live on OpenAI; other types), plain text that is not valid
 * base64 or not UTF-8 (on `file.file_data`), an image `data:` URL that is not base64, an
 * assistant's `audio`, legacy `function` messages and `function_call`, `custom` tool calls,
 * tool call arguments that are not a JSON object (a `tool_use` block holds an object), a role
 * or part type that does not exist, and a conversation with nothing but system messages.
 */
import { isObject, type Json } from "../../json.ts";
import { blocksOfDetails } from "../../anthropic/thinking.ts";
import { appendTurn, documentOfDataUrl, imageBlockOfUrl, toolInputOf } from "../../anthropic/blocks.ts";
import { invalid, unsupported } from "../rejections.ts";

const SPEAKS = "Messages API";

export interface MappedMessages {
  system?: string;
  messages: Json[];
}

export function mapMessages(messages: unknown): MappedMessages {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("messages", "must be a non-empty array");
  const system: string[] = [];
  const out: Json[] = [];
  messages.forEach((m: unknown, i: number) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalid(param, "must be an object");
    switch (m.role) {
      case "system":
      case "developer": {
        const text = plainText(m.content, `${param}.content`);
        if (text !== "") system.push(text);
        return;
      }
      case "user":
        return appendTurn(out, "user", userContent(m.content, `${param}.content`));
      case "assistant": {
        const blocks = assistantBlocks(m, param);
        if (blocks.length > 0) appendTurn(out, "assistant", blocks);
        return;
      }
      case "tool": {
        if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") throw invalid(`${param}.tool_call_id`, "must be a non-empty string");
        return appendTurn(out, "user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: toolContent(m.content, `${param}.content`) }]);
      }
      case "function":
        throw unsupported(`${param}.role`, "legacy 'function' messages (use tool messages)", SPEAKS);
      default:
        throw invalid(`${param}.role`, `unknown role ${JSON.stringify(m.role)}`);
    }
  });
  if (out.length === 0) throw invalid("messages", "there is nothing to answer: only system messages");
  const mapped: MappedMessages = { messages: out };
  if (system.length > 0) mapped.system = system.join("\n\n");
  return mapped;
}

/** A system, developer or tool message's content: a string, or text parts. */
function plainText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  return textParts(content, param).join("");
}

function textParts(content: unknown, param: string): string[] {
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of content parts");
  return content.map((part: unknown, j: number) => {
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") throw invalid(`${param}[${j}]`, "only text parts are allowed here");
    return part.text;
  });
}

function toolContent(content: unknown, param: string): string | Json[] {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  const texts = textParts(content, param);
  return texts.length === 1 ? texts[0]! : texts.map((text) => ({ type: "text", text }));
}

function userContent(content: unknown, param: string): string | Json[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of content parts");
  return content.map((part: unknown, j: number) => {
    const at = `${param}[${j}]`;
    if (!isObject(part)) throw invalid(at, "must be an object");
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw invalid(`${at}.text`, "must be a string");
        return { type: "text", text: part.text };
      case "image_url":
        return imageBlock(part.image_url, at);
      case "file":
        return documentBlock(part.file, at);
      case "input_audio":
        throw unsupported(at, "audio input parts", SPEAKS);
      default:
        throw invalid(`${at}.type`, `unknown content part type ${JSON.stringify(part.type)}`);
    }
  });
}

function imageBlock(image: unknown, at: string): Json {
  const url = isObject(image) ? image.url : image;
  if (typeof url !== "string") throw invalid(`${at}.image_url.url`, "must be a string");
  const block = imageBlockOfUrl(url);
  if (!block) throw unsupported(`${at}.image_url.url`, "an image data URL that is not base64", SPEAKS);
  return block;
}

function documentBlock(file: unknown, at: string): Json {
  const f = isObject(file) ? file : {};
  if (typeof f.file_id === "string") throw unsupported(`${at}.file.file_id`, "a file given by file_id (files live on OpenAI)", SPEAKS);
  const doc = documentOfDataUrl(f.file_data, f.filename);
  if (!doc) throw unsupported(`${at}.file`, "a file other than a PDF or plain text (text/plain) given as a base64 data: URL", SPEAKS);
  if ("unreadable" in doc) throw invalid(`${at}.file.file_data`, `a text/plain file's data ${doc.unreadable}`);
  return doc.block;
}

function assistantBlocks(m: Json, param: string): Json[] {
  if (m.audio !== undefined && m.audio !== null) throw unsupported(`${param}.audio`, "audio replies", SPEAKS);
  if (m.function_call !== undefined && m.function_call !== null) throw unsupported(`${param}.function_call`, "the legacy function_call (use tool_calls)", SPEAKS);
  const blocks: Json[] = blocksOfDetails(m.reasoning_details);
  const content = m.content;
  let refused = false;
  if (typeof content === "string") {
    if (content !== "") blocks.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j: number) => {
      const at = `${param}.content[${j}]`;
      if (isObject(part) && part.type === "text" && typeof part.text === "string") {
        if (part.text !== "") blocks.push({ type: "text", text: part.text });
      } else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string") {
        refused = true;
        if (part.refusal !== "") blocks.push({ type: "text", text: part.refusal });
      } else throw invalid(at, "an assistant message takes only text and refusal parts");
    });
  } else if (content !== null && content !== undefined) throw invalid(`${param}.content`, "must be a string, an array of content parts, or null");
  if (!refused && typeof m.refusal === "string" && m.refusal !== "") blocks.push({ type: "text", text: m.refusal });
  const calls = m.tool_calls ?? [];
  if (!Array.isArray(calls)) throw invalid(`${param}.tool_calls`, "must be an array");
  calls.forEach((tc: unknown, j: number) => blocks.push(toolUse(tc, `${param}.tool_calls[${j}]`)));
  return blocks;
}

function toolUse(tc: unknown, param: string): Json {
  if (!isObject(tc)) throw invalid(param, "must be an object");
  if (tc.type === "custom") throw unsupported(param, "custom tool calls", SPEAKS);
  if (tc.type !== undefined && tc.type !== "function") throw invalid(`${param}.type`, `unknown tool call type ${JSON.stringify(tc.type)}`);
  if (typeof tc.id !== "string" || tc.id === "") throw invalid(`${param}.id`, "must be a non-empty string");
  const fn = tc.function;
  if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") throw invalid(`${param}.function.name`, "must be a non-empty string");
  const input = toolInputOf(fn.arguments);
  if (!input) throw invalid(`${param}.function.arguments`, "must be a JSON object (a Messages tool_use block holds an object)");
  return { type: "tool_use", id: tc.id, name: fn.name, input };
}
