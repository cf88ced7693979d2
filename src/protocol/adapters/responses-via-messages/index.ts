/**
 * Responses API requests served by a participant that speaks only Anthropic's Messages API, in
 * one step each way: request.ts and conversation.ts the request (the conversation straight to
 * Messages turns; the other fields through responses-via-chat's and chat-via-messages' settings,
 * so each has the fate both give it), response.ts a non-streaming answer, stream.ts a streaming
 * one (into responses-via-chat's Response stream: one grammar for every Responses client the hub
 * answers itself), common.ts what an answer's end and usage say. The hub keeps these turns as it
 * keeps a chat participant's (hub/responses/stored-turn.ts): `mapRequest` takes the stored
 * conversation as `history`, and the stream mapper's `result()` is the Response it stores.
 *
 * Signed thinking: each thinking block becomes a reasoning item with its signature as
 * `encrypted_content` (protocol/anthropic/thinking.ts), and such items, sent back or replayed
 * from the store, become the same blocks again. The field-by-field table is docs/protocols.md,
 * "Responses request → Messages participant".
 */
export { mapRequest } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper } from "./stream.ts";
