/**
 * Responses API requests served by a participant that speaks only Anthropic's Messages API:
 * through the chat shape, with the two adapters the hub has for it, as messages-via-responses
 * goes the other way. The request goes Responses → chat (responses-via-chat, with the
 * conversation the hub keeps as `history`) → Messages (chat-via-messages); the answer comes back
 * Messages → chat (chat-via-messages) → Responses (responses-via-chat), a stream event by event
 * through both stream mappers (../chain.ts), whose second keeps the final Response for the
 * hub's store (`result()`), as for a chat-only participant (hub/responses/stored-turn.ts).
 *
 * So every field has the fate of the two steps, and a 400 of either names the Messages API as
 * what the participant speaks. What is this direction's own:
 * - signed thinking: a thinking block becomes a reasoning item with its text and its signature
 *   as `encrypted_content` (a redacted block, an item with its data and no text), and such
 *   items, sent back as input or replayed from the hub's store for `previous_response_id`, go
 *   back as the same blocks (protocol/anthropic/thinking.ts; the chat step carries them as
 *   `reasoning_details`). Other reasoning items are dropped, as for a chat participant;
 * - fields chat-via-messages would refuse under their chat names are refused under the names
 *   the client used: `top_logprobs` (> 0) and `include: ["message.output_text.logprobs"]`, and a
 *   `text.format` of type `json_object`.
 * The cost: each event is decoded twice, as for messages-via-responses.
 */
import { isObject, type Json } from "../../json.ts";
import type { AdapterContext } from "../types.ts";
import { chained } from "../chain.ts";
import { unsupported } from "../rejections.ts";
import * as responsesViaChat from "../responses-via-chat/index.ts";
import * as chatViaMessages from "../chat-via-messages/index.ts";
import type { ResponsesStreamMapper } from "../responses-via-chat/index.ts";

const SPEAKS = "Messages API";

export function mapRequest(body: Json, opts: { history?: Json[] } = {}): Json {
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) throw unsupported("top_logprobs", "token log probabilities", SPEAKS);
  if (Array.isArray(body.include) && body.include.includes("message.output_text.logprobs")) throw unsupported("include", "token log probabilities (message.output_text.logprobs)", SPEAKS);
  if (isObject(body.text) && isObject(body.text.format) && body.text.format.type === "json_object") {
    throw unsupported("text.format.type", "JSON output without a schema (json_object; give a json_schema instead)", SPEAKS);
  }
  const chat = responsesViaChat.mapRequest(body, { history: opts.history, reasoningDetails: true, speaks: SPEAKS });
  return chatViaMessages.mapRequest(chat);
}

/** What the chat-via-messages step reads of its request: the model, and that usage is wanted. */
function chatRequest(request: Json): Json {
  return { model: request.model, stream: request.stream === true, stream_options: { include_usage: true } };
}

export function mapResponse(response: Json, request: Json, ctx: AdapterContext, opts: { responseId: string }): Json {
  const chat = chatViaMessages.mapResponse(response, chatRequest(request), ctx, { reasoningDetails: true });
  return responsesViaChat.mapResponse(chat, request, ctx, { responseId: opts.responseId, reasoningDetails: true });
}

export function createStreamMapper(request: Json, ctx: AdapterContext, opts: { responseId: string }): ResponsesStreamMapper {
  return chained(
    chatViaMessages.createStreamMapper(chatRequest(request), ctx, { reasoningDetails: true }),
    responsesViaChat.createStreamMapper(request, ctx, { responseId: opts.responseId, reasoningDetails: true }),
  );
}
