/**
 * Chat Completions, read for printing. Per event:
 * - `choices[0].delta.content` and `delta.refusal` (OpenAI puts a refusal there, content null) → text;
 * - `delta.reasoning_content` (DeepSeek, llama.cpp) and `delta.reasoning` (OpenRouter, Groq) → reasoning;
 * - `usage` with counts → usage (the last one wins: Hyperbolic repeats running totals on every
 *   chunk, Groq sends it twice; `"usage":null` on OpenAI's other chunks is ignored);
 * - `finish_reason` → finish (OpenRouter sends it twice; the caller keeps the last);
 * - an `error` object in a data chunk (OpenRouter mid-stream, the hub when an upstream breaks
 *   off) or a named `event: error` (Groq) → error.
 * Tool-call deltas are ignored: `gambi chat` sends no tools. Only choice 0 is read (n=1).
 */
import type { SseEvent } from "../protocol/sse/decode.ts";
import { usageFromChat } from "../protocol/observe.ts";
import { errorPart, parseJson, type Json, type StreamPart } from "./parts.ts";

function nonEmpty(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

export function readChatEvent(ev: SseEvent): StreamPart[] {
  if (ev.data === "[DONE]") return [];
  const payload = parseJson(ev.data);
  if (ev.event === "error") return [errorPart(payload?.error ?? payload ?? ev.data, "the endpoint reported an error")];
  if (!payload) return [];
  const out: StreamPart[] = [];
  const choice = Array.isArray(payload.choices) ? (payload.choices as Json[]).find((c) => (c?.index ?? 0) === 0) : undefined;
  const delta = choice?.delta;
  if (delta && typeof delta === "object") {
    const reasoning = nonEmpty(delta.reasoning_content) ? delta.reasoning_content : nonEmpty(delta.reasoning) ? delta.reasoning : undefined;
    if (reasoning) out.push({ type: "reasoning", text: reasoning });
    if (nonEmpty(delta.content)) out.push({ type: "text", text: delta.content });
    if (nonEmpty(delta.refusal)) out.push({ type: "text", text: delta.refusal });
  }
  if (nonEmpty(choice?.finish_reason)) out.push({ type: "finish", reason: choice.finish_reason });
  const usage = usageFromChat(payload.usage);
  if (usage) out.push({ type: "usage", usage });
  if (payload.error) out.push(errorPart(payload.error, "the endpoint reported an error"));
  return out;
}

/** A non-streaming chat completion (an endpoint that ignored `stream: true`). */
export function readChatBody(body: Json): StreamPart[] {
  if (body.error) return [errorPart(body.error, "the endpoint reported an error")];
  const out: StreamPart[] = [];
  const choice = Array.isArray(body.choices) ? (body.choices as Json[])[0] : undefined;
  const message = choice?.message;
  if (message && typeof message === "object") {
    const reasoning = nonEmpty(message.reasoning_content) ? message.reasoning_content : nonEmpty(message.reasoning) ? message.reasoning : undefined;
    if (reasoning) out.push({ type: "reasoning", text: reasoning });
    if (nonEmpty(message.content)) out.push({ type: "text", text: message.content });
    else if (nonEmpty(message.refusal)) out.push({ type: "text", text: message.refusal });
  }
  if (nonEmpty(choice?.finish_reason)) out.push({ type: "finish", reason: choice.finish_reason });
  const usage = usageFromChat(body.usage);
  if (usage) out.push({ type: "usage", usage });
  return out;
}
