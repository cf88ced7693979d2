/**
 * A Responses conversation → Messages `system` + `messages` (the items are read and checked by
 * ../responses-input.ts, shared with responses-via-chat; this is what each becomes). The
 * conversation the hub keeps for `previous_response_id` is replayed through here too.
 *
 * Mapped:
 * - `instructions`, and `system` / `developer` messages → `system`, their texts joined with a
 *   blank line, in order (the Messages API has no system turn: one in the middle moves to the
 *   top); text and refusal parts only;
 * - `user` messages → user turns: a string, or a single text part, as a string; parts: text →
 *   text blocks, `refusal` → a text block, `input_image` → an image block (a base64 `data:` URL →
 *   a base64 source, an http(s) URL → a url source; `detail` has no counterpart), `input_file` →
 *   a document block (a base64 `data:` URL in `file_data`: a PDF → a base64 source, plain text
 *   (`text/plain`, UTF-8) → a text source holding the decoded text; `file_url` → a url source;
 *   `filename` → its `title`);
 * - `assistant` messages → assistant turns: their text and refusal parts → text blocks (empty
 *   ones left out);
 * - `function_call` → a `tool_use` block `{id: call_id, name, input}` (`input` the parsed
 *   `arguments`, `""` → `{}`) in the assistant turn;
 * - `function_call_output` → a `tool_result` block `{tool_use_id: call_id, content}` in a user
 *   turn: a string, or a single text part, as a string; parts as a user message's (images and
 *   PDFs included: a tool result holds them);
 * - `reasoning` items the hub made from thinking blocks (`encrypted_content` with the
 *   `anthropic.thinking:` or `anthropic.redacted_thinking:` prefix) → the same `thinking` (its
 *   text and signature) or `redacted_thinking` block, in the assistant turn that follows, in the
 *   order the items came (Anthropic wants its blocks back as it sent them); a user message or a
 *   tool output before any assistant content drops them (they belong to no turn). Any other
 *   reasoning item (OpenAI's encrypted reasoning, unsigned thoughts) is dropped: Anthropic
 *   refuses thinking without its signature, and must never get another's as its own;
 * - consecutive turns of one role merge into one (the Messages API alternates user and
 *   assistant: parallel calls' results go in one user turn, first).
 * Rejected (400 naming the field and the Messages API): images and files outside user messages
 * and tool outputs, an image `data:` URL that is not base64, a file by `file_id` or other than a
 * PDF or plain text, plain text that is not valid base64 or not UTF-8 (`invalid_request` on
 * its `file_data`), `arguments` that are not a JSON object; and what responses-input.ts rejects.
 */
import { isObject, type Json } from "../../json.ts";
import { appendTurn, documentOfDataUrl, imageBlockOfUrl, titled, toolInputOf } from "../../anthropic/blocks.ts";
import { blockOfReasoningItem } from "../../anthropic/thinking.ts";
import { invalid, unsupported } from "../rejections.ts";
import type { ConversationSink, InputPart, Role } from "../responses-input.ts";

const SPEAKS = "Messages API";

export class TurnBuilder implements ConversationSink {
  private readonly systemTexts: string[] = [];
  readonly messages: Json[] = [];
  /** Thinking blocks waiting for the assistant content they came with. */
  private thinking: Json[] = [];

  get system(): string | undefined {
    return this.systemTexts.length > 0 ? this.systemTexts.join("\n\n") : undefined;
  }

  message(role: Role, content: string | InputPart[]): void {
    switch (role) {
      case "system":
      case "developer": {
        const text = typeof content === "string" ? content : content.map((p) => textOnly(p, role)).join("");
        if (text !== "") this.systemTexts.push(text);
        return;
      }
      case "user":
        this.thinking = [];
        return appendTurn(this.messages, "user", content.length === 0 ? "" : blocksOf(content));
      case "assistant": {
        const blocks = typeof content === "string" ? textBlocks([content]) : textBlocks(content.map((p) => textOnly(p, role)));
        if (blocks.length > 0) this.assistant(blocks);
        return;
      }
    }
  }

  functionCall(callId: string, name: string, args: string, param: string): void {
    const input = toolInputOf(args);
    if (!input) throw invalid(`${param}.arguments`, "must be a JSON object (a Messages tool_use block holds an object)");
    this.assistant([{ type: "tool_use", id: callId, name, input }]);
  }

  functionCallOutput(callId: string, output: string | InputPart[]): void {
    this.thinking = [];
    appendTurn(this.messages, "user", [{ type: "tool_result", tool_use_id: callId, content: blocksOf(output) }]);
  }

  reasoning(item: Json): void {
    const block = blockOfReasoningItem(item, reasoningText(item));
    if (block) this.thinking.push(block);
  }

  private assistant(blocks: Json[]): void {
    appendTurn(this.messages, "assistant", this.thinking.length > 0 ? [...this.thinking, ...blocks] : blocks);
    this.thinking = [];
  }
}

/** A reasoning item's text: its `reasoning_text` parts (a thinking block's text is one). */
function reasoningText(item: Json): string {
  return (Array.isArray(item.content) ? item.content : []).map((p: unknown) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}

function textOnly(part: InputPart, role: Role): string {
  if (part.kind === "text" || part.kind === "refusal") return part.text;
  throw unsupported(part.param, `${part.kind === "input_image" ? "an image" : "a file"} in a ${role} message`, SPEAKS);
}

const textBlocks = (texts: string[]): Json[] => texts.filter((t) => t !== "").map((text) => ({ type: "text", text }));

/** A user message's or a tool output's content: a string (one text part is one), or blocks. */
function blocksOf(content: string | InputPart[]): string | Json[] {
  if (typeof content === "string") return content;
  const only = content.length === 1 ? content[0]! : undefined;
  if (only?.kind === "text" || only?.kind === "refusal") return only.text;
  return content.map(blockOf);
}

function blockOf(part: InputPart): Json {
  switch (part.kind) {
    case "text":
    case "refusal":
      return { type: "text", text: part.text };
    case "input_image": {
      const block = imageBlockOfUrl(part.url);
      if (!block) throw unsupported(`${part.param}.image_url`, "an image data URL that is not base64", SPEAKS);
      return block;
    }
    case "input_file":
      return documentBlock(part.part, part.param);
  }
}

function documentBlock(file: Json, param: string): Json {
  if (file.file_id !== undefined && file.file_id !== null) throw unsupported(`${param}.file_id`, "a file given by file_id (files live on OpenAI)", SPEAKS);
  if (typeof file.file_url === "string" && file.file_url !== "") return titled({ type: "document", source: { type: "url", url: file.file_url } }, file.filename);
  const doc = documentOfDataUrl(file.file_data, file.filename);
  if (!doc) throw unsupported(param, "a file other than a PDF or plain text (text/plain) given as a base64 data: URL, or a PDF by file_url", SPEAKS);
  if ("unreadable" in doc) throw invalid(`${param}.file_data`, `a text/plain file's data ${doc.unreadable}`);
  return doc.block;
}
