/**
 * responses-via-chat stream mapper on hand-made chunk sequences: the cases no recording has
 * (text after a tool call, arguments before the name, a call without id, interleaved calls,
 * length/content_filter, logprobs, garbage, a cut stream) and byte-exact text.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";

type Json = Record<string, any>;

function context() {
  let n = 0;
  return { newId: () => `id${++n}`, now: () => 1_750_000_000_000 };
}

const chunk = (delta: Json, finish: string | null = null, extra: Json = {}): SseEvent => ({
  data: JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish, ...extra }] }),
});
const DONE: SseEvent = { data: "[DONE]" };

function run(events: SseEvent[], request: Json = { model: "m", stream: true }) {
  const mapper = createStreamMapper(request, context(), { responseId: "resp_q" });
  const out = [...events.flatMap((e) => mapper.push(e)), ...mapper.end()];
  checkResponsesStream(out, { strict: true });
  return { out, data: out.map((e) => JSON.parse(e.data)), a: assembleResponses(out, { strict: true }), result: mapper.result() as Json };
}

const types = (data: Json[]) => data.map((d) => d.type).filter((t) => !t.endsWith(".delta"));

describe("items", () => {
  test("reasoning, text, a tool call, then text again: four items in order", () => {
    const { a, data } = run([
      chunk({ role: "assistant", reasoning_content: "think" }),
      chunk({ content: "Let me look." }),
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }),
      chunk({ content: "Done." }),
      chunk({}, "stop"),
      DONE,
    ]);
    expect(a.output.map((o) => o.type)).toEqual(["reasoning", "message", "function_call", "message"]);
    expect(a.text).toBe("Let me look.Done.");
    expect(a.reasoning).toBe("think");
    expect(types(data).filter((t) => t === "response.output_item.done")).toHaveLength(4);
  });

  test("arguments before the name are held, then sent with the name's fragment as the first delta", () => {
    const { a, data } = run([
      chunk({ tool_calls: [{ index: 0, id: "call_1", function: { arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: "1}" } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(a.toolCalls).toEqual([{ callId: "call_1", name: "f", arguments: '{"a":1}' }]);
    expect(data.filter((d) => d.type === "response.function_call_arguments.delta").map((d) => d.delta)).toEqual(['{"a":1}']);
  });

  test("a call without id gets call_<random>; a call without index continues the last one", () => {
    const { a } = run([
      chunk({ tool_calls: [{ type: "function", function: { name: "f", arguments: '{"x"' } }] }),
      chunk({ tool_calls: [{ function: { arguments: ":1}" } }] }),
      chunk({ tool_calls: [{ id: "call_2", function: { name: "g", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(a.toolCalls).toEqual([
      { callId: "call_id1", name: "f", arguments: '{"x":1}' },
      { callId: "call_2", name: "g", arguments: "{}" },
    ]);
  });

  test("a call whose name never comes is still delivered (name \"\") rather than lost", () => {
    const { a } = run([chunk({ tool_calls: [{ index: 0, id: "call_1", function: { arguments: "{}" } }] }), chunk({}, "tool_calls"), DONE]);
    expect(a.toolCalls).toEqual([{ callId: "call_1", name: "", arguments: "{}" }]);
  });

  test("interleaved arguments of parallel calls cannot be carried: a protocol error, not a silent drop", () => {
    const { a } = run([
      chunk({ tool_calls: [{ index: 0, id: "c0", function: { name: "f", arguments: "{" } }] }),
      chunk({ tool_calls: [{ index: 1, id: "c1", function: { name: "g", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(a.status).toBe("failed");
    expect(a.error?.code).toBe("upstream_protocol_error");
  });

  test("refusal and text in one message are two parts", () => {
    const { a, result } = run([chunk({ refusal: "No." }), chunk({ content: " Sorry." }), chunk({}, "stop"), DONE]);
    expect(a.refusal).toBe("No.");
    expect(a.text).toBe(" Sorry.");
    expect(result.output[0].content.map((p: Json) => p.type)).toEqual(["refusal", "output_text"]);
  });

  test("logprobs ride on the deltas and on the done part", () => {
    const lp = (t: string) => ({ token: t, logprob: -0.5, bytes: [...new TextEncoder().encode(t)], top_logprobs: [] });
    const { data, result } = run([chunk({ content: "a" }, null, { logprobs: { content: [lp("a")] } }), chunk({ content: "b" }, null, { logprobs: { content: [lp("b")] } }), chunk({}, "stop"), DONE]);
    expect(data.filter((d) => d.type === "response.output_text.delta").map((d) => d.logprobs)).toEqual([[lp("a")], [lp("b")]]);
    expect(result.output[0].content[0].logprobs).toEqual([lp("a"), lp("b")]);
  });
});

describe("status", () => {
  test("length → response.incomplete (max_output_tokens), last item incomplete", () => {
    const { a, data, result } = run([chunk({ content: "Once" }), chunk({}, "length"), DONE]);
    expect(a.status).toBe("incomplete");
    expect(a.incompleteReason).toBe("max_output_tokens");
    expect(data.at(-1).type).toBe("response.incomplete");
    expect(result.output[0].status).toBe("incomplete");
  });

  test("content_filter → response.incomplete (content_filter)", () => {
    const { a } = run([chunk({ content: "x" }), chunk({}, "content_filter"), DONE]);
    expect(a.incompleteReason).toBe("content_filter");
  });

  test("the stream cut with no finish_reason: failed (the answer may be partial)", () => {
    const { a, result } = run([chunk({ content: "Once upon" })]);
    expect(a.status).toBe("failed");
    expect(a.error?.code).toBe("upstream_incomplete");
    expect(result.output[0]).toMatchObject({ type: "message", status: "incomplete", content: [{ text: "Once upon" }] });
  });

  test("[DONE] without a finish_reason: completed (the upstream said it was done)", () => {
    expect(run([chunk({ content: "x" }), DONE]).a.status).toBe("completed");
  });

  test("an empty stream that ends: created, in_progress, error, failed", () => {
    const { data } = run([]);
    expect(data.map((d) => d.type)).toEqual(["response.created", "response.in_progress", "error", "response.failed"]);
  });

  test("an unparsable chunk: failed", () => {
    const { a } = run([chunk({ content: "x" }), { data: "{oops" }]);
    expect(a.error?.code).toBe("upstream_invalid_chunk");
  });

  test("the error event carries code, message and param; response.failed the error", () => {
    const { data } = run([chunk({ content: "x" }), { event: "error", data: JSON.stringify({ error: { message: "boom", type: "server_error" } }) }, DONE]);
    expect(data.at(-2)).toEqual({ type: "error", code: "server_error", message: "boom", param: null, sequence_number: data.length - 2 });
    expect(data.at(-1).response.error).toEqual({ code: "server_error", message: "boom" });
    expect(data.at(-1).response.output).toHaveLength(1);
  });

  test("empty data lines and comments' leftovers are ignored", () => {
    expect(run([{ data: "" }, chunk({ content: "x" }), chunk({}, "stop"), DONE]).a.text).toBe("x");
  });
});

describe("text is passed on byte for byte", () => {
  test("unicode, emoji split across chunks, control characters, <think> tags, whitespace", () => {
    const pieces = ["<think>hm</think>", "  Olá ", "\ud83d", "\ude00", " \u2028 line\r\n", "\t\"quoted\" \\ back", "\u0000end  "];
    const { a } = run([...pieces.map((p) => chunk({ content: p })), chunk({}, "stop"), DONE]);
    expect(a.text).toBe(pieces.join(""));
  });
});

describe("the Response echoes the request", () => {
  test("instructions, tools, metadata; created and final response agree on the id and model", () => {
    const request = { model: "m-1", instructions: "be brief", tools: [{ type: "function", name: "f", parameters: {} }], metadata: { a: "1" }, store: false, stream: true };
    const { data } = run([chunk({ content: "x" }), chunk({}, "stop"), DONE], request);
    for (const d of [data[0], data.at(-1)]) {
      expect(d.response).toMatchObject({ id: "resp_q", model: "m-1", instructions: "be brief", metadata: { a: "1" }, store: false, tools: [{ type: "function", name: "f" }] });
    }
  });
});
