/**
 * The wire protocols of inference requests, and their paths under /v1: OpenAI's two, which a
 * participant may speak, and Anthropic's Messages, which clients speak (its shapes and errors
 * are protocol/anthropic/, its translators adapters/messages-via-*). No participant speaks
 * Messages yet (the join probe does not look for it: `Capabilities.messages` is never set), so
 * every Messages request is translated.
 */
export type Protocol = "chat" | "responses" | "messages";

export const PROTOCOL_PATH: Record<Protocol, string> = {
  chat: "/chat/completions",
  responses: "/responses",
  messages: "/messages",
};

export const PROTOCOL_NAME: Record<Protocol, string> = {
  chat: "Chat Completions",
  responses: "Responses API",
  messages: "Messages API",
};

export interface Capabilities {
  responses: boolean;
  chatCompletions: boolean;
  /** Anthropic's Messages API: not probed yet, so never true (see above). */
  messages?: boolean;
}

export function supports(caps: Capabilities, protocol: Protocol): boolean {
  return protocol === "chat" ? caps.chatCompletions : protocol === "responses" ? caps.responses : caps.messages === true;
}
