/**
 * A non-streaming Response object → a `chat.completion`.
 *
 * Mapped: `id` → a fresh `chatcmpl-…` (chat ids are not looked up later); `created_at` →
 * `created`; `model`; `service_tier`; `choices[0].message`:
 * - `content`: the `output_text` parts of all message items, concatenated (null when none);
 * - `refusal`: the `refusal` parts, concatenated (null when none);
 * - `annotations`: `url_citation` annotations, re-nested as chat's `{type, url_citation:{…}}`
 *   with offsets shifted into the concatenated content (other annotation types are dropped);
 * - `tool_calls`: one per `function_call` item (`id` = `call_id`, `type: "function"`,
 *   `function: {name, arguments}`), omitted when none;
 * - `reasoning_content`: `reasoning_text` parts and `summary_text` parts of reasoning items,
 *   in order, joined by a blank line (the streaming mapper emits the same), omitted when none;
 * `finish_reason` (finish-reason.ts), `logprobs: null`, `usage` (usage.ts).
 * Other output items (built-in tool calls) cannot occur: mapRequest sends no built-in tools.
 * A `status: "failed"` response (or a bare `{error}` body) throws a 502 GambiError carrying
 * the upstream's message and code, which the hub renders in OpenAI's error shape.
 */
import { relayedCode } from "../../error-codes.ts";
import { GambiError } from "../../openai/errors.ts";
import { isObject, type Json } from "../../json.ts";
import type { AdapterContext } from "../types.ts";
import { list } from "../../openai/responses-stream-reader.ts";
import { upstreamFailure } from "./errors.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatUsageFromResponses } from "./usage.ts";

/** Reasoning texts of one item in order: its reasoning_text content parts, then its summary parts. */
export function reasoningSegments(item: Json): string[] {
  const out: string[] = [];
  for (const p of list(item.content)) if (p.type === "reasoning_text" && typeof p.text === "string") out.push(p.text);
  for (const p of list(item.summary)) if (typeof p.text === "string") out.push(p.text);
  return out;
}

export function failureError(resp: Json): GambiError {
  const f = upstreamFailure(resp.error, "the participant's response failed");
  return new GambiError(502, f.message, { code: f.code === null ? "upstream_failed" : relayedCode(f.code), type: "upstream_error" });
}

export function mapResponse(resp: Json, request: Json, ctx: AdapterContext): Json {
  if (resp.status === "failed" || (isObject(resp.error) && !Array.isArray(resp.output))) throw failureError(resp);
  let content = "";
  let hasText = false;
  let refusal = "";
  let hasRefusal = false;
  const annotations: Json[] = [];
  const toolCalls: Json[] = [];
  const reasoning: string[] = [];
  for (const item of list(resp.output)) {
    if (item.type === "message") {
      for (const part of list(item.content)) {
        if (part.type === "output_text" && typeof part.text === "string") {
          for (const a of list(part.annotations)) {
            if (a.type !== "url_citation") continue;
            const at = (n: unknown) => (typeof n === "number" ? n + content.length : n);
            annotations.push({ type: "url_citation", url_citation: { start_index: at(a.start_index), end_index: at(a.end_index), title: a.title, url: a.url } });
          }
          content += part.text;
          hasText = true;
        } else if (part.type === "refusal" && typeof part.refusal === "string") {
          refusal += part.refusal;
          hasRefusal = true;
        }
      }
    } else if (item.type === "function_call") {
      toolCalls.push({ id: item.call_id, type: "function", function: { name: item.name, arguments: typeof item.arguments === "string" ? item.arguments : "" } });
    } else if (item.type === "reasoning") {
      reasoning.push(...reasoningSegments(item));
    }
  }
  const message: Json = { role: "assistant", content: hasText ? content : null, refusal: hasRefusal ? refusal : null, annotations };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const reasoningText = reasoning.filter((s) => s !== "").join("\n\n");
  if (reasoningText !== "") message.reasoning_content = reasoningText;

  const incomplete = isObject(resp.incomplete_details) ? resp.incomplete_details.reason : undefined;
  const out: Json = {
    id: `chatcmpl-${ctx.newId()}`,
    object: "chat.completion",
    created: typeof resp.created_at === "number" ? Math.floor(resp.created_at) : Math.floor(ctx.now() / 1000),
    model: typeof resp.model === "string" && resp.model !== "" ? resp.model : request.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReason(resp.status, incomplete, toolCalls.length > 0) }],
  };
  const usage = chatUsageFromResponses(resp.usage);
  if (usage) out.usage = usage;
  if (typeof resp.service_tier === "string") out.service_tier = resp.service_tier;
  return out;
}
