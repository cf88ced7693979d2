/**
 * Chat `messages` → Responses `instructions` + `input` items.
 *
 * Mapped:
 * - the leading run of `system`/`developer` messages → `instructions`, their texts joined by a
 *   blank line in order; a `system`/`developer` message after the first non-system message →
 *   a `message` input item with the same role, so it keeps its place in the conversation;
 *   when there are only system/developer messages, they all stay input items (no instructions);
 * - `user` → `message` item: text → `input_text`, `image_url` → `input_image`
 *   (`image_url` = the URL or data URL, `detail` kept, default `auto`);
 * - `assistant` → a `message` item (text → `output_text`, refusal part or `refusal` field →
 *   `refusal` part), then one `function_call` item per `tool_calls` entry
 *   (`call_id` = the tool call id, `name`, `arguments`), in order;
 * - `tool` → `function_call_output` (`call_id` = `tool_call_id`, `output` = the text).
 * Dropped (harmless): a message's `name`; an assistant's `reasoning_content`/`reasoning`
 * (chat clients echo it back; the Responses API only takes its own reasoning items, and
 * OpenAI's chat endpoint ignores it too).
 * Rejected (400 naming the field): `input_audio` and `file` parts, an assistant's `audio`,
 * legacy `function` role messages and assistant `function_call`, `custom` tool calls.
 */
import { isObject, type Json } from "../../json.ts";
import { invalid, unsupported } from "./errors.ts";

export interface MappedMessages {
  instructions?: string;
  input: Json[];
}

/** A system/developer/tool message's content: a string or text parts only. */
function plainText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of content parts");
  return content
    .map((part, j) => {
      if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
        throw invalid(`${param}[${j}]`, "only text parts are allowed here");
      }
      return part.text;
    })
    .join("");
}

function userParts(content: unknown, param: string): Json[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of content parts");
  return content.map((part, j) => {
    const where = `${param}[${j}]`;
    if (!isObject(part)) throw invalid(where, "must be an object");
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw invalid(`${where}.text`, "must be a string");
        return { type: "input_text", text: part.text };
      case "image_url": {
        const img = part.image_url;
        const url = isObject(img) ? img.url : img;
        if (typeof url !== "string") throw invalid(`${where}.image_url.url`, "must be a string");
        const detail = isObject(img) && typeof img.detail === "string" ? img.detail : "auto";
        return { type: "input_image", image_url: url, detail };
      }
      case "input_audio":
        throw unsupported(where, "audio input parts cannot be adapted");
      case "file":
        throw unsupported(where, "file parts are not adapted");
      default:
        throw invalid(`${where}.type`, `unknown content part type ${JSON.stringify(part.type)}`);
    }
  });
}

function assistantParts(m: Json, param: string): Json[] {
  const parts: Json[] = [];
  const content = m.content;
  if (typeof content === "string") {
    if (content !== "") parts.push({ type: "output_text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      const where = `${param}.content[${j}]`;
      if (isObject(part) && part.type === "text" && typeof part.text === "string") parts.push({ type: "output_text", text: part.text });
      else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string") parts.push({ type: "refusal", refusal: part.refusal });
      else throw invalid(where, "an assistant message takes only text and refusal parts");
    });
  } else if (content !== null && content !== undefined) {
    throw invalid(`${param}.content`, "must be a string, an array of content parts, or null");
  }
  if (typeof m.refusal === "string" && m.refusal !== "" && !parts.some((p) => p.type === "refusal")) {
    parts.push({ type: "refusal", refusal: m.refusal });
  }
  return parts;
}

function functionCall(tc: unknown, param: string): Json {
  if (!isObject(tc)) throw invalid(param, "must be an object");
  if (tc.type === "custom") throw unsupported(param, "custom tool calls are not adapted");
  if (tc.type !== undefined && tc.type !== "function") throw invalid(`${param}.type`, `unknown tool call type ${JSON.stringify(tc.type)}`);
  if (typeof tc.id !== "string" || tc.id === "") throw invalid(`${param}.id`, "must be a non-empty string");
  const fn = tc.function;
  if (!isObject(fn) || typeof fn.name !== "string") throw invalid(`${param}.function.name`, "must be a string");
  const args = fn.arguments === undefined || fn.arguments === null ? "" : fn.arguments;
  if (typeof args !== "string") throw invalid(`${param}.function.arguments`, "must be a string");
  return { type: "function_call", call_id: tc.id, name: fn.name, arguments: args };
}

export function mapMessages(messages: unknown): MappedMessages {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("messages", "must be a non-empty array");
  const instructions: { role: string; text: string }[] = [];
  const input: Json[] = [];
  let leading = true;
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalid(param, "must be an object");
    const role = m.role;
    if (role === "system" || role === "developer") {
      const text = plainText(m.content, `${param}.content`);
      if (leading) {
        if (text !== "") instructions.push({ role, text });
      } else {
        input.push({ type: "message", role, content: [{ type: "input_text", text }] });
      }
      return;
    }
    leading = false;
    switch (role) {
      case "user":
        input.push({ type: "message", role: "user", content: userParts(m.content, `${param}.content`) });
        return;
      case "assistant": {
        if (m.audio !== undefined && m.audio !== null) throw unsupported(`${param}.audio`, "audio replies cannot be adapted");
        if (m.function_call !== undefined && m.function_call !== null) {
          throw unsupported(`${param}.function_call`, "the legacy function_call is not adapted; use tool_calls");
        }
        const parts = assistantParts(m, param);
        const calls = m.tool_calls === undefined || m.tool_calls === null ? [] : m.tool_calls;
        if (!Array.isArray(calls)) throw invalid(`${param}.tool_calls`, "must be an array");
        // An assistant turn with neither text nor calls still takes its place in the conversation.
        if (parts.length > 0 || calls.length === 0) {
          input.push({ type: "message", role: "assistant", content: parts.length > 0 ? parts : [{ type: "output_text", text: "" }] });
        }
        calls.forEach((tc, j) => input.push(functionCall(tc, `${param}.tool_calls[${j}]`)));
        return;
      }
      case "tool":
        if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") throw invalid(`${param}.tool_call_id`, "must be a non-empty string");
        input.push({ type: "function_call_output", call_id: m.tool_call_id, output: plainText(m.content, `${param}.content`) });
        return;
      case "function":
        throw unsupported(`${param}.role`, "legacy 'function' messages are not adapted; use tool messages");
      default:
        throw invalid(`${param}.role`, `unknown role ${JSON.stringify(role)}`);
    }
  });
  // Only system/developer messages (Chat allows it): keep them as items, so the Responses
  // request still has an input to answer rather than bare instructions.
  if (input.length === 0) return { input: instructions.map(({ role, text }) => ({ type: "message", role, content: [{ type: "input_text", text }] })) };
  const out: MappedMessages = { input };
  if (instructions.length > 0) out.instructions = instructions.map((m) => m.text).join("\n\n");
  return out;
}
