/**
 * chat-via-messages: a Chat Completions request served by a participant that speaks only
 * Anthropic's Messages API. request.ts / content.ts / tools.ts: the request; response.ts: a
 * non-streaming answer; stream.ts and chunks.ts: a streaming one; the Messages shapes it reads
 * (stop reasons, usage, signed thinking) are protocol/anthropic/. The field-by-field table is
 * docs/protocols.md, "Chat Completions request → Messages participant".
 */
export { mapRequest, settingsOf } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper } from "./stream.ts";
