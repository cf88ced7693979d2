/**
 * A non-streaming Response → a Messages `message` (protocol/anthropic/message.ts has the shape),
 * block for block as the stream mapper (stream.ts) builds the same answer, in the items' order:
 * - a `message` item's `output_text` and `refusal` parts → text, in one `text` block while
 *   nothing else comes between (a refusal sets the stop reason `refusal`); no block for empty
 *   text;
 * - a `reasoning` item → a `thinking` block of its own: its `reasoning_text` parts and summary
 *   parts joined with a blank line; `signature` its `encrypted_content` carried for this
 *   participant's model (`responses.reasoning:<participant>:<model>:…`, protocol/anthropic/thinking.ts), `""` when it has none (a
 *   signature is never invented); no block for an item with neither text nor encrypted content;
 * - a `function_call` item → a `tool_use` block (`id` its `call_id`, or `toolu_<random>`;
 *   `input` the parsed `arguments`, empty → `{}`; arguments that are no JSON object are a 502
 *   `upstream_invalid_response` naming the tool);
 * - other items (built-in tool calls: never asked for), annotations: skipped.
 * The stop reason from the status (chat-via-responses/finish-reason.ts, then
 * anthropic/message.ts): `incomplete` → `max_tokens` (`content_filter` → `refusal`), else
 * `tool_use` with calls, `refusal` after a refusal, `end_turn`; usage: `input_tokens` less the
 * cached ones, `cache_read_input_tokens` the cached ones, `output_tokens`; zeros when none.
 * `status: "failed"` (or an error body) → a 502 with the participant's message and code.
 */
import { isObject, type Json } from "../../json.ts";
import { stopReasonOf } from "../../anthropic/message.ts";
import { signatureOfReasoning } from "../../anthropic/thinking.ts";
import { list } from "../../openai/responses-stream-reader.ts";
import type { AdapterContext } from "../types.ts";
import { failureError, reasoningSegments } from "../chat-via-responses/response.ts";
import { chatFinishReason } from "../chat-via-responses/finish-reason.ts";
import { chatUsageFromResponses } from "../chat-via-responses/usage.ts";
import { answerMessage, toolUseId, toolUseInput } from "../messages-via-chat/response.ts";

export function mapResponse(resp: Json, request: Json, ctx: AdapterContext): Json {
  if (resp.status === "failed" || (isObject(resp.error) && !Array.isArray(resp.output))) throw failureError(resp);
  const content: Json[] = [];
  let text: Json | undefined; // the text block text goes to, while nothing else came after it
  let refusal = false;
  let calls = 0;
  const say = (t: unknown) => {
    if (typeof t !== "string" || t === "") return;
    if (text) text.text += t;
    else content.push((text = { type: "text", text: t }));
  };
  for (const item of list(resp.output)) {
    if (item.type === "message") {
      for (const part of list(item.content)) {
        if (part.type === "output_text") say(part.text);
        else if (part.type === "refusal" && typeof part.refusal === "string" && part.refusal !== "") {
          refusal = true;
          say(part.refusal);
        }
      }
    } else if (item.type === "reasoning") {
      const thinking = reasoningSegments(item).filter((s) => s !== "").join("\n\n");
      const encrypted = typeof item.encrypted_content === "string" && item.encrypted_content !== "" ? item.encrypted_content : undefined;
      if (thinking === "" && encrypted === undefined) continue;
      content.push({ type: "thinking", thinking, signature: encrypted === undefined ? "" : signatureOfReasoning({ model: request.model, participant: ctx.participant }, encrypted) });
      text = undefined;
    } else if (item.type === "function_call") {
      calls++;
      const name = typeof item.name === "string" ? item.name : "";
      const id = typeof item.call_id === "string" && item.call_id !== "" ? item.call_id : toolUseId(ctx);
      content.push({ type: "tool_use", id, name, input: toolUseInput(typeof item.arguments === "string" ? item.arguments : "", name) });
      text = undefined;
    }
  }
  const incomplete = isObject(resp.incomplete_details) ? resp.incomplete_details.reason : undefined;
  const end = stopReasonOf(chatFinishReason(resp.status, incomplete, calls > 0), { toolUse: calls > 0, refusal }, request.stop_sequences);
  return answerMessage(request, ctx, content, end, chatUsageFromResponses(resp.usage));
}
