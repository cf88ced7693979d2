/**
 * A parsed JSON object whose fields are not trusted yet. Every body the hub reads (a client's
 * request, a participant's answer, one SSE event's data) is one: each field stays `unknown`
 * until the code reading it has checked its type.
 */
export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array): what a protocol body or item must be before its fields are read. */
export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
