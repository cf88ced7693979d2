/**
 * The two OpenAI wire protocols a participant may speak, and their paths under /v1. Another
 * protocol (Anthropic Messages) would add its name here, its own schemas and errors beside
 * openai/ (protocol/anthropic/), and its translators in adapters/ (adapters/index.ts).
 */
export type Protocol = "chat" | "responses";

export const PROTOCOL_PATH: Record<Protocol, string> = {
  chat: "/chat/completions",
  responses: "/responses",
};

export const PROTOCOL_NAME: Record<Protocol, string> = {
  chat: "Chat Completions",
  responses: "Responses API",
};

export interface Capabilities {
  responses: boolean;
  chatCompletions: boolean;
}

export function supports(caps: Capabilities, protocol: Protocol): boolean {
  return protocol === "chat" ? caps.chatCompletions : caps.responses;
}
