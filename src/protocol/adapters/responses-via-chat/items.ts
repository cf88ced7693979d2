/**
 * Responses input items → Chat Completions messages (the item list the hub stores for a
 * conversation is normalized by protocol/openai/responses-items.ts, and replayed through here).
 *
 * Mapped:
 * - `message` items (also the shorthand `{role, content}` without `type`), every role:
 *   `user`, `assistant`, `system`, and `developer` → `system` (local servers' chat templates
 *   rarely know `developer`); string content as is;
 * - content parts: `input_text` / `output_text` (and a bare `text`) → `{type:"text"}`;
 *   `refusal` (a refused earlier turn) → a text part with the refusal, so the model still
 *   sees what it said; `input_image` with an `image_url` (https or data URL) and `detail` →
 *   `{type:"image_url", image_url:{url, detail}}` (user messages only: chat has no images
 *   elsewhere); a content array of one text part is sent as a plain string (wider support);
 * - `function_call` → an assistant message's `tool_calls` entry `{id: call_id, type:"function",
 *   function:{name, arguments}}`; consecutive calls merge into ONE assistant message, and into
 *   the assistant message just before them (its text and its calls are one chat turn);
 * - `function_call_output` → a `tool` message (`tool_call_id` = call_id); array output: its
 *   `input_text` parts;
 * - `item_reference` → the referenced item, looked up in the conversation's stored items.
 * Degraded:
 * - `reasoning` items are dropped (another model's thoughts; chat has no field for them), or
 *   with `reasoningContent: true` passed as `reasoning_content` on the next assistant message
 *   (DeepSeek wants it back during a tool-call turn; llama.cpp and vLLM accept it), or with
 *   `reasoningDetails: true` (for a Messages participant, responses-via-messages) the ones that
 *   carry a thinking block's signature (protocol/anthropic/thinking.ts) as `reasoning_details`
 *   entries on the next assistant message, the rest dropped;
 * - item `id`s and `status` are not sent (chat has no place for them).
 * Rejected (400 naming the field): `input_file`, `input_audio`, images outside user messages or
 * by `file_id`, images in tool output, an unresolvable `item_reference`, and every other item
 * type (built-in tool calls and their outputs, `custom_tool_call`, `compaction`, …).
 */
import { isObject, type Json } from "../../json.ts";
import { detailOfReasoningItem } from "../../anthropic/thinking.ts";
import type { Speaks } from "../rejections.ts";
import { invalid, str, unsupported } from "./common.ts";

export interface MessagesOptions {
  /** Pass reasoning items on as `reasoning_content` on the following assistant message. */
  reasoningContent?: boolean;
  /** Pass the signed thinking of reasoning items on as `reasoning_details` on the following assistant message. */
  reasoningDetails?: boolean;
  /** What a 400 says the participant speaks (default Chat Completions). */
  speaks?: Speaks;
  /** Items that `item_reference` may point at (the stored conversation, then this input). */
  lookup?: (id: string) => Json | undefined;
}

const CHAT_ROLE: Record<string, string> = { user: "user", assistant: "assistant", system: "system", developer: "system" };

/** Builds the chat `messages` list item by item; `param` names where an item came from in errors. */
export class MessageBuilder {
  readonly messages: Json[] = [];
  private reasoning = "";
  private details: Json[] = [];

  constructor(private readonly opts: MessagesOptions = {}) {}

  add(item: unknown, param: string, resolving = false): void {
    if (!isObject(item)) throw invalid(param, "an input item must be an object");
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message":
        return this.message(item, param);
      case "function_call":
        return this.functionCall(item, param);
      case "function_call_output":
        return this.toolOutput(item, param);
      case "reasoning":
        if (this.opts.reasoningDetails) {
          const detail = detailOfReasoningItem(item, reasoningText(item));
          if (detail) this.details.push(detail);
        } else if (this.opts.reasoningContent) this.reasoning += reasoningText(item);
        return;
      case "item_reference": {
        const id = str(item.id);
        const found = id !== undefined && !resolving ? this.opts.lookup?.(id) : undefined;
        if (!found) throw invalid(`${param}.id`, `item_reference ${JSON.stringify(item.id)} names no item of this conversation`);
        return this.add(found, param, true);
      }
      default:
        throw unsupported(`${param}.type`, `input item type ${JSON.stringify(type)}`, this.opts.speaks);
    }
  }

  private message(item: Json, param: string): void {
    const role = str(item.role);
    const chatRole = role === undefined ? undefined : CHAT_ROLE[role];
    if (!chatRole) throw invalid(`${param}.role`, `role ${JSON.stringify(item.role)} is not one of user, assistant, system, developer`);
    const content = chatContent(item.content, chatRole, `${param}.content`, this.opts.speaks);
    if (chatRole === "assistant") {
      this.messages.push(this.withReasoning({ role: "assistant", content }));
      return;
    }
    this.reasoning = "";
    this.details = [];
    this.messages.push({ role: chatRole, content });
  }

  private functionCall(item: Json, param: string): void {
    const callId = str(item.call_id);
    const name = str(item.name);
    if (!callId) throw invalid(`${param}.call_id`, "a function_call needs its call_id");
    if (!name) throw invalid(`${param}.name`, "a function_call needs its name");
    const args = typeof item.arguments === "string" ? item.arguments : item.arguments === undefined ? "" : JSON.stringify(item.arguments);
    const call = { id: callId, type: "function", function: { name, arguments: args } };
    const last = this.messages.at(-1);
    if (last?.role === "assistant") {
      if (!Array.isArray(last.tool_calls)) last.tool_calls = [];
      (last.tool_calls as Json[]).push(call);
      if ((this.reasoning && last.reasoning_content === undefined) || this.details.length > 0) this.withReasoning(last);
      return;
    }
    this.messages.push(this.withReasoning({ role: "assistant", content: "", tool_calls: [call] }));
  }

  private toolOutput(item: Json, param: string): void {
    const callId = str(item.call_id);
    if (!callId) throw invalid(`${param}.call_id`, "a function_call_output needs its call_id");
    this.reasoning = "";
    this.details = [];
    this.messages.push({ role: "tool", tool_call_id: callId, content: toolContent(item.output, `${param}.output`, this.opts.speaks) });
  }

  private withReasoning(msg: Json): Json {
    if (this.reasoning && msg.reasoning_content === undefined) msg.reasoning_content = this.reasoning;
    if (this.details.length > 0) msg.reasoning_details = [...(Array.isArray(msg.reasoning_details) ? msg.reasoning_details : []), ...this.details];
    this.reasoning = "";
    this.details = [];
    return msg;
  }
}

function reasoningText(item: Json): string {
  const parts = [...(Array.isArray(item.content) ? item.content : []), ...(Array.isArray(item.summary) ? item.summary : [])];
  return parts.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}

function chatContent(content: unknown, role: string, param: string, speaks: Speaks | undefined): unknown {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalid(param, "content must be a string or an array of content parts");
  const parts: Json[] = content.map((part, j) => chatPart(part, role, `${param}[${j}]`, speaks));
  if (parts.length === 0) return "";
  if (parts.length === 1 && parts[0]!.type === "text") return parts[0]!.text;
  return parts;
}

function chatPart(part: unknown, role: string, param: string, speaks: Speaks | undefined): Json {
  if (!isObject(part)) throw invalid(param, "a content part must be an object");
  switch (part.type) {
    case "input_text":
    case "output_text":
    case "text":
      if (typeof part.text !== "string") throw invalid(`${param}.text`, "a text part needs its text");
      return { type: "text", text: part.text };
    case "refusal":
      if (typeof part.refusal !== "string") throw invalid(`${param}.refusal`, "a refusal part needs its refusal text");
      return { type: "text", text: part.refusal };
    case "input_image": {
      if (role !== "user") throw unsupported(param, `an image in a ${role} message`, speaks);
      const url = str(part.image_url);
      if (url === undefined) {
        if (part.file_id !== undefined) throw unsupported(`${param}.file_id`, "an image given by file_id", speaks);
        throw invalid(`${param}.image_url`, "an input_image needs its image_url");
      }
      const imageUrl: Json = { url };
      if (typeof part.detail === "string") imageUrl.detail = part.detail;
      return { type: "image_url", image_url: imageUrl };
    }
    case "input_file":
      throw unsupported(param, "input_file (files)", speaks);
    default:
      throw unsupported(`${param}.type`, `content part type ${JSON.stringify(part.type)}`, speaks);
  }
}

function toolContent(output: unknown, param: string, speaks: Speaks | undefined): unknown {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) throw invalid(param, "output must be a string or an array of content parts");
  const parts = output.map((part, j) => {
    const p = `${param}[${j}]`;
    if (!isObject(part)) throw invalid(p, "a content part must be an object");
    if (part.type === "input_text" || part.type === "output_text" || part.type === "text") {
      if (typeof part.text !== "string") throw invalid(`${p}.text`, "a text part needs its text");
      return { type: "text", text: part.text };
    }
    throw unsupported(p, `${JSON.stringify(part.type)} in a function_call_output (a chat tool message holds only text)`, speaks);
  });
  if (parts.length === 1) return parts[0]!.text;
  return parts;
}
