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
 * - `document` blocks with a plain-text source → a text part; with a base64 PDF source → a
 *   `file` part `{filename: title, file_data: "data:application/pdf;base64,…"}` (`document.pdf`
 *   when untitled: OpenAI refuses file data without a filename);
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
 * Rejected (400 naming the block): a PDF by URL (a chat file part takes only data), and what
 * messages-input.ts rejects (images outside user messages and tool results, images by `file` id,
 * documents by file id or from content blocks, base64 documents other than PDFs, server tool
 * blocks, roles other than user/assistant/system).
 */
import type { Json } from "../../json.ts";
import { readMessages, type MessagesPart, type MessagesSink } from "../messages-input.ts";
import type { Speaks } from "./common.ts";

export function mapMessages(body: Json, speaks: Speaks): Json[] {
  const chat = new ChatMessages();
  readMessages(body, chat, { speaks, pdfByUrl: "a chat file part takes only data" });
  if (chat.systemTexts.length > 0) chat.out.unshift({ role: "system", content: chat.systemTexts.join("\n\n") });
  return chat.out;
}

/** The chat messages of a Messages conversation, message by message. */
class ChatMessages implements MessagesSink {
  readonly systemTexts: string[] = [];
  readonly out: Json[] = [];
  // The message being read: a user's parts, the images and files of its tool results and
  // whether it had any; an assistant's text and calls.
  private parts: Json[] = [];
  private toolFiles: Json[] = [];
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
      const files = content.filter((p) => p.kind !== "text");
      if (files.length > 0) {
        const what = files.every((p) => p.kind === "image") ? "Images" : "Files";
        this.toolFiles.push({ type: "text", text: `${what} returned by tool call ${id}:` }, ...files.map(chatPart));
      }
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
      if (this.toolFiles.length > 0) this.out.push({ role: "user", content: this.toolFiles });
      if (parts.length > 0) this.out.push({ role: "user", content: parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts });
      else if (this.toolFiles.length === 0 && !this.toolResults) this.out.push({ role: "user", content: "" });
      this.parts = [];
      this.toolFiles = [];
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

/** A text, image or PDF part (a PDF here has a base64 source: messages-input.ts refuses one by URL for chat). */
function chatPart(part: MessagesPart): Json {
  switch (part.kind) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return { type: "image_url", image_url: { url: part.url } };
    case "pdf": {
      const title = part.block.title;
      return { type: "file", file: { filename: typeof title === "string" && title !== "" ? title : "document.pdf", file_data: `data:application/pdf;base64,${(part.block.source as Json).data as string}` } };
    }
  }
}
