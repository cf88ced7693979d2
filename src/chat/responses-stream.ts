/**
 * Responses API, read for printing. The event's type is taken from its own `type` field
 * (OpenRouter sends data-only SSE), else from the `event:` line. Per event:
 * - `response.output_text.delta` and `response.refusal.delta` → text;
 * - `response.reasoning_text.delta` (OpenRouter, DeepSeek, LM Studio) and
 *   `response.reasoning_summary_text.delta` (OpenAI) → reasoning;
 * - any event carrying `response.id` → response-id (the caller keeps the first);
 * - `response.completed` → usage + finish "completed"; `response.incomplete` → usage + finish
 *   with `incomplete_details.reason` (e.g. "max_output_tokens");
 * - `error` (OpenAI: `{type, code, message}` or `{type, error: {...}}`) and `response.failed`
 *   (`response.error`) → error. OpenAI sends both for one failure; the caller keeps the first.
 * Function-call events are ignored: `gambi chat` sends no tools.
 */
import type { SseEvent } from "../protocol/sse/decode.ts";
import { usageFromResponses } from "../protocol/observe.ts";
import { errorPart, parseJson, type Json, type StreamPart } from "./parts.ts";

const TEXT = new Set(["response.output_text.delta", "response.refusal.delta"]);
const REASONING = new Set(["response.reasoning_text.delta", "response.reasoning_summary_text.delta"]);

export function readResponsesEvent(ev: SseEvent): StreamPart[] {
  if (ev.data === "[DONE]") return [];
  const payload = parseJson(ev.data);
  const type = typeof payload?.type === "string" ? payload.type : ev.event;
  if (type === "error") return [errorPart(payload?.error ?? payload ?? ev.data, "the endpoint reported an error")];
  if (!payload || !type) return [];
  if (TEXT.has(type)) return typeof payload.delta === "string" && payload.delta.length > 0 ? [{ type: "text", text: payload.delta }] : [];
  if (REASONING.has(type)) return typeof payload.delta === "string" && payload.delta.length > 0 ? [{ type: "reasoning", text: payload.delta }] : [];
  const response = payload.response;
  if (!response || typeof response !== "object") return [];
  const out: StreamPart[] = [];
  if (typeof response.id === "string" && response.id.length > 0) out.push({ type: "response-id", id: response.id });
  if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") {
    const usage = usageFromResponses(response.usage);
    if (usage) out.push({ type: "usage", usage });
  }
  if (type === "response.completed") out.push({ type: "finish", reason: "completed" });
  if (type === "response.incomplete") out.push({ type: "finish", reason: incompleteReason(response) });
  if (type === "response.failed") out.push(errorPart(response.error, "the response failed"));
  return out;
}

function incompleteReason(response: Json): string {
  const reason = response.incomplete_details?.reason;
  return typeof reason === "string" && reason.length > 0 ? reason : "incomplete";
}

/** A non-streaming Responses body (an endpoint that ignored `stream: true`). */
export function readResponsesBody(body: Json): StreamPart[] {
  if (body.error && body.object !== "response") return [errorPart(body.error, "the endpoint reported an error")];
  const out: StreamPart[] = [];
  if (typeof body.id === "string" && body.id.length > 0) out.push({ type: "response-id", id: body.id });
  for (const item of Array.isArray(body.output) ? (body.output as Json[]) : []) {
    const parts: Json[] = Array.isArray(item?.content) ? item.content : [];
    if (item?.type === "reasoning") {
      const text = [...parts, ...(Array.isArray(item.summary) ? item.summary : [])].map((p) => (typeof p?.text === "string" ? p.text : "")).join("");
      if (text) out.push({ type: "reasoning", text });
    } else if (item?.type === "message") {
      for (const p of parts) {
        const text = p?.type === "output_text" ? p.text : p?.type === "refusal" ? p.refusal : undefined;
        if (typeof text === "string" && text.length > 0) out.push({ type: "text", text });
      }
    }
  }
  const usage = usageFromResponses(body.usage);
  if (usage) out.push({ type: "usage", usage });
  if (body.status === "failed" || (body.error && typeof body.error === "object")) out.push(errorPart(body.error, "the response failed"));
  else if (body.status === "incomplete") out.push({ type: "finish", reason: incompleteReason(body) });
  else out.push({ type: "finish", reason: typeof body.status === "string" ? body.status : "completed" });
  return out;
}
