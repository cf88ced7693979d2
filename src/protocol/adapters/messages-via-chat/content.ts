/**
 * Messages `system` and `messages` → Chat Completions `messages` (docs/protocols.md, "Messages"):
 * what each block becomes; ../messages-input.ts reads and checks them (and names what it rejects).
 *
 * Mapped:
 * - `system` (a string, or text blocks joined with a blank line) and every `role: "system"`
 *   entry inside `messages` (Claude Code sends them) → ONE leading `system` message, in that
 *   order: many local chat templates (Qwen, Llama) refuse a system message anywhere else;
 * - `user` / `assistant` messages, string content as is; `text` blocks → text parts (a single
 *   text part is sent as a plain string: wider support); an assistant's text blocks are joined;
 * - `image` blocks in user messages: `source.type: "base64"` → a `data:` URL, `"url"` → the URL,
 *   as `{type: "image_url", image_url: {url}}`;
 * - `document` blocks with a plain-text source → a text part;
 * - `tool_use` (assistant) → a `tool_calls` entry `{id, type: "function", function: {name,
 *   arguments: JSON of input}}` (parallel calls: several entries of one assistant message);
 * - `tool_result` (user) → a `tool` message per result, before the rest of that user message
 *   (chat wants tool answers right after the call); its content: a string, or its text blocks
 *   joined with a newline; `is_error: true` → the text prefixed with `Error: ` (chat has no
 *   error flag; the model still learns the call failed); images in a tool result → a user
 *   message right after the tool messages, `Images returned by tool call <id>:` then the
 *   images (chat's tool messages carry text only).
 * Ignored: `cache_control` and `citations` on any block; `thinking` and `redacted_thinking`
 * blocks of earlier assistant turns (another model's thoughts, whose signatures a chat
 * participant cannot check; chat has no field for them).
 * Rejected (400 naming the block): `document` blocks other than plain text (a chat participant
 * takes no PDF), and what messages-input.ts rejects (images outside user messages and tool
 * results, images by `file` id, server tool blocks, roles other than user/assistant/system).
 */
import type { Json } from "../../json.ts";
import { readMessages, type MessagesPart, type MessagesSink } from "../messages-input.ts";
import type { Speaks } from "./common.ts";

export function mapMessages(body: Json, speaks: Speaks): Json[] {
  const chat = new ChatMessages();
  readMessages(body, chat, { speaks, pdfs: false });
  if (chat.systemTexts.length > 0) chat.out.unshift({ role: "system", content: chat.systemTexts.join("\n\n") });
  return chat.out;
}

/** The chat messages of a Messages conversation, message by message. */
class ChatMessages implements MessagesSink {
  readonly systemTexts: string[] = [];
  readonly out: Json[] = [];
  // The message being read: a user's parts, the images of its tool results and whether it had
  // any; an assistant's text and calls.
  private parts: Json[] = [];
  private toolImages: Json[] = [];
  private toolResults = false;
  private text = "";
  private calls: Json[] = [];

  system(text: string): void {
    this.systemTexts.push(text);
  }

  userPart(part: MessagesPart): void {
    this.parts.push(chatPart(part));
  }

  toolResult(id: string, content: string | MessagesPart[], isError: boolean): void {
    this.toolResults = true;
    let text: string;
    if (typeof content === "string") text = content;
    else {
      text = content.flatMap((p) => (p.kind === "text" ? [p.text] : [])).join("\n");
      const images = content.filter((p) => p.kind === "image").map(chatPart);
      if (images.length > 0) this.toolImages.push({ type: "text", text: `Images returned by tool call ${id}:` }, ...images);
    }
    if (isError) text = text === "" ? "Error" : `Error: ${text}`;
    this.out.push({ role: "tool", tool_call_id: id, content: text });
  }

  assistantText(text: string): void {
    this.text += text;
  }

  toolUse(id: string, name: string, input: unknown): void {
    this.calls.push({ id, type: "function", function: { name, arguments: JSON.stringify(input) } });
  }

  thinking(): void {
    // Another model's thoughts: a chat participant has no field for them, nor a way to check a signature.
  }

  endTurn(role: "user" | "assistant"): void {
    if (role === "user") {
      const parts = this.parts;
      if (this.toolImages.length > 0) this.out.push({ role: "user", content: this.toolImages });
      if (parts.length > 0) this.out.push({ role: "user", content: parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts });
      else if (this.toolImages.length === 0 && !this.toolResults) this.out.push({ role: "user", content: "" });
      this.parts = [];
      this.toolImages = [];
      this.toolResults = false;
      return;
    }
    const msg: Json = { role: "assistant", content: this.text };
    if (this.calls.length > 0) msg.tool_calls = this.calls;
    this.out.push(msg);
    this.text = "";
    this.calls = [];
  }
}

/** A text or image part (a chat participant takes no PDF: messages-input.ts refuses it first). */
function chatPart(part: MessagesPart): Json {
  if (part.kind === "image") return { type: "image_url", image_url: { url: part.url } };
  return { type: "text", text: part.kind === "text" ? part.text : "" };
}
