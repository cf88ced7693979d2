/**
 * The wire protocols of inference requests, and their paths under /v1: OpenAI's two, which a
 * participant may speak; Anthropic's Messages, which clients speak (its shapes and errors are
 * protocol/anthropic/, its translators adapters/messages-via-*; no participant speaks Messages
 * yet: the join probe does not look for it, `Capabilities.messages` is never set, so every
 * Messages request is translated); and `embeddings` (`POST /v1/embeddings`), passthrough only:
 * no adapter ever translates it, and it goes only to a participant that declared the model as
 * one of its `embeddingModels`.
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
  /** Anthropic's Messages API: not probed yet, so never true (see above). */
  messages?: boolean;
}

export function supports(caps: Capabilities, protocol: Protocol): boolean {
  if (protocol === "embeddings") return caps.embeddings === true;
  return protocol === "chat" ? caps.chatCompletions : protocol === "responses" ? caps.responses : caps.messages === true;
}
