/**
 * Which adapter translates a request: none when the participant speaks the client's protocol
 * (the answer passes through), else the folder for that direction, `<client>-via-<upstream>/`.
 * Each folder maps the request, a non-streaming answer and a stream (types.ts has the
 * contract); this is the one place that knows which folders exist.
 *
 * The order, when a participant speaks several protocols but not the client's (passthrough
 * always comes first):
 * - a Chat Completions client: Responses (chat-via-responses), else Messages (chat-via-messages);
 * - a Responses client: chat (responses-via-chat), else Messages (responses-via-messages);
 * - a Messages client: chat (messages-via-chat), else Responses (messages-via-responses).
 * OpenAI's two protocols translate into each other with the least loss. For a Messages client
 * both are one step; chat comes first as the protocol the servers people run implement best
 * (llama.cpp's Responses answers need the repairing pass), though the Responses API carries
 * more of a Messages conversation (PDFs, images in tool results, encrypted reasoning).
 * Each entry names its direction, so the hub can tell a Responses client it must keep state
 * for (`client: "responses"`) from a stateless chat or Messages one.
 */
import type { Json } from "../json.ts";
import type { AdapterContext } from "./types.ts";
import { supports, type Capabilities, type Protocol } from "../protocols.ts";
import * as chatViaResponses from "./chat-via-responses/index.ts";
import * as responsesViaChat from "./responses-via-chat/index.ts";
import * as messagesViaChat from "./messages-via-chat/index.ts";
import * as messagesViaResponses from "./messages-via-responses/index.ts";
import * as chatViaMessages from "./chat-via-messages/index.ts";
import * as responsesViaMessages from "./responses-via-messages/index.ts";

/** A Chat Completions request served by a participant that speaks only the Responses API. */
export const CHAT_VIA_RESPONSES = Object.freeze({
  client: "chat",
  upstream: "responses",
  mapRequest: chatViaResponses.mapRequest,
  mapResponse: chatViaResponses.mapResponse,
  createStreamMapper: chatViaResponses.createStreamMapper,
} as const);

/** A Responses request served by a participant that speaks only Chat Completions. */
export const RESPONSES_VIA_CHAT = Object.freeze({
  client: "responses",
  upstream: "chat",
  mapRequest: responsesViaChat.mapRequest,
  mapResponse: responsesViaChat.mapResponse,
  createStreamMapper: responsesViaChat.createStreamMapper,
} as const);

/** An Anthropic Messages request served by a participant that speaks Chat Completions. */
export const MESSAGES_VIA_CHAT = Object.freeze({
  client: "messages",
  upstream: "chat",
  mapRequest: (body: Json) => messagesViaChat.mapRequest(body),
  mapResponse: messagesViaChat.mapResponse,
  createStreamMapper: messagesViaChat.createStreamMapper,
} as const);

/** An Anthropic Messages request served by a participant that speaks only the Responses API. */
export const MESSAGES_VIA_RESPONSES = Object.freeze({
  client: "messages",
  upstream: "responses",
  mapRequest: messagesViaResponses.mapRequest,
  mapResponse: messagesViaResponses.mapResponse,
  createStreamMapper: messagesViaResponses.createStreamMapper,
} as const);

/** A Chat Completions request served by a participant that speaks only Anthropic's Messages API. */
export const CHAT_VIA_MESSAGES = Object.freeze({
  client: "chat",
  upstream: "messages",
  mapRequest: (body: Json) => chatViaMessages.mapRequest(body),
  mapResponse: chatViaMessages.mapResponse,
  createStreamMapper: chatViaMessages.createStreamMapper,
} as const);

/** A Responses request served by a participant that speaks only Anthropic's Messages API. */
export const RESPONSES_VIA_MESSAGES = Object.freeze({
  client: "responses",
  upstream: "messages",
  mapRequest: responsesViaMessages.mapRequest,
  mapResponse: responsesViaMessages.mapResponse,
  createStreamMapper: responsesViaMessages.createStreamMapper,
} as const);

export type ChatAdapter = typeof CHAT_VIA_RESPONSES | typeof CHAT_VIA_MESSAGES;
/** The adapters of a Responses client, whose turns the hub keeps (hub/responses/stored-turn.ts). */
export type ResponsesAdapter = typeof RESPONSES_VIA_CHAT | typeof RESPONSES_VIA_MESSAGES;
export type MessagesAdapter = typeof MESSAGES_VIA_CHAT | typeof MESSAGES_VIA_RESPONSES;
/** The adapters whose requests the hub keeps nothing of (not a Responses client's). */
export type StatelessAdapter = ChatAdapter | MessagesAdapter;
export type Adapter = StatelessAdapter | ResponsesAdapter;

/** Undefined when the participant speaks `client` itself: its answer is relayed as it is. The order is above. */
export function adapterFor(client: Protocol, participant: Capabilities): Adapter | undefined {
  if (supports(participant, client)) return undefined;
  switch (client) {
    case "chat":
      return participant.responses ? CHAT_VIA_RESPONSES : CHAT_VIA_MESSAGES;
    case "responses":
      return participant.chatCompletions ? RESPONSES_VIA_CHAT : RESPONSES_VIA_MESSAGES;
    case "messages":
      return participant.chatCompletions ? MESSAGES_VIA_CHAT : MESSAGES_VIA_RESPONSES;
    default:
      // Embeddings are never translated (protocols.ts).
      return undefined;
  }
}
