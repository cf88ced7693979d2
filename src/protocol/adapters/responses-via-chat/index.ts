/**
 * Responses API requests served by a participant that only speaks Chat Completions.
 * request.ts / items.ts: the request; response.ts: a non-streaming answer; stream.ts and
 * output-stream.ts: a streaming one; usage.ts, envelope.ts: shared shapes. The field-by-field
 * table (mapped / emulated / ignored / rejected) is docs/protocols.md.
 */
export { mapRequest, chatSettingsOf, type MapRequestOptions } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper, type ResponsesStreamMapper } from "./stream.ts";
export { responsesUsageFromChat } from "./usage.ts";
