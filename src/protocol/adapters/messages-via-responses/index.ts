/**
 * Anthropic Messages requests served by a participant that speaks only the Responses API:
 * through the chat shape, with the two adapters the hub has for it. The request goes
 * Messages → chat (messages-via-chat) → Responses (chat-via-responses); the answer comes back
 * Responses → chat (chat-via-responses) → Messages (messages-via-chat), a stream event by event
 * through both stream mappers (`chained`). So every field has the fate of the two steps, and
 * the only field of its own here is `stop_sequences`: the Responses API has no stop sequences,
 * so a non-empty one is a 400 naming `stop_sequences` (not chat's `stop`, which the client
 * never sent). A 400 of either step names the Responses API as what the participant speaks.
 * Thinking comes back from `reasoning_text` and reasoning summaries (chat's
 * `reasoning_content` in between); usage from the Response's (cached tokens included).
 * The cost: each event is decoded twice, which a Responses participant's stream can afford
 * (bench/README.md measures the chat path). The two stream mappers are chained by ../chain.ts.
 */
import type { Json } from "../../json.ts";
import type { AdapterContext, StreamMapper } from "../types.ts";
import { chained } from "../chain.ts";
import * as chatViaResponses from "../chat-via-responses/index.ts";
import * as messagesViaChat from "../messages-via-chat/index.ts";
import { unsupported } from "../messages-via-chat/common.ts";

export function mapRequest(body: Json): Json {
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) throw unsupported("stop_sequences", "stop sequences (the Responses API has none)", "Responses API");
  return chatViaResponses.mapRequest(messagesViaChat.mapRequest(body, { speaks: "Responses API" }));
}

/** What the chat-via-responses step reads of its request: the model, and that usage is wanted. */
function chatRequest(request: Json): Json {
  return { model: request.model, stream: request.stream === true, stream_options: { include_usage: true } };
}

export function mapResponse(response: Json, request: Json, ctx: AdapterContext): Json {
  return messagesViaChat.mapResponse(chatViaResponses.mapResponse(response, chatRequest(request), ctx), request, ctx);
}

export function createStreamMapper(request: Json, ctx: AdapterContext): StreamMapper {
  return chained(chatViaResponses.createStreamMapper(chatRequest(request), ctx), messagesViaChat.createStreamMapper(request, ctx));
}
