/**
 * A Messages conversation → Responses `instructions` + `input` items (the blocks are read and
 * checked by ../messages-input.ts, shared with messages-via-chat; this is what each becomes).
 *
 * Mapped:
 * - `system` and `role: "system"` messages → `instructions`, their texts joined with a blank
 *   line, in order;
 * - a user message → its tool results first, each a `function_call_output` (`call_id` the
 *   `tool_use_id`), then one `message` item with the rest: text blocks and plain-text documents →
 *   `input_text`, images → `input_image` (a `data:` URL or the URL, `detail: "auto"`), PDFs →
 *   `input_file` (base64 → `file_data` as a `data:application/pdf;base64,` URL with `filename`
 *   the document's `title`, else `document.pdf`; a URL → `file_url`, `filename` when titled); a
 *   message of tool results only makes no message item, an empty one an empty `input_text`;
 * - a tool result's content: a string, or its texts joined with a newline, when it holds text
 *   only; with images or PDFs, the parts themselves, in order (a function call's output takes
 *   them); `is_error` → `Error: ` before its text (`Error` when empty; a leading `Error` part
 *   before an image): the Responses API has no error flag;
 * - an assistant message → items in its blocks' order: text (consecutive text blocks one
 *   `output_text`, empty ones left out) → a `message` item; `tool_use` → a `function_call`
 *   (`arguments` the JSON of `input`); a thinking block whose signature carries this
 *   participant's encrypted reasoning for this model (protocol/anthropic/thinking.ts, written by this adapter's answers) → the
 *   `reasoning` item it came from (`encrypted_content`, its text as a `summary_text`), where it
 *   was; a message with no text and no call still takes its place as an empty `output_text`.
 * Ignored: every other thinking block and `redacted_thinking` (Anthropic's signatures, another
 * participant's or model's, unsigned thoughts: a Responses participant can check none of them).
 */
import type { Json } from "../../json.ts";
import { reasoningOfBlock, type ReasoningWriter } from "../../anthropic/thinking.ts";
import type { MessagesPart, MessagesSink } from "../messages-input.ts";

export class ItemBuilder implements MessagesSink {
  private readonly systemTexts: string[] = [];
  readonly input: Json[] = [];
  // The user message being read: its parts, and whether it had tool results.
  private parts: Json[] = [];
  private toolResults = false;
  // The assistant message being read: its items so far, and the output_text part text goes to (while nothing came after it).
  private turn: Json[] = [];
  private openText: Json | undefined;

  /** `writer`: the participant and its model, whose own encrypted reasoning may go back to it. */
  constructor(private readonly writer: ReasoningWriter) {}

  get instructions(): string | undefined {
    return this.systemTexts.length > 0 ? this.systemTexts.join("\n\n") : undefined;
  }

  system(text: string): void {
    this.systemTexts.push(text);
  }

  userPart(part: MessagesPart): void {
    this.parts.push(inputPart(part));
  }

  toolResult(id: string, content: string | MessagesPart[], isError: boolean): void {
    this.toolResults = true;
    this.input.push({ type: "function_call_output", call_id: id, output: toolOutput(content, isError) });
  }

  assistantText(text: string): void {
    if (text === "") return;
    if (this.openText) {
      this.openText.text += text;
      return;
    }
    this.openText = { type: "output_text", text };
    this.turn.push({ type: "message", role: "assistant", content: [this.openText] });
  }

  toolUse(id: string, name: string, input: unknown): void {
    this.openText = undefined;
    this.turn.push({ type: "function_call", call_id: id, name, arguments: JSON.stringify(input) });
  }

  thinking(block: Json): void {
    const encrypted = reasoningOfBlock(block, this.writer);
    if (encrypted === undefined) return;
    this.openText = undefined;
    const text = typeof block.thinking === "string" ? block.thinking : "";
    this.turn.push({ type: "reasoning", summary: text === "" ? [] : [{ type: "summary_text", text }], encrypted_content: encrypted });
  }

  endTurn(role: "user" | "assistant"): void {
    if (role === "user") {
      if (this.parts.length > 0) this.input.push({ type: "message", role: "user", content: this.parts });
      else if (!this.toolResults) this.input.push({ type: "message", role: "user", content: [{ type: "input_text", text: "" }] });
      this.parts = [];
      this.toolResults = false;
      return;
    }
    // A turn with neither text nor calls still takes its place in the conversation.
    if (!this.turn.some((i) => i.type !== "reasoning")) this.turn.push({ type: "message", role: "assistant", content: [{ type: "output_text", text: "" }] });
    this.input.push(...this.turn);
    this.turn = [];
    this.openText = undefined;
  }
}

function inputPart(part: MessagesPart): Json {
  switch (part.kind) {
    case "text":
      return { type: "input_text", text: part.text };
    case "image":
      return { type: "input_image", image_url: part.url, detail: "auto" };
    case "pdf":
      return fileOf(part.block);
  }
}

/** A PDF document block (base64 or by URL, as messages-input.ts let it through) → an `input_file`. */
function fileOf(block: Json): Json {
  const source = block.source as Json;
  const title = typeof block.title === "string" && block.title !== "" ? block.title : undefined;
  if (source.type === "url") return title ? { type: "input_file", filename: title, file_url: source.url } : { type: "input_file", file_url: source.url };
  return { type: "input_file", filename: title ?? "document.pdf", file_data: `data:application/pdf;base64,${source.data as string}` };
}

function toolOutput(content: string | MessagesPart[], isError: boolean): string | Json[] {
  const flagged = (text: string) => (!isError ? text : text === "" ? "Error" : `Error: ${text}`);
  if (typeof content === "string") return flagged(content);
  if (content.every((p) => p.kind === "text")) return flagged(content.map((p) => (p.kind === "text" ? p.text : "")).join("\n"));
  const parts = content.map(inputPart);
  if (!isError) return parts;
  const first = parts[0]!;
  if (first.type === "input_text") return [{ ...first, text: flagged(first.text as string) }, ...parts.slice(1)];
  return [{ type: "input_text", text: "Error" }, ...parts];
}
