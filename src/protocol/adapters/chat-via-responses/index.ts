/**
 * chat-via-responses: a Chat Completions request served by a participant that only speaks the
 * Responses API. The hub calls `mapRequest` on the client's body, sends the result to the
 * participant's `/v1/responses`, and turns the answer back into Chat Completions with
 * `mapResponse` (non-streaming) or `createStreamMapper` (streaming). Every field's fate is in
 * docs/protocols.md; each file below opens with the fields it handles.
 */
export { mapRequest } from "./request.ts";
export { mapResponse } from "./response.ts";
export { createStreamMapper } from "./stream.ts";
