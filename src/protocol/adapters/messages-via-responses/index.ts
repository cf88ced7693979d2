/**
 * Anthropic Messages requests served by a participant that speaks only the Responses API, in one
 * step each way: request.ts and conversation.ts the request (the conversation straight to
 * Responses items, read by ../messages-input.ts as for a chat participant; the other fields
 * through messages-via-chat's and chat-via-responses' settings, so each has the fate both give
 * it), response.ts a non-streaming answer, stream.ts a streaming one (read by
 * protocol/openai/responses-stream-reader.ts as for a chat client, written by messages-via-chat's
 * block writer: one Messages grammar for every Messages client the hub answers itself).
 *
 * Encrypted reasoning: each reasoning item becomes a thinking block whose signature carries its
 * `encrypted_content` for the participant and model that wrote it (protocol/anthropic/thinking.ts), and such
 * blocks, sent back, become the same reasoning items again, where they were. The field-by-field
 * table is docs/protocols.md, "Messages request → Chat Completions or Responses participant".
 */
export { mapRequest } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper } from "./stream.ts";
