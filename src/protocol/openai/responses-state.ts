/**
 * Does a Responses server keep conversations itself? Read off its answers, never by making it
 * generate: the join probe's answer (`classifyStateProbe`), the answer to `GET
 * /v1/responses/{id}` for an id it produced (`classifyStoredLookup`), and a rejection of
 * `previous_response_id` or `store` before the first byte (`stateRejection`). The hub keeps the
 * conversation itself for every participant not known to keep it (hub/responses/kept-turn.ts).
 *
 * What servers answer (docs/protocols.md has the table):
 * - llama.cpp (b11669, seen here): 400 "llama.cpp does not support 'previous_response_id'." for
 *   any request with a non-empty `previous_response_id` and an `input` (checked right after
 *   `input`'s presence, before the items); `GET /v1/responses/{id}` → 404 "File Not Found".
 *   ik_llama.cpp says the same with its own name.
 * - OpenAI: 400 `previous_response_not_found` "Previous response with id '…' not found.".
 * - vLLM: 404 "Response with id '…' not found." — also when it keeps nothing (its default,
 *   without VLLM_ENABLE_RESPONSES_API_STORE=1): "not found" is not proof of a store, so it
 *   leaves the state unknown. Some versions refuse the default `store: true` (400, param
 *   `store`, "`store=True` (default) is not supported. …").
 * - Ollama: no `previous_response_id` field at all; it is ignored and the answer generated
 *   without the conversation (ollama/ollama openai/responses.go). Only a lookup of a real id
 *   tells that apart, so an ambiguous probe never counts as "keeps state".
 */
import { isObject, type Json } from "../json.ts";

export type ResponsesState = "unknown" | "stateful" | "stateless";

/** A made-up id no server has: a server that looks it up says "not found", one that cannot continue says so. */
export const STATE_PROBE_ID = "resp_gambi_state_probe";

/**
 * The join probe's body. `input` is there because llama.cpp checks for it first; its one item
 * has a type no server knows and there is no `model`, so a server that ignores
 * `previous_response_id` rejects the request instead of generating (an empty `input: []`
 * made llama.cpp generate; `max_output_tokens: 0` did not stop it either).
 */
export const STATE_PROBE_BODY = JSON.stringify({ previous_response_id: STATE_PROBE_ID, input: [{ type: "gambi_state_probe" }] });

export interface UpstreamErrorInfo {
  message: string;
  code?: string;
  param?: string;
}

/** `{"error":{message,code,param}}`, `{"error":"…"}`, `{"message":"…"}` or plain text. */
export function readUpstreamError(text: string): UpstreamErrorInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    return trimmed ? { message: trimmed.slice(0, 500) } : undefined;
  }
  if (!isObject(parsed)) return undefined;
  const err = parsed.error;
  if (typeof err === "string") return { message: err };
  const e: Json = isObject(err) ? err : parsed;
  if (typeof e.message !== "string") return undefined;
  return { message: e.message, code: typeof e.code === "string" ? e.code : undefined, param: typeof e.param === "string" ? e.param : undefined };
}

const UNSUPPORTED = /does ?n[o']t support|not (be )?supported|unsupported|not implemented|not allowed|not available/i;
const NAMES_PREVIOUS = /previous_response_id/i;
/** `store` as a word of its own (`store=True`, 'store'), not part of `vector_store` or `restore`. */
const NAMES_STORE = /(^|[^\w])store([^\w]|$)/i;

const refused = (status: number) => (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status)) || status === 501;

/**
 * The join probe's answer (STATE_PROBE_BODY): `stateless` when the server says it cannot
 * continue a conversation (llama.cpp); `stateful` only on OpenAI's own code for an unknown
 * previous response (OpenAI, Azure, LM Studio look it up in their store); anything else —
 * a validation error, vLLM's "not found", a 200 — is `unknown`.
 */
export function classifyStateProbe(status: number, text: string): ResponsesState {
  if (!refused(status)) return "unknown";
  const e = readUpstreamError(text);
  if (!e) return "unknown";
  if ((NAMES_PREVIOUS.test(e.message) || e.param === "previous_response_id") && UNSUPPORTED.test(e.message)) return "stateless";
  if (e.code === "previous_response_not_found") return "stateful";
  return "unknown";
}

/**
 * `GET /v1/responses/{id}` for an id the server itself answered with: the response back (200,
 * same id) means it keeps them; a 4xx means it does not (llama.cpp and Ollama have no such route,
 * vLLM without its store says "not found"); a 5xx, a refused key or a network error tells nothing.
 */
export function classifyStoredLookup(status: number, text: string, id: string): ResponsesState {
  if (status === 200) {
    try {
      const body: unknown = JSON.parse(text);
      return isObject(body) && body.id === id ? "stateful" : "stateless";
    } catch {
      return "stateless";
    }
  }
  return refused(status) ? "stateless" : "unknown";
}

/**
 * Why an upstream refused a request before its first byte, if it was the conversation state:
 * - `unsupported`: it cannot continue conversations (`previous_response_id` named with "not
 *   supported", llama.cpp) — it keeps no state;
 * - `store`: it refuses to store (`store` named with "not supported", vLLM);
 * - `not_found`: it does not have the previous response (its message names the id, or
 *   `previous_response_id`) — lost, not necessarily never kept.
 * `previousId` is the id the request carried upstream (none: only `store` can be the cause).
 */
export type StateRejection = "unsupported" | "store" | "not_found";

/** What of the conversation state a Responses body carries upstream: its `previous_response_id`, and whether `store` is on (the default). */
export interface SentState {
  previousId?: string;
  store: boolean;
}

export const sentState = (body: Json): SentState => ({
  previousId: typeof body.previous_response_id === "string" ? body.previous_response_id : undefined,
  store: body.store !== false,
});

export function stateRejection(status: number, message: string | undefined, sent: SentState): StateRejection | undefined {
  if (!refused(status) || !message) return undefined;
  if (sent.previousId !== undefined && (NAMES_PREVIOUS.test(message) || message.includes(sent.previousId))) {
    return UNSUPPORTED.test(message) ? "unsupported" : "not_found";
  }
  if (sent.store && NAMES_STORE.test(message) && UNSUPPORTED.test(message)) return "store";
  return undefined;
}
