/**
 * A non-streaming Messages `message` → a complete Response object (responses-via-chat/envelope.ts
 * has its shape), item for item as the stream mapper (stream.ts) builds the same answer:
 * - `text` blocks → a `message` item with one `output_text` part (`annotations: []`, `logprobs:
 *   []`); consecutive text blocks, and text blocks with only Anthropic's own tool blocks between
 *   them, are one part (web search splits an answer into many, around its citations, which have
 *   no Responses counterpart here); text after a thinking block or a call opens a new message;
 * - a `thinking` block → a `reasoning` item of its own: its text as one `reasoning_text` part and
 *   its signature as `encrypted_content: "anthropic.thinking:<signature>"` (none when the block
 *   has none: llama.cpp's `signature: ""`; a block with neither text nor signature makes no item);
 * - a `redacted_thinking` block → a `reasoning` item with no text and `encrypted_content:
 *   "anthropic.redacted_thinking:<data>"` (protocol/anthropic/thinking.ts);
 * - a `tool_use` block → a `function_call` item (`call_id` the block's id, or `call_<random>`;
 *   `arguments` the JSON of `input`);
 * - `server_tool_use`, `*_tool_result` and unknown blocks: skipped (a Responses client asks for
 *   no Anthropic tools).
 * The status, incomplete reason and usage from `stop_reason` and `usage` (common.ts); the last
 * item of an incomplete Response is `incomplete`. `created_at` and `completed_at` are now (a
 * message has no time). A body that is Anthropic's error shape, or no message, is a 502
 * `upstream_invalid_response` with its message (HTTP errors never get here: the hub answers them).
 */
import { GambiError } from "../../openai/errors.ts";
import { isObject, type Json } from "../../json.ts";
import { itemId } from "../../openai/responses-items.ts";
import { encryptedContentOfBlock } from "../../anthropic/thinking.ts";
import type { AdapterContext } from "../types.ts";
import { seconds } from "../responses-via-chat/common.ts";
import { functionCallItem, messageItem, reasoningItem, responseObject, textPart } from "../responses-via-chat/envelope.ts";
import { endStateOfStop, responsesUsageOf } from "./common.ts";

export function mapResponse(msg: Json, request: Json, ctx: AdapterContext, opts: { responseId: string }): Json {
  if (!Array.isArray(msg.content)) {
    const said = isObject(msg.error) && typeof msg.error.message === "string" ? `: ${msg.error.message}` : "";
    throw new GambiError(502, `the participant's answer is no Messages message (no content)${said}`, { code: "upstream_invalid_response" });
  }
  const output: Json[] = [];
  /** The message item text goes to, while nothing else has come after it. */
  let message: { text: string; at: number } | undefined;
  for (const block of msg.content) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case "text":
        if (typeof block.text !== "string" || block.text === "") continue;
        if (!message) {
          message = { text: "", at: output.length };
          output.push(messageItem(itemId(ctx, "msg"), "completed", []));
        }
        message.text += block.text;
        output[message.at]!.content = [textPart(message.text)];
        continue;
      case "thinking":
      case "redacted_thinking": {
        const text = block.type === "thinking" && typeof block.thinking === "string" ? block.thinking : undefined;
        const encrypted = encryptedContentOfBlock(block);
        if (!text && encrypted === undefined) continue;
        output.push(reasoningItem(itemId(ctx, "rs"), block.type === "thinking" ? (text ?? "") : undefined, encrypted));
        message = undefined;
        continue;
      }
      case "tool_use": {
        const callId = typeof block.id === "string" && block.id !== "" ? block.id : `call_${ctx.newId().replace(/-/g, "")}`;
        output.push(functionCallItem(itemId(ctx, "fc"), "completed", callId, typeof block.name === "string" ? block.name : "", JSON.stringify(block.input ?? {})));
        message = undefined;
        continue;
      }
    }
  }
  const end = endStateOfStop(msg.stop_reason);
  const last = output.at(-1);
  if (end.status === "incomplete" && last && "status" in last) last.status = "incomplete";
  const now = seconds(ctx.now());
  return responseObject(request, {
    id: opts.responseId,
    createdAt: now,
    status: end.status,
    completedAt: now,
    output,
    usage: responsesUsageOf(msg.usage),
    incompleteReason: end.incompleteReason,
  });
}
