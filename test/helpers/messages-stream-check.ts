/**
 * Anthropic Messages stream grammar: a validator for every Messages stream (the hub's and the
 * recordings in test/fixtures/messages), and an assembler that reduces one to its message.
 *
 * The grammar (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
 * - every event has an `event:` line equal to its data's `type`; every data is a JSON object;
 * - `message_start` first, its message `{id, type: "message", role: "assistant", content: [],
 *   stop_reason: null, usage: {input_tokens, output_tokens}}`;
 * - then blocks: `content_block_start` with `index` 0, 1, 2… (consecutive, no gap), deltas for
 *   the open block only and of its kind (`text` → `text_delta` / `citations_delta`;
 *   `thinking` → `thinking_delta` / `signature_delta`; `tool_use` / `server_tool_use` →
 *   `input_json_delta`; blocks that arrive whole — `redacted_thinking`, `*_tool_result` — take
 *   none), then its `content_block_stop`; one block open at a time;
 * - `message_delta` once, after the last block closed, with a known `stop_reason` and
 *   `usage.output_tokens`; then `message_stop`, last;
 * - `ping` anywhere after `message_start` and before `message_stop`;
 * - or an `error` event `{type: "error", error: {type, message}}` ends the stream at any point
 *   (nothing after it).
 * Strict mode (the hub's own streams) adds: only the block types and deltas the hub makes
 * (text, thinking, tool_use), and tool_use input that parses as a JSON object at its stop.
 */
import type { SseEvent } from "../../src/protocol/sse/decode.ts";

type Json = Record<string, any>;

export const STOP_REASONS = ["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal", "pause_turn"];
export const ERROR_TYPES = ["invalid_request_error", "authentication_error", "permission_error", "not_found_error", "request_too_large", "rate_limit_error", "api_error", "overloaded_error"];

const DELTAS: Record<string, string[]> = {
  text: ["text_delta", "citations_delta"],
  thinking: ["thinking_delta", "signature_delta"],
  tool_use: ["input_json_delta"],
  server_tool_use: ["input_json_delta"],
};

export interface AssembledMessage {
  message: Json;
  content: Json[];
  stopReason?: string;
  stopSequence?: string | null;
  usage?: Json;
  error?: { type: string; message: string };
  /** Every event's type, in order. */
  types: string[];
}

export function checkMessagesStream(events: SseEvent[], opts: { strict?: boolean } = {}): AssembledMessage {
  const strict = opts.strict ?? true;
  const fail = (i: number, why: string): never => {
    throw new Error(`event ${i} (${events[i]?.event}): ${why}\n${events.map((e, k) => `${k}: ${e.event} ${e.data.slice(0, 160)}`).join("\n")}`);
  };
  if (events.length === 0) throw new Error("an empty stream");
  const out: AssembledMessage = { message: {}, content: [], types: [] };
  type State = "start" | "blocks" | "delta" | "stopped" | "errored";
  let state = "start" as State;
  let open: { index: number; type: string; json: string } | undefined;
  events.forEach((ev, i) => {
    let d: any;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return fail(i, "data is not JSON");
    }
    if (typeof d !== "object" || d === null || Array.isArray(d)) fail(i, "data is not an object");
    if (ev.event !== d.type) fail(i, `event line ${JSON.stringify(ev.event)} is not the data's type ${JSON.stringify(d.type)}`);
    out.types.push(d.type);
    if (state === "stopped" || state === "errored") fail(i, "an event after the end");
    if (d.type === "error") {
      if (!ERROR_TYPES.includes(d.error?.type) || typeof d.error?.message !== "string") fail(i, "an error event needs error.type and error.message");
      out.error = { type: d.error.type, message: d.error.message };
      state = "errored";
      return;
    }
    if (d.type === "ping") {
      if (state === "start") fail(i, "ping before message_start");
      return;
    }
    switch (state) {
      case "start": {
        if (d.type !== "message_start") fail(i, "the first event must be message_start");
        const m = d.message;
        if (typeof m?.id !== "string" || m.type !== "message" || m.role !== "assistant") fail(i, "message_start needs a message {id, type, role}");
        if (!Array.isArray(m.content) || m.content.length !== 0) fail(i, "message_start's content must be []");
        if (m.stop_reason !== null) fail(i, "message_start's stop_reason must be null");
        if (typeof m.usage?.input_tokens !== "number" || typeof m.usage?.output_tokens !== "number") fail(i, "message_start needs usage numbers");
        out.message = m;
        out.usage = { ...m.usage };
        state = "blocks";
        return;
      }
      case "blocks": {
        if (d.type === "content_block_start") {
          if (open) fail(i, `block ${open.index} is still open`);
          if (d.index !== out.content.length) fail(i, `index ${d.index}, expected ${out.content.length}`);
          const block = d.content_block;
          if (typeof block?.type !== "string") fail(i, "content_block needs a type");
          if (strict && !["text", "thinking", "tool_use"].includes(block.type)) fail(i, `block type ${block.type} is not one the hub makes`);
          if (block.type === "tool_use" && (typeof block.id !== "string" || block.id === "" || typeof block.name !== "string")) fail(i, "a tool_use block needs id and name");
          out.content.push(structuredClone(block));
          open = { index: d.index, type: block.type, json: "" };
          return;
        }
        if (d.type === "content_block_delta") {
          if (!open || d.index !== open.index) fail(i, `a delta for block ${d.index}, which is not open`);
          const allowed = DELTAS[open!.type];
          if (!allowed || !allowed.includes(d.delta?.type)) fail(i, `a ${d.delta?.type} in a ${open!.type} block`);
          const block = out.content[open!.index]!;
          if (d.delta.type === "text_delta") block.text += d.delta.text;
          else if (d.delta.type === "thinking_delta") block.thinking += d.delta.thinking;
          else if (d.delta.type === "signature_delta") block.signature = (block.signature ?? "") + d.delta.signature;
          else if (d.delta.type === "input_json_delta") open!.json += d.delta.partial_json;
          else if (d.delta.type === "citations_delta") (block.citations ??= []).push(d.delta.citation);
          return;
        }
        if (d.type === "content_block_stop") {
          if (!open || d.index !== open.index) fail(i, `a stop for block ${d.index}, which is not open`);
          const block = out.content[open!.index]!;
          if (open!.type === "tool_use" || open!.type === "server_tool_use") {
            if (open!.json !== "") {
              try {
                block.input = JSON.parse(open!.json);
              } catch {
                if (strict) fail(i, `tool input is not JSON: ${open!.json}`);
              }
            }
            if (strict && (typeof block.input !== "object" || block.input === null || Array.isArray(block.input))) fail(i, "tool input is not an object");
          }
          open = undefined;
          return;
        }
        if (d.type === "message_delta") {
          if (open) fail(i, `message_delta while block ${open.index} is open`);
          if (!STOP_REASONS.includes(d.delta?.stop_reason)) fail(i, `stop_reason ${JSON.stringify(d.delta?.stop_reason)}`);
          if (typeof d.usage?.output_tokens !== "number") fail(i, "message_delta needs usage.output_tokens");
          out.stopReason = d.delta.stop_reason;
          out.stopSequence = d.delta.stop_sequence;
          for (const [k, v] of Object.entries(d.usage)) if (v !== null && v !== undefined) out.usage![k] = v;
          state = "delta";
          return;
        }
        return fail(i, `unexpected ${d.type}`);
      }
      case "delta":
        if (d.type !== "message_stop") fail(i, "message_delta must be followed by message_stop");
        state = "stopped";
        return;
    }
  });
  if (state !== "stopped" && state !== "errored") throw new Error(`the stream ended in state ${state} (no message_stop, no error)`);
  return out;
}
