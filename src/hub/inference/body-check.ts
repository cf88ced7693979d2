/**
 * What the hub reads of an inference body, checked by hand: `model` (1–321 characters),
 * `stream` (a boolean when present), for Chat Completions and Messages `messages` (an array),
 * for Messages `max_tokens` (a number: the API requires it), and for embeddings `input` (a
 * string or a non-empty array: of strings, or of token ids, or of arrays of them; their items
 * are the participant's to judge). Every other field goes to the participant untouched (an
 * embeddings `encoding_format`, `dimensions` and `user` too), or to the adapter that maps it. The messages are the ones Elysia's TypeBox
 * validation gave these routes before they moved out of Elysia (lane.ts), so clients see the
 * same 400s: `invalid body: "<field>": <what>` in OpenAI's envelope, code `invalid_request`.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import type { Protocol } from "../../protocol/protocols.ts";
import type { InferenceBody } from "./dispatch.ts";

/** A model name (up to 256 at join) behind a participant id (up to 64) and a slash: every id GET /v1/models lists. */
const MODEL_MAX = 64 + 1 + 256;

const invalid = (field: string | undefined, what: string) =>
  new GambiError(400, field ? `invalid body: "${field}": ${what}` : `invalid body: ${what}`, { code: "invalid_request", param: field });

function found(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

/** The body as the hub may use it, or the 400 that says what is wrong with it. */
export function checkInferenceBody(protocol: Protocol, body: unknown): InferenceBody | GambiError {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid(undefined, "Expected object");
  const b = body as Record<string, unknown>;
  if (!("model" in b)) return invalid("model", "Property 'model' is missing");
  if (typeof b.model !== "string") return invalid("model", `Expected property 'model' to be string but found: ${found(b.model)}`);
  if (b.model.length < 1) return invalid("model", "Expected string length greater or equal to 1");
  if (b.model.length > MODEL_MAX) return invalid("model", `Expected string length less or equal to ${MODEL_MAX}`);
  if (b.stream !== undefined && typeof b.stream !== "boolean") return invalid("stream", "Expected boolean");
  if (protocol === "chat" || protocol === "messages") {
    if (!("messages" in b)) return invalid("messages", "Property 'messages' is missing");
    if (!Array.isArray(b.messages)) return invalid("messages", "Expected array");
  }
  if (protocol === "embeddings") {
    if (!("input" in b)) return invalid("input", "Property 'input' is missing (the text to embed: a string or an array)");
    if (typeof b.input !== "string" && !Array.isArray(b.input)) return invalid("input", `Expected string or array but found: ${found(b.input)}`);
    if (Array.isArray(b.input) && b.input.length === 0) return invalid("input", "Expected a non-empty array");
  }
  if (protocol === "messages") {
    if (!("max_tokens" in b)) return invalid("max_tokens", "Property 'max_tokens' is missing");
    if (typeof b.max_tokens !== "number") return invalid("max_tokens", `Expected number but found: ${found(b.max_tokens)}`);
  }
  return b as InferenceBody;
}
