/**
 * Whether a participant's Responses answer needs the repairing pass (stream.ts, body.ts), and
 * why, in words the hub can show a room (never a byte of the answer itself: no secret rides
 * along).
 *
 * A stream is judged once, on its first event with data, because that is free: the relay
 * decodes that event anyway (it carries the response id; `streamVerdict` hands its parsed JSON
 * to the observation), and a conformant stream then goes on byte for byte with no further check. Judging per stream rather than per participant copes
 * with a participant whose server changes under the same id (upgraded, swapped for another).
 * The first event tells llama.cpp's `llama-server` (0.7.0, build b11669) apart: its
 * `response.created` carries only `{id, object, status}` and no event of its stream has a
 * `sequence_number`. What the first event cannot show (a later event without `output_index`)
 * is not looked for: it would cost a parse of every event of every conformant stream.
 *
 * A conformant first event is `response.created` with a `response.output` array and a numeric
 * `sequence_number`. OpenAI's own streams before mid-2025 had no `sequence_number`
 * (test/fixtures/responses/openai-function-call.sse): they are repaired too, which gives them
 * one and changes nothing else a client reads.
 *
 * A non-streaming body is checked whole (the hub parses it anyway): the Response object's
 * fields OpenAI always sends, an id on every output item.
 */
import { isObject, type Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";

/** Why the stream whose first data event is `first` needs repairs; undefined when it does not. */
export function streamRepairReason(first: SseEvent): string | undefined {
  return streamVerdict(first).reason;
}

/**
 * The same, with the event's parsed JSON (when it is an object), so the relay's observation
 * can read the response id off it instead of parsing the event a second time.
 */
export function streamVerdict(first: SseEvent): { reason?: string; payload?: Json } {
  let d: unknown;
  try {
    d = JSON.parse(first.data);
  } catch {
    return {}; // not JSON: passed on as it is, like any byte the relay does not judge
  }
  if (!isObject(d)) return {};
  return { reason: reasonOf(first, d), payload: d };
}

function reasonOf(first: SseEvent, d: Json): string | undefined {
  const type = typeof d.type === "string" ? d.type : first.event;
  if (type !== "response.created") return `its stream starts with ${type ?? "an event without a type"}, not response.created`;
  const missing: string[] = [];
  if (!isObject(d.response) || !Array.isArray(d.response.output)) missing.push("an output array in response.created");
  if (typeof d.sequence_number !== "number") missing.push("sequence_number");
  return missing.length ? `its stream events lack ${missing.join(" and ")}` : undefined;
}

/** The Response object's fields OpenAI always sends (https://platform.openai.com/docs/api-reference/responses/object). */
const RESPONSE_FIELDS = [
  "id",
  "object",
  "created_at",
  "status",
  "error",
  "incomplete_details",
  "instructions",
  "model",
  "output",
  "parallel_tool_calls",
  "tool_choice",
  "tools",
  "temperature",
  "top_p",
  "metadata",
] as const;

/** Why this non-streaming Response body needs repairs; undefined when it does not, or when it is no Response at all. */
export function bodyRepairReason(body: Json): string | undefined {
  if (body.object !== "response" && !Array.isArray(body.output)) return undefined;
  const missing = RESPONSE_FIELDS.filter((k) => !(k in body));
  if (missing.length) return `its Response bodies lack ${missing.join(", ")}`;
  if (!Array.isArray(body.output)) return "its Response bodies have no output array";
  const k = body.output.findIndex((item) => !isObject(item) || typeof item.id !== "string" || item.id === "" || typeof item.type !== "string");
  return k === -1 ? undefined : `output item ${k} of its Response bodies has no id or type`;
}
