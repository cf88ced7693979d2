/**
 * The OpenAI wire protocols a participant may speak, and their paths under /v1. Another
 * protocol (Anthropic Messages) would add its name here, its own schemas and errors beside
 * openai/ (protocol/anthropic/), and its translators in adapters/ (adapters/index.ts).
 * `embeddings` (`POST /v1/embeddings`) is passthrough only: no adapter ever translates it, and
 * it goes only to a participant that declared the model as one of its `embeddingModels`.
 */
export type Protocol = "chat" | "responses" | "embeddings";

export const PROTOCOL_PATH: Record<Protocol, string> = {
  chat: "/chat/completions",
  responses: "/responses",
  embeddings: "/embeddings",
};

export const PROTOCOL_NAME: Record<Protocol, string> = {
  chat: "Chat Completions",
  responses: "Responses API",
  embeddings: "Embeddings",
};

export interface Capabilities {
  responses: boolean;
  chatCompletions: boolean;
  /** `POST /v1/embeddings` exists: probed only for a join that declares embedding models (unset otherwise). */
  embeddings?: boolean;
}

export function supports(caps: Capabilities, protocol: Protocol): boolean {
  if (protocol === "embeddings") return caps.embeddings === true;
  return protocol === "chat" ? caps.chatCompletions : caps.responses;
}
