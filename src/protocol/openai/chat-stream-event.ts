/**
 * One event of a Chat Completions participant's stream, as every adapter that translates such a
 * stream reads it (responses-via-chat, messages-via-chat): `[DONE]` ends it, an empty data
 * line says nothing, a JSON object is a chunk, which carries an error when it came as
 * `event: error` or with an `error` field; anything else cannot be read (the message says what
 * came, cut at 200 characters).
 */
import { isObject, type Json } from "../json.ts";
import type { SseEvent } from "../sse/decode.ts";

export type ChatStreamEvent =
  | { kind: "done" }
  | { kind: "empty" }
  | { kind: "unreadable"; message: string }
  | { kind: "chunk"; data: Json; error?: { code: unknown; message: string } };

export function readChatStreamEvent(ev: SseEvent): ChatStreamEvent {
  if (ev.data === "[DONE]") return { kind: "done" };
  if (ev.data.trim() === "") return { kind: "empty" };
  let data: unknown;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return { kind: "unreadable", message: `the participant sent an event that is not JSON: ${ev.data.slice(0, 200)}` };
  }
  if (!isObject(data)) return { kind: "unreadable", message: `the participant sent an event that is not a JSON object: ${ev.data.slice(0, 200)}` };
  if (ev.event !== "error" && (data.error === undefined || data.error === null)) return { kind: "chunk", data };
  const err = isObject(data.error) ? data.error : data;
  const message = typeof err.message === "string" ? err.message : typeof data.error === "string" ? data.error : "the participant reported an error";
  return { kind: "chunk", data, error: { code: err.code ?? err.type, message } };
}
