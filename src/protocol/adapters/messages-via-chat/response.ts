/**
 * A non-streaming `chat.completion` → a Messages `message` (protocol/anthropic/message.ts has
 * the shape, the stop reasons and the usage).
 *
 * Content blocks, in this order: a `thinking` block from the message's reasoning
 * (`reasoning_content`, `reasoning` or `reasoning_details`, openai/chat-reasoning.ts) with
 * `signature: ""` (a chat participant signs nothing, and a signature is never invented); a
 * `text` block from `content` (string, or the text of content parts); a `text` block from
 * `refusal` (stop reason `refusal`); a `tool_use` block per `tool_calls` entry (and the legacy
 * `function_call`): `id` the chat id (or `toolu_<random>`), `input` the parsed `arguments`
 * (empty → `{}`). No block for empty text. `<think>` tags inside content stay text.
 * Errors: a body without choice 0 → 502 `upstream_invalid_response`; tool arguments that are
 * not a JSON object → the same 502 naming the tool: a Messages `tool_use` block carries an
 * object, and dropping or inventing arguments would run the tool with input the model did not
 * write (a stream passes the model's fragments on as they are, stream.ts).
 */
import { deltaReasoning } from "../../openai/chat-reasoning.ts";
import { GambiError } from "../../openai/errors.ts";
import { isObject, type Json } from "../../json.ts";
import { emptyUsage, messageId, messageObject, messagesUsageFromChat, stopReasonOf, type StopReason } from "../../anthropic/message.ts";
import type { AdapterContext } from "../types.ts";

export function mapResponse(chat: Json, request: Json, ctx: AdapterContext): Json {
  const choices = Array.isArray(chat.choices) ? chat.choices : [];
  const choice = choices.find((c: unknown) => isObject(c) && (c.index ?? 0) === 0);
  if (!isObject(choice) || !isObject(choice.message)) {
    const upstream = isObject(chat.error) && typeof chat.error.message === "string" ? `: ${chat.error.message}` : "";
    throw new GambiError(502, `the participant's chat completion has no answer (no choice 0)${upstream}`, { code: "upstream_invalid_response" });
  }
  const msg = choice.message;
  const content: Json[] = [];
  const reasoning = deltaReasoning(msg);
  if (reasoning) content.push({ type: "thinking", thinking: reasoning, signature: "" });
  const text = contentText(msg.content);
  if (text) content.push({ type: "text", text });
  const refusal = typeof msg.refusal === "string" && msg.refusal !== "" ? msg.refusal : undefined;
  if (refusal) content.push({ type: "text", text: refusal });

  const calls: unknown[] = Array.isArray(msg.tool_calls) ? msg.tool_calls : isObject(msg.function_call) ? [{ function: msg.function_call }] : [];
  for (const tc of calls) {
    if (!isObject(tc)) continue;
    const fn = isObject(tc.function) ? tc.function : {};
    const name = typeof fn.name === "string" ? fn.name : "";
    const id = typeof tc.id === "string" && tc.id !== "" ? tc.id : toolUseId(ctx);
    content.push({ type: "tool_use", id, name, input: toolUseInput(fn.arguments, name) });
  }
  const end = stopReasonOf(choice.finish_reason, { toolUse: calls.length > 0, refusal: refusal !== undefined, matchedStop: choice.stop_reason }, request.stop_sequences);
  return answerMessage(request, ctx, content, end, chat.usage);
}

/** A whole answer's message: a fresh id, the request's model, its blocks and end, its usage in chat's terms (zeros without); messages-via-responses' too. */
export function answerMessage(request: Json, ctx: AdapterContext, content: Json[], end: { stopReason: StopReason; stopSequence: string | null }, chatUsage: unknown): Json {
  return messageObject({
    id: messageId(ctx.newId),
    model: request.model,
    content,
    stopReason: end.stopReason,
    stopSequence: end.stopSequence,
    usage: messagesUsageFromChat(chatUsage) ?? emptyUsage(),
  });
}

export function toolUseId(ctx: AdapterContext): string {
  return `toolu_${ctx.newId().replace(/-/g, "")}`;
}

/** A call's arguments → a `tool_use` block's input; a 502 when they are no JSON object (messages-via-responses' answers too). */
export function toolUseInput(args: unknown, name: string): Json {
  if (isObject(args)) return args;
  if (args === undefined || args === null || (typeof args === "string" && args.trim() === "")) return {};
  if (typeof args === "string") {
    try {
      const parsed: unknown = JSON.parse(args);
      if (isObject(parsed)) return parsed;
    } catch {
      // reported below
    }
  }
  throw new GambiError(502, `the participant called tool ${JSON.stringify(name)} with arguments that are not a JSON object: ${String(args).slice(0, 200)}`, {
    code: "upstream_invalid_response",
  });
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}
