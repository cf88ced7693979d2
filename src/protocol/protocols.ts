/**
 * The wire protocols of inference requests, and their paths under /v1: OpenAI's two and
 * Anthropic's Messages, which clients and participants may each speak (the join probe learns
 * which a participant speaks, proxy/probe.ts; Messages' shapes and errors are
 * protocol/anthropic/, its translators adapters/messages-via-* and adapters/*-via-messages);
 * and `embeddings` (`POST /v1/embeddings`), passthrough only: no adapter ever translates it,
 * and it goes only to a participant that declared the model as one of its `embeddingModels`.
 */
export type Protocol = "chat" | "responses" | "messages" | "embeddings";

export const PROTOCOL_PATH: Record<Protocol, string> = {
  chat: "/chat/completions",
  responses: "/responses",
  messages: "/messages",
  embeddings: "/embeddings",
};

export const PROTOCOL_NAME: Record<Protocol, string> = {
  chat: "Chat Completions",
  responses: "Responses API",
  messages: "Messages API",
  embeddings: "Embeddings",
};

export interface Capabilities {
  responses: boolean;
  chatCompletions: boolean;
  /** `POST /v1/embeddings` exists: probed only for a join that declares embedding models (unset otherwise). */
  embeddings?: boolean;
  /** Anthropic's Messages API (`POST /v1/messages`): probed at every join; unset in listings from before it was. */
  messages?: boolean;
}

export function supports(caps: Capabilities, protocol: Protocol): boolean {
  if (protocol === "embeddings") return caps.embeddings === true;
  return protocol === "chat" ? caps.chatCompletions : protocol === "responses" ? caps.responses : caps.messages === true;
}

/** Whether a participant speaks any protocol a chat model is asked in (chat, Responses, Messages). */
export function servesInference(caps: Capabilities): boolean {
  return caps.chatCompletions || caps.responses || caps.messages === true;
}
