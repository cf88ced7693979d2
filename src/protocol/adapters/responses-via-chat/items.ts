/**
 * Responses input items → Chat Completions messages (the item list the hub stores for a
 * conversation is normalized by protocol/openai/responses-items.ts, and replayed through here).
 * The items are read and checked by ../responses-input.ts (shared with responses-via-messages);
 * this is what each becomes in chat.
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
 *   (DeepSeek wants it back during a tool-call turn; llama.cpp and vLLM accept it);
 * - item `id`s and `status` are not sent (chat has no place for them).
 * Rejected (400 naming the field): `input_file`, `input_audio`, images outside user messages or
 * by `file_id`, images in tool output, an unresolvable `item_reference`, and every other item
 * type (built-in tool calls and their outputs, `custom_tool_call`, `compaction`, …).
 */
import { isObject, type Json } from "../../json.ts";
import type { Speaks } from "../rejections.ts";
import type { ConversationSink, InputPart, Role } from "../responses-input.ts";
import { unsupported } from "./common.ts";

export interface MessagesOptions {
  /** Pass reasoning items on as `reasoning_content` on the following assistant message. */
  reasoningContent?: boolean;
  /** What a 400 says the participant speaks (default Chat Completions). */
  speaks?: Speaks;
}

const CHAT_ROLE: Record<Role, string> = { user: "user", assistant: "assistant", system: "system", developer: "system" };

/** Builds the chat `messages` list item by item (responses-input.ts reads them). */
export class MessageBuilder implements ConversationSink {
  readonly messages: Json[] = [];
  private thoughts = "";

  constructor(private readonly opts: MessagesOptions = {}) {}

  message(role: Role, content: string | InputPart[]): void {
    const chatRole = CHAT_ROLE[role];
    const mapped = chatContent(content, chatRole, this.opts.speaks);
    if (chatRole === "assistant") {
      this.messages.push(this.withReasoning({ role: "assistant", content: mapped }));
      return;
    }
    this.thoughts = "";
    this.messages.push({ role: chatRole, content: mapped });
  }

  functionCall(callId: string, name: string, args: string): void {
    const call = { id: callId, type: "function", function: { name, arguments: args } };
    const last = this.messages.at(-1);
    if (last?.role === "assistant") {
      if (!Array.isArray(last.tool_calls)) last.tool_calls = [];
      (last.tool_calls as Json[]).push(call);
      if (this.thoughts && last.reasoning_content === undefined) this.withReasoning(last);
      return;
    }
    this.messages.push(this.withReasoning({ role: "assistant", content: "", tool_calls: [call] }));
  }

  functionCallOutput(callId: string, output: string | InputPart[]): void {
    this.thoughts = "";
    this.messages.push({ role: "tool", tool_call_id: callId, content: toolContent(output, this.opts.speaks) });
  }

  reasoning(item: Json): void {
    if (this.opts.reasoningContent) this.thoughts += reasoningText(item);
  }

  private withReasoning(msg: Json): Json {
    if (this.thoughts && msg.reasoning_content === undefined) msg.reasoning_content = this.thoughts;
    this.thoughts = "";
    return msg;
  }
}

/** A reasoning item's text: its `reasoning_text` parts, then its summary's. */
export function reasoningText(item: Json): string {
  const parts = [...(Array.isArray(item.content) ? item.content : []), ...(Array.isArray(item.summary) ? item.summary : [])];
  return parts.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}

function chatContent(content: string | InputPart[], role: string, speaks: Speaks | undefined): unknown {
  if (typeof content === "string") return content;
  const parts: Json[] = content.map((part) => chatPart(part, role, speaks));
  if (parts.length === 0) return "";
  if (parts.length === 1 && parts[0]!.type === "text") return parts[0]!.text;
  return parts;
}

function chatPart(part: InputPart, role: string, speaks: Speaks | undefined): Json {
  switch (part.kind) {
    case "text":
    case "refusal":
      return { type: "text", text: part.text };
    case "input_image": {
      if (role !== "user") throw unsupported(part.param, `an image in a ${role} message`, speaks);
      const imageUrl: Json = { url: part.url };
      if (part.detail !== undefined) imageUrl.detail = part.detail;
      return { type: "image_url", image_url: imageUrl };
    }
    case "input_file":
      throw unsupported(part.param, "input_file (files)", speaks);
  }
}

function toolContent(output: string | InputPart[], speaks: Speaks | undefined): unknown {
  if (typeof output === "string") return output;
  const parts = output.map((part) => {
    if (part.kind === "text") return { type: "text", text: part.text };
    throw unsupported(part.param, `${JSON.stringify(part.kind)} in a function_call_output (a chat tool message holds only text)`, speaks);
  });
  if (parts.length === 1) return parts[0]!.text;
  return parts;
}
