/**
 * A non-streaming Messages `message` → a `chat.completion` (protocol/anthropic/message.ts has
 * the stop reasons and usage in chat's terms).
 *
 * Mapped: `id` → a fresh `chatcmpl-…` (chat ids are never looked up); `created` → now (a message
 * has no time); `model` → the message's (the request's when missing); `choices[0].message`:
 * - `content`: the `text` blocks, concatenated (null when none; `citations` on them have no
 *   chat counterpart and are dropped);
 * - `reasoning_content`: the `thinking` blocks' text, joined with a blank line (absent when
 *   none);
 * - `reasoning_details` (OpenRouter's field): one entry per signed `thinking` block (its text and
 *   signature) and per `redacted_thinking` block, in order (anthropic/thinking.ts), absent when
 *   none: sent back on the assistant message, they become the same blocks again, which Anthropic
 *   wants in a tool loop with thinking on;
 * - `tool_calls`: one per `tool_use` block (`id`, `type: "function"`, `function: {name,
 *   arguments: JSON of input}`), absent when none;
 * - `refusal: null`, `annotations: []`, as OpenAI's message has;
 * `finish_reason` from `stop_reason` (message.ts), `logprobs: null`, `usage` (message.ts).
 * Ignored: blocks of Anthropic's own tools (`server_tool_use`, `web_search_tool_result`, …: a chat
 * client never asks for them) and any block type not listed.
 * Errors: a body that is Anthropic's error shape, or no message, is a 502
 * `upstream_invalid_response` with its message (HTTP errors never get here: the hub answers them).
 */
import { GambiError } from "../../openai/errors.ts";
import { isObject, type Json } from "../../json.ts";
import { chatFinishReasonOf, chatUsageFromMessages } from "../../anthropic/message.ts";
import { detailOfBlock } from "../../anthropic/thinking.ts";
import type { AdapterContext } from "../types.ts";

export function mapResponse(msg: Json, request: Json, ctx: AdapterContext): Json {
  if (!Array.isArray(msg.content)) {
    const said = isObject(msg.error) && typeof msg.error.message === "string" ? `: ${msg.error.message}` : "";
    throw new GambiError(502, `the participant's answer is no Messages message (no content)${said}`, { code: "upstream_invalid_response" });
  }
  let text = "";
  let hasText = false;
  const thoughts: string[] = [];
  const details: Json[] = [];
  const toolCalls: Json[] = [];
  for (const block of msg.content) {
    if (!isObject(block)) continue;
    if (block.type === "text" && typeof block.text === "string") {
      text += block.text;
      hasText = true;
    } else if (block.type === "thinking" || block.type === "redacted_thinking") {
      if (block.type === "thinking" && typeof block.thinking === "string" && block.thinking !== "") thoughts.push(block.thinking);
      const detail = detailOfBlock(block);
      if (detail) details.push(detail);
    } else if (block.type === "tool_use") {
      const name = typeof block.name === "string" ? block.name : "";
      const id = typeof block.id === "string" && block.id !== "" ? block.id : `call_${ctx.newId().replace(/-/g, "")}`;
      toolCalls.push({ id, type: "function", function: { name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const message: Json = { role: "assistant", content: hasText ? text : null, refusal: null, annotations: [] };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thoughts.length > 0) message.reasoning_content = thoughts.join("\n\n");
  if (details.length > 0) message.reasoning_details = details;
  const out: Json = {
    id: `chatcmpl-${ctx.newId()}`,
    object: "chat.completion",
    created: Math.floor(ctx.now() / 1000),
    model: typeof msg.model === "string" && msg.model !== "" ? msg.model : request.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReasonOf(msg.stop_reason, toolCalls.length > 0) }],
  };
  const usage = chatUsageFromMessages(msg.usage);
  if (usage) out.usage = usage;
  return out;
}
