/**
 * A whole Response object from what a participant gave of one: the hub's own shape for it
 * (adapters/responses-via-chat/envelope.ts: every field OpenAI sends, request parameters echoed
 * with the API's defaults) with the participant's fields laid over it, so that nothing it said
 * is lost and nothing a client expects is missing. `id`, `object`, `created_at`, `status` and
 * `output` are the repair's own: one response keeps one id and one creation time from
 * `response.created` to its end, and its output is what the client was streamed.
 */
import { isObject, type Json } from "../../json.ts";
import { responseObject } from "../../adapters/responses-via-chat/envelope.ts";

export type Status = "in_progress" | "completed" | "incomplete" | "failed";

export interface Envelope {
  id: string;
  createdAt: number;
  status: Status;
  output: Json[];
  /** For a response that ended: when (seconds), unless the participant said. */
  completedAt?: number;
  error?: { code: string; message: string };
}

const OWN = new Set(["id", "object", "created_at", "status", "output"]);

/** `upstream`: the participant's response object (or {}), `request`: the body the participant was sent. */
export function fullResponse(request: Json, upstream: Json, e: Envelope): Json {
  const out = responseObject(request, { id: e.id, createdAt: e.createdAt, status: e.status, output: e.output, completedAt: e.completedAt });
  // Object key order stays the envelope's; the participant's extra fields (llama.cpp: none) follow.
  // A null from the participant does not erase what the request said (a conformant server
  // sent the conversation instead of the id says `previous_response_id: null`).
  for (const [k, v] of Object.entries(upstream)) if (!OWN.has(k) && v !== undefined && !(v === null && out[k] != null)) out[k] = v;
  if (e.status === "failed") out.error = e.error ?? failureOf(upstream);
  if (e.status === "incomplete" && !(isObject(out.incomplete_details) && typeof out.incomplete_details.reason === "string")) {
    // The API's reasons are max_output_tokens and content_filter; a server that does not say
    // which ran out of tokens far more often than it was filtered.
    out.incomplete_details = { reason: "max_output_tokens" };
  }
  return out;
}

function failureOf(upstream: Json): { code: string; message: string } {
  const err = isObject(upstream.error) ? upstream.error : {};
  return {
    code: typeof err.code === "string" || typeof err.code === "number" ? String(err.code) : "upstream_error",
    message: typeof err.message === "string" ? err.message : "the participant reported a failed response",
  };
}
