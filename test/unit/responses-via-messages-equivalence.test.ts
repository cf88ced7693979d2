/**
 * The direct Responses ← Messages stream mapper (responses-via-messages/stream.ts) against the
 * chain it replaces (chat-via-messages, then responses-via-chat, through the chat shape): for
 * every recorded Messages stream, and the cases the recordings lack, both must write the same
 * Responses events — names, fields, sequence numbers, items, usage, ends and errors — whole, cut
 * after every event, and with a dropped connection after every event (with and without the
 * relay's code). Generated ids are compared by the order they first appear in (the chain draws
 * one more, for the chat chunks' id, that no Responses event shows).
 */
import { describe, expect, test } from "bun:test";
import { chained } from "../../src/protocol/adapters/chain.ts";
import * as chatViaMessages from "../../src/protocol/adapters/chat-via-messages/index.ts";
import * as responsesViaChat from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { createStreamMapper as direct } from "../../src/protocol/adapters/responses-via-messages/stream.ts";
import type { StreamFailure, StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "claude", instructions: "Be brief.", input: "hi", stream: true, max_output_tokens: 300 };

function chain(): StreamMapper & { result(): Json | undefined } {
  const ctx = context();
  return chained(
    chatViaMessages.createStreamMapper({ model: request.model, stream: true, stream_options: { include_usage: true } }, ctx, { reasoningDetails: true }),
    responsesViaChat.createStreamMapper(request, ctx, { responseId: "resp_1", reasoningDetails: true }),
  );
}

const directMapper = () => direct(request, context(), { responseId: "resp_1" });

/** The events as text with every generated id (`id7` in `msg_id7`, `call_id9`, …) renamed by the order it first appears in. */
function normalized(events: SseEvent[], result: Json | undefined): string {
  const names = new Map<string, string>();
  const text = JSON.stringify({ events, result });
  return text.replace(/\bid\d+\b|(?<=_)id\d+\b/g, (id) => {
    if (!names.has(id)) names.set(id, `ID${names.size + 1}`);
    return names.get(id)!;
  });
}

type Ending = "end" | StreamFailure;

function run(make: () => StreamMapper & { result(): Json | undefined }, events: SseEvent[], ending: Ending): string {
  const mapper = make();
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(ending === "end" ? mapper.end() : mapper.fail(ending)));
  return normalized(out, mapper.result());
}

const ev = (type: string, data: Json): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
const start = ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], usage: { input_tokens: 5, cache_read_input_tokens: 2, output_tokens: 1 } } });
const stop = (reason: string) => [ev("message_delta", { delta: { stop_reason: reason }, usage: { output_tokens: 9 } }), ev("message_stop", {})];
const block = (index: number, content_block: Json) => ev("content_block_start", { index, content_block });
const delta = (index: number, d: Json) => ev("content_block_delta", { index, delta: d });
const blockStop = (index: number) => ev("content_block_stop", { index });

/** What the recordings lack. */
const synthetic: Record<string, SseEvent[]> = {
  "error mid-stream": [start, block(0, { type: "text", text: "" }), delta(0, { type: "text_delta", text: "Hel" }), ev("error", { error: { type: "overloaded_error", message: "Overloaded" } })],
  "an error event without a type": [start, { event: "error", data: '{"message":"bad"}' }],
  "data that is not JSON": [start, block(0, { type: "text", text: "a" }), { event: "content_block_delta", data: "{nope" }],
  "JSON that is no object": [start, { data: "[1,2]" }],
  "no message_start, ping first": [ev("ping", {}), block(0, { type: "text", text: "hi" }), blockStop(0), ...stop("end_turn")],
  "message_delta then the body ends": [start, block(0, { type: "text", text: "x" }), blockStop(0), stop("end_turn")[0]!],
  "two thinking blocks, one unsigned, one with no text": [
    start,
    block(0, { type: "thinking", thinking: "", signature: "" }),
    delta(0, { type: "thinking_delta", thinking: "first" }),
    blockStop(0),
    block(1, { type: "thinking", thinking: "", signature: "" }),
    delta(1, { type: "signature_delta", signature: "sig" }),
    delta(1, { type: "signature_delta", signature: "nature" }),
    blockStop(1),
    block(2, { type: "redacted_thinking", data: "" }),
    blockStop(2),
    block(3, { type: "thinking", thinking: "whole", signature: "s2" }),
    blockStop(3),
    block(4, { type: "text", text: "" }),
    delta(4, { type: "text_delta", text: "done" }),
    blockStop(4),
    ...stop("end_turn"),
  ],
  "tool input whole at the start, a nameless tool, text after tools": [
    start,
    block(0, { type: "tool_use", id: "t1", name: "f", input: { a: 1 } }),
    blockStop(0),
    block(1, { type: "tool_use", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"b":' }),
    delta(1, { type: "input_json_delta", partial_json: "2}" }),
    blockStop(1),
    block(2, { type: "text", text: "after" }),
    blockStop(2),
    ...stop("tool_use"),
  ],
  "interleaved tool arguments": [
    start,
    block(0, { type: "tool_use", id: "t1", name: "f", input: {} }),
    block(1, { type: "tool_use", id: "t2", name: "g", input: {} }),
    delta(0, { type: "input_json_delta", partial_json: "{}" }),
    ...stop("tool_use"),
  ],
  "server tool blocks and citations skipped": [
    start,
    block(0, { type: "server_tool_use", id: "srv", name: "web_search", input: {} }),
    delta(0, { type: "input_json_delta", partial_json: '{"q":1}' }),
    delta(0, { type: "text_delta", text: "never" }),
    blockStop(0),
    block(1, { type: "text", text: "" }),
    delta(1, { type: "citations_delta", citation: {} }),
    delta(1, { type: "text_delta", text: "ok" }),
    delta(7, { type: "text_delta", text: "unknown index" }),
    blockStop(1),
    ...stop("pause_turn"),
  ],
  refusal: [start, block(0, { type: "text", text: "no" }), blockStop(0), ...stop("refusal")],
  "context window exceeded": [start, block(0, { type: "text", text: "cut" }), ...stop("model_context_window_exceeded")],
  "[DONE] and empty data": [start, { data: "[DONE]" }, { data: "  " }, ...stop("end_turn")],
  "nothing at all": [],
};

const cases: [string, SseEvent[]][] = [
  ...loadFixtures(["messages"])
    .filter((f) => f.stream)
    .map((f): [string, SseEvent[]] => [f.name, decode(f.bytes)]),
  ...Object.entries(synthetic),
];

const failures: StreamFailure[] = [
  { message: "the connection dropped", code: "upstream_disconnected", type: "upstream_error" },
  { message: "gone", type: "api_error" },
  { message: "gone" },
];

describe("the direct mapper writes what the chain wrote", () => {
  test("there are recordings to replay", () => expect(cases.length).toBeGreaterThan(20));
  for (const [name, events] of cases) {
    test(name, () => {
      expect(run(directMapper, events, "end")).toBe(run(chain, events, "end"));
      for (let k = 0; k <= events.length; k++) {
        const head = events.slice(0, k);
        expect(run(directMapper, head, "end")).toBe(run(chain, head, "end"));
        for (const f of failures) expect(run(directMapper, head, f)).toBe(run(chain, head, f));
      }
    });
  }
});
