/**
 * A non-streaming `chat.completion` → a complete Response object (envelope.ts has the shape).
 *
 * Mapped, in output order: a `reasoning` item (`summary: []`, one `reasoning_text` part) from
 * `message.reasoning_content` (DeepSeek, llama.cpp, LM Studio), else `message.reasoning`
 * (Ollama, OpenRouter, Groq), else the text of `reasoning_details` (OpenRouter) — the first
 * non-empty; a `message` item with an `output_text` part (`annotations: []`, `logprobs` from
 * `choice.logprobs.content` or `[]`) and/or a `refusal` part; one `function_call` item per
 * `tool_calls` entry (`call_id` = the chat id, or `call_<random>` if it has none; `arguments`
 * as sent; the legacy `function_call` likewise). No item for empty content.
 * `finish_reason` → status (common.ts); the last item of an incomplete response is marked
 * `incomplete`. Usage: usage.ts. `<think>…</think>` inside content is left as text: it is what
 * the model wrote (Fireworks' DeepSeek-R1), and guessing at tags could eat real text.
 * `created_at` is the completion's `created` (else now), `completed_at` now.
 * Errors: HTTP errors never get here (the hub answers them). A 200 body with no choice 0 (or
 * an `error` and no choices) is a 502 GambiError `upstream_invalid_response`: there is no
 * answer to report, and an empty "completed" response would hide that.
 */
import { GambiError } from "../../openai/errors.ts";
import { isObject, type Json } from "../../json.ts";
import type { AdapterContext } from "../types.ts";
import { itemId } from "../../openai/responses-items.ts";
import { deltaReasoning, endStateOf, num, seconds } from "./common.ts";
import { functionCallItem, messageItem, reasoningItem, refusalPart, responseObject, textPart } from "./envelope.ts";
import { responsesUsageFromChat } from "./usage.ts";

export function mapResponse(chat: Json, request: Json, ctx: AdapterContext, opts: { responseId: string }): Json {
  const choices = Array.isArray(chat.choices) ? chat.choices : [];
  const choice = choices.find((c: unknown) => isObject(c) && (c.index ?? 0) === 0);
  if (!isObject(choice) || !isObject(choice.message)) {
    const upstream = isObject(chat.error) && typeof chat.error.message === "string" ? `: ${chat.error.message}` : "";
    throw new GambiError(502, `the participant's chat completion has no answer (no choice 0)${upstream}`, { code: "upstream_invalid_response" });
  }
  const msg = choice.message;
  const output: Json[] = [];

  const reasoning = deltaReasoning(msg);
  if (reasoning) output.push(reasoningItem(itemId(ctx, "rs"), reasoning));

  const parts: Json[] = [];
  const text = contentText(msg.content);
  if (text) {
    const logprobs = isObject(choice.logprobs) && Array.isArray(choice.logprobs.content) ? choice.logprobs.content : [];
    parts.push(textPart(text, logprobs));
  }
  if (typeof msg.refusal === "string" && msg.refusal !== "") parts.push(refusalPart(msg.refusal));
  if (parts.length > 0) output.push(messageItem(itemId(ctx, "msg"), "completed", parts));

  const calls: unknown[] = Array.isArray(msg.tool_calls) ? msg.tool_calls : isObject(msg.function_call) ? [{ function: msg.function_call }] : [];
  for (const tc of calls) {
    if (!isObject(tc)) continue;
    const fn = isObject(tc.function) ? tc.function : {};
    const callId = typeof tc.id === "string" && tc.id !== "" ? tc.id : `call_${ctx.newId().replace(/-/g, "")}`;
    const args = typeof fn.arguments === "string" ? fn.arguments : fn.arguments === undefined || fn.arguments === null ? "" : JSON.stringify(fn.arguments);
    output.push(functionCallItem(itemId(ctx, "fc"), "completed", callId, typeof fn.name === "string" ? fn.name : "", args));
  }

  const end = endStateOf(choice.finish_reason);
  const last = output.at(-1);
  if (end.status === "incomplete" && last && "status" in last) last.status = "incomplete";
  const now = seconds(ctx.now());
  const created = num(chat.created);
  return responseObject(request, {
    id: opts.responseId,
    createdAt: created !== undefined && created > 0 ? created : now,
    status: end.status,
    completedAt: now,
    output,
    usage: responsesUsageFromChat(chat.usage),
    incompleteReason: end.incompleteReason,
  });
}

/** Content as text: a string, or the text parts some servers return as an array. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}
