/** The two OpenAI wire protocols a participant may speak, and their paths under /v1. */
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
