/**
 * Anthropic Messages requests served by a participant that speaks Chat Completions.
 * request.ts / content.ts / tools.ts: the request; response.ts: a non-streaming answer;
 * stream.ts and block-stream.ts: a streaming one; the Messages shapes themselves (message,
 * usage, stop reasons, errors) are protocol/anthropic/. The field-by-field table is
 * docs/protocols.md, "Messages".
 */
export { mapRequest, type MapRequestOptions } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper, type StreamOptions } from "./stream.ts";
