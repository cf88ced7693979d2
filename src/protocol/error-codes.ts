/**
 * Every error code gambi has, with its HTTP status and what it means: the `code` of the
 * OpenAI error envelope (`{"error":{"message","type","code","param"}}`) the hub answers with,
 * of the error events that end a stream it had started with HTTP 200, and of the few failures
 * the gambi CLI reports itself (group `client`). The codes are public API: scripts and the
 * client side compare them, so a value here never changes.
 *
 * `ErrorCode` is a key of ERROR_CODES, so a misspelt code does not compile where the hub sets
 * one (GambiError, badRequest, notFound, the stream failures) nor where a client compares one
 * (`hasCode`). A provider's own code, passed on unchanged, is a `RelayedCode`: any string,
 * marked with `relayedCode()` where it enters, so the two cannot be mixed up by accident.
 * README.md's "Error codes" tables are rendered from here (scripts/error-codes-table.ts), and
 * test/unit/error-codes.test.ts checks that src/ sets no code missing here, uses every code
 * listed, and with the statuses listed.
 */

export type ErrorGroup = "request" | "access" | "participants" | "conversations" | "upstream" | "lifecycle" | "client";

export const ERROR_GROUPS: Record<ErrorGroup, string> = {
  request: "Request and validation",
  access: "Rooms and access",
  participants: "Participants and routing",
  conversations: "Responses the hub keeps or routes (`previous_response_id`, `/v1/responses/:id`)",
  upstream: "Upstream and relay (the participant's endpoint)",
  lifecycle: "Hub lifecycle",
  client: "Reported by the gambi CLI itself (never sent by a hub)",
};

export interface ErrorCodeInfo {
  readonly group: ErrorGroup;
  /** The HTTP statuses it comes with; none when it only ends a stream (or fills a stored response). */
  readonly statuses: readonly number[];
  /** Also the code of the error event that ends a stream already under way (HTTP 200). */
  readonly inStream?: true;
  /** What happened, and what the caller should do about it. */
  readonly meaning: string;
}

export const ERROR_CODES = {
  // — request and validation —
  invalid_request: {
    group: "request",
    statuses: [400],
    meaning: "A field, query parameter or the body's shape is invalid (`param` names it when known); fix it and send again.",
  },
  invalid_json: { group: "request", statuses: [400], meaning: "The body is not JSON; send valid JSON with `Content-Type: application/json`." },
  invalid_encoding: { group: "request", statuses: [400], meaning: "The body is not valid UTF-8; send it UTF-8 encoded." },
  request_too_large: { group: "request", statuses: [413], meaning: "The body is larger than this hub accepts (the message says how large); send less." },
  request_timeout: {
    group: "request",
    statuses: [408],
    meaning: "A chunked request body (or one over about 3.5 MiB) stopped arriving: nothing came for 30 s (the message says how long) and the hub closed the connection; send the whole body again. (A smaller body with a declared length that stops arriving has its connection closed with no answer.)",
  },
  websocket_required: { group: "request", statuses: [426, 400], meaning: "`GET /rooms/:code/tunnel` is a WebSocket: only an upgrade request opens it (`gambi join --tunnel` does)." },
  route_not_found: { group: "request", statuses: [404], meaning: "The hub has no such route; check the method and the path (inference is under `/rooms/:code/v1`)." },
  unsupported_parameter: {
    group: "request",
    statuses: [400],
    meaning: "The serving participant speaks the other protocol and this field (`param`) cannot be translated; drop it, or ask for a participant that speaks your protocol.",
  },

  // — rooms and access —
  room_not_found: {
    group: "access",
    statuses: [404],
    inStream: true,
    meaning: "No room has this code (never created, deleted, or expired; in a stream: deleted while the request waited for a participant); check the code (`GET /rooms` lists them).",
  },
  room_not_saved: { group: "access", statuses: [503], meaning: "The hub could not write the new room to its data file, so it was not created; try again (the hub's log says why)." },
  invalid_password: {
    group: "access",
    statuses: [400, 401],
    meaning: "Creating a room: its password breaks the rules (printable ASCII, no outer spaces) → 400; joining: the body's `password` is wrong → 401.",
  },
  password_required: { group: "access", statuses: [401], meaning: "Joining a password-protected room needs `password` in the join body." },
  room_password_required: {
    group: "access",
    statuses: [401],
    meaning: "The room is password-protected: send `Authorization: Bearer <room password>` (OpenAI SDKs: `apiKey`).",
  },
  invalid_room_password: { group: "access", statuses: [401], meaning: "The bearer token is not the room's password; send the right one." },
  hub_token_required: { group: "access", statuses: [401], meaning: "This hub needs its token to create or list rooms: send `Authorization: Bearer <hub token>`." },
  invalid_hub_token: { group: "access", statuses: [401], meaning: "The bearer token is not the hub's token." },
  metrics_token_required: {
    group: "access",
    statuses: [401],
    meaning: "`GET /metrics` on a hub with a token (or a `--metrics-token`) needs it: send `Authorization: Bearer <token>`.",
  },
  invalid_metrics_token: { group: "access", statuses: [401], meaning: "The bearer token is neither the hub's `--metrics-token` nor its hub token." },
  room_owner_required: { group: "access", statuses: [401], meaning: "Deleting a room needs its `hostId` (or the hub token) as the bearer token." },
  invalid_room_owner: { group: "access", statuses: [401], meaning: "The bearer token is neither the room's `hostId` nor the hub token." },
  participant_token_required: {
    group: "access",
    statuses: [401],
    meaning: "A heartbeat or a leave needs the `participantToken` its join returned, as the bearer token.",
  },
  invalid_participant_token: { group: "access", statuses: [401], meaning: "The bearer token is not this participant's token." },
  too_many_failed_attempts: {
    group: "access",
    statuses: [429],
    meaning: "Too many wrong passwords or tokens from this address; wait the `Retry-After` seconds.",
  },

  // — participants and routing —
  participant_not_found: { group: "participants", statuses: [404], meaning: "No participant with this id in the room (it left, or the hub restarted); join again." },
  participant_not_tunnelled: {
    group: "participants",
    statuses: [409],
    meaning: "A tunnel was opened for a participant that joined for direct connections; join again with `\"transport\": \"tunnel\"` (`gambi join --tunnel`).",
  },
  tunnel_version_unsupported: {
    group: "participants",
    statuses: [400],
    meaning: "The joiner and the hub speak different major versions of the tunnel's wire format (docs/tunnel.md); the message says which side to upgrade.",
  },
  tunnel_protocol_error: {
    group: "participants",
    statuses: [400],
    meaning: "A tunnel peer sent something that is not a frame, a frame out of order or too large, or more than its credit; the socket is closed with the reason (docs/tunnel.md).",
  },
  participant_id_taken: {
    group: "participants",
    statuses: [409],
    meaning: "The id belongs to a participant already in the room; re-join with its `participantToken` as the bearer token, or join without `id`.",
  },
  model_not_found: {
    group: "participants",
    statuses: [404, 400],
    meaning: "Inference: no participant or model matches `model` → 404 (`*` is any participant); joining: the endpoint does not list the model (or one of `models`, all named) → 400 (check the name, or set `allowUnlistedModel`).",
  },
  model_not_embedding: {
    group: "participants",
    statuses: [400],
    meaning: "`POST /v1/embeddings` for a model (or participant) that no participant declared as an embedding model: the message names the models that can embed; use one of them (`*`: any participant that embeds).",
  },
  no_participant_available: {
    group: "participants",
    statuses: [503],
    inStream: true,
    meaning: "Something in the room matches the request, but nobody online can serve it (or every one that could left while it waited); try again when a participant is back.",
  },
  room_busy: {
    group: "participants",
    statuses: [429],
    inStream: true,
    meaning: "Every participant that can serve the request is busy and the room's queue is full (or they are all rate-limited for longer than it waits); the message says how many serve it and how many wait; retry after `Retry-After` seconds.",
  },
  queue_timeout: {
    group: "participants",
    statuses: [503],
    inStream: true,
    meaning: "The request waited the room's queue timeout (`gambi hub --queue-timeout`) and no participant that can serve it came free; the message says how many serve it and how many wait; retry after `Retry-After` seconds.",
  },
  invalid_endpoint: {
    group: "participants",
    statuses: [400],
    meaning: "The join's `endpoint` is not an http(s) URL, or embeds credentials; fix it (keys go in `authHeaders`).",
  },
  invalid_header: {
    group: "participants",
    statuses: [400],
    meaning: "An `authHeaders` entry has an invalid name, a CR/LF/NUL in its value, or is a transport header; fix that entry.",
  },
  endpoint_credentials_rejected: {
    group: "participants",
    statuses: [400],
    meaning: "Joining: the endpoint answered the hub's probe with 401/403; check the key and the header name in `authHeaders`.",
  },
  endpoint_unreachable: {
    group: "participants",
    statuses: [502],
    meaning: "Joining: the hub could not reach the endpoint at all; give an address the hub can reach (your localhost is not the hub's).",
  },
  endpoint_not_openai_compatible: {
    group: "participants",
    statuses: [400],
    meaning: "Joining: the endpoint serves neither `/v1/responses` nor `/v1/chat/completions` (nor `/v1/embeddings`, for a join with only embedding models); give its OpenAI-compatible base URL.",
  },
  endpoint_no_embeddings: {
    group: "participants",
    statuses: [400],
    meaning: "Joining with `embeddingModels`: the endpoint has no `/v1/embeddings` (llama.cpp's server needs `--embeddings`); join without them, or serve embeddings there.",
  },

  // — responses the hub keeps or routes —
  previous_response_not_found: {
    group: "conversations",
    statuses: [404],
    meaning: "`previous_response_id` is unknown, expired from the hub's memory, or its participant left; send the conversation itself instead.",
  },
  response_not_found: { group: "conversations", statuses: [404], meaning: "No response with this id in the room (unknown, or older than the hub remembers)." },
  response_owner_gone: { group: "conversations", statuses: [404], meaning: "The participant that created this response has left the room; the response cannot be reached." },
  response_not_in_progress: { group: "conversations", statuses: [400], meaning: "Only a response still in progress can be cancelled; this one has ended." },
  item_not_found: {
    group: "conversations",
    statuses: [404],
    meaning: "An `item_reference` names no item of any response the hub keeps for the room; send the item itself.",
  },
  response_cancelled: {
    group: "conversations",
    statuses: [],
    inStream: true,
    meaning: "The response was cancelled (`POST …/cancel`) while it streamed; its stream ends with this error.",
  },

  // — upstream and relay —
  participant_unreachable: {
    group: "upstream",
    statuses: [502],
    inStream: true,
    meaning: "The hub could not connect to the chosen participant's endpoint, and no other could take the request; try again (repeated faults mark a participant unhealthy, and others are picked first).",
  },
  upstream_timeout: {
    group: "upstream",
    statuses: [504],
    inStream: true,
    meaning: "The participant passed a deadline (connect, first byte, or idle mid-answer); the message names the `gambi hub` flag that sets it.",
  },
  upstream_disconnected: {
    group: "upstream",
    statuses: [502],
    inStream: true,
    meaning: "The participant's connection broke before or during its answer; try again.",
  },
  upstream_truncated: {
    group: "upstream",
    statuses: [],
    inStream: true,
    meaning: "The participant's stream ended in the middle of an event, or (chat client, Responses participant) before the response completed; the answer may be partial.",
  },
  upstream_incomplete: {
    group: "upstream",
    statuses: [],
    inStream: true,
    meaning:
      "(Responses client) the participant's stream ended before its answer was finished: a chat participant's with neither a `finish_reason` nor `[DONE]`, a repaired Responses participant's (docs/protocols.md) with no terminal event; the answer may be partial.",
  },
  upstream_invalid_chunk: {
    group: "upstream",
    statuses: [],
    inStream: true,
    meaning: "(Responses client, chat participant or a repaired Responses participant) the participant sent a stream event that is not a JSON object; the response failed.",
  },
  upstream_protocol_error: {
    group: "upstream",
    statuses: [],
    inStream: true,
    meaning: "(Responses client, chat participant) the participant's stream cannot be expressed as a Responses stream (a tool-call fragment after its call closed); the response failed.",
  },
  upstream_invalid_response: {
    group: "upstream",
    statuses: [502],
    meaning: "The participant's answer is not JSON, or holds no answer (no choice 0); try again or another participant.",
  },
  upstream_failed: {
    group: "upstream",
    statuses: [502],
    meaning: "(chat client, Responses participant) the participant reported a failed response with no code of its own (with one, its code is passed on).",
  },
  upstream_error: {
    group: "upstream",
    statuses: [502],
    inStream: true,
    meaning: "The participant's stream carried an error with no code of its own (with one, its code is passed on): in the stream (Responses client, chat participant), or a 502 when it was the stream's first event and no other participant could take the request.",
  },
  server_error: {
    group: "upstream",
    statuses: [],
    inStream: true,
    meaning: "(Responses client, chat participant) the response stopped without completing: the stored response's `error.code` (OpenAI's code for it), and a stream failure given no code.",
  },

  // — hub lifecycle —
  hub_shutting_down: {
    group: "lifecycle",
    statuses: [503],
    inStream: true,
    meaning: "The hub is stopping: the request came while it drains, or was still running when its grace period ended; try again in a moment.",
  },
  internal_error: { group: "lifecycle", statuses: [500], meaning: "A fault in the hub itself; its log has the details (please report it)." },

  // — the gambi CLI's own —
  hub_unreachable: { group: "client", statuses: [], meaning: "No answer from the hub (refused, DNS, TLS), or the URL answers but not as a gambi hub (another server's port); check `--hub` and `--ca`. Exit code 3." },
  hub_disconnected: { group: "client", statuses: [], meaning: "`gambi chat`: the connection to the hub broke off mid-answer. Exit code 3." },
  stream_truncated: { group: "client", statuses: [], meaning: "`gambi chat`: the hub's stream ended before the response was complete. Exit code 3." },
  bad_body: { group: "client", statuses: [], meaning: "`gambi chat`: the hub answered with a body that is not JSON. Exit code 1." },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one family of codes made from a number: an upstream HTTP error whose body is not in
 * OpenAI's envelope is wrapped in one with `upstream_<its status>` (an enveloped body is passed
 * on as it is, the provider's own code included).
 */
export type UpstreamStatusCode = `upstream_${number}`;
export const upstreamStatusCode = (status: number): UpstreamStatusCode => `upstream_${status}`;
export const UPSTREAM_STATUS_FAMILY = {
  code: "upstream_<status>",
  group: "upstream",
  meaning: "The participant answered with this HTTP error and a body not in OpenAI's envelope; the hub wrapped it (the message quotes the body). Also the code of the error event of a stream the hub answered while it waited in the queue.",
} as const;

declare const relayed: unique symbol;
/** A provider's own error code, passed on unchanged: any string, but never one of ours by accident. */
export type RelayedCode = string & { readonly [relayed]: true };
export const relayedCode = (code: string | number): RelayedCode => String(code) as RelayedCode;

/** What an envelope's `code` can hold when the hub sends it: one of its own, or a provider's. */
export type EnvelopeCode = ErrorCode | RelayedCode;

/** Whether an error (a GambiError, the client's HubError, a stream's error) carries `code`. */
export function hasCode(err: { readonly code?: unknown } | null | undefined, code: ErrorCode): boolean {
  return err?.code === code;
}
