/**
 * Which adapter translates a request: none when the participant speaks the client's protocol
 * (the answer passes through), else the folder for that direction, `<client>-via-<upstream>/`.
 * Each folder maps the request, a non-streaming answer and a stream (types.ts has the
 * contract); this is the one place that knows which folders exist, so another protocol
 * (Anthropic Messages, in protocol/anthropic/) comes with its folders and its entries here:
 * a Messages client goes to a chat participant through messages-via-chat/, to a Responses-only
 * one through messages-via-responses/ (both steps chained through the chat shape).
 * Each entry names its direction, so the hub can tell a Responses client it must keep state
 * for (`client: "responses"`) from a stateless chat one.
 */
import type { Json } from "../json.ts";
import { supports, type Capabilities, type Protocol } from "../protocols.ts";
import * as chatViaResponses from "./chat-via-responses/index.ts";
import * as responsesViaChat from "./responses-via-chat/index.ts";
import * as messagesViaChat from "./messages-via-chat/index.ts";
import * as messagesViaResponses from "./messages-via-responses/index.ts";

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

/** An Anthropic Messages request served by a participant that speaks only the Responses API (through the chat shape). */
export const MESSAGES_VIA_RESPONSES = Object.freeze({
  client: "messages",
  upstream: "responses",
  mapRequest: messagesViaResponses.mapRequest,
  mapResponse: messagesViaResponses.mapResponse,
  createStreamMapper: messagesViaResponses.createStreamMapper,
} as const);

export type ChatViaResponses = typeof CHAT_VIA_RESPONSES;
export type ResponsesViaChat = typeof RESPONSES_VIA_CHAT;
export type MessagesAdapter = typeof MESSAGES_VIA_CHAT | typeof MESSAGES_VIA_RESPONSES;
/** The adapters whose requests the hub keeps nothing of (not a Responses client's). */
export type StatelessAdapter = ChatViaResponses | MessagesAdapter;
export type Adapter = StatelessAdapter | ResponsesViaChat;

/** Undefined when the participant speaks `client` itself: its answer is relayed as it is. */
export function adapterFor(client: Protocol, participant: Capabilities): Adapter | undefined {
  if (supports(participant, client)) return undefined;
  if (client === "messages") return participant.chatCompletions ? MESSAGES_VIA_CHAT : MESSAGES_VIA_RESPONSES;
  return client === "chat" ? CHAT_VIA_RESPONSES : RESPONSES_VIA_CHAT;
}
