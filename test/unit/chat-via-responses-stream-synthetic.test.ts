/**
 * chat-via-responses createStreamMapper on streams the recordings do not cover (the fixtures
 * README lists no incomplete or refusal recording): built event by event here, each checked
 * with the strict chat grammar and assembled.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper } from "../../src/protocol/adapters/chat-via-responses/index.ts";
import type { AdapterContext } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";

type Json = Record<string, any>;
const ctx: AdapterContext = { newId: () => "feed", now: () => 1_700_000_000_999 };
const request = { model: "req-model", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] };
const ev = (data: Json, withEventLine = true): SseEvent => (withEventLine ? { event: data.type, data: JSON.stringify(data) } : { data: JSON.stringify(data) });
const resp = (extra: Json = {}) => ({ id: "resp_1", object: "response", created_at: 42, model: "up-model", status: "in_progress", output: [], ...extra });
const created = ev({ type: "response.created", response: resp() });
const usage = { input_tokens: 10, output_tokens: 5, total_tokens: 15 };
const completed = (output: Json[] = [], extra: Json = {}) => ev({ type: "response.completed", response: resp({ status: "completed", output, usage, ...extra }) });

function run(events: SseEvent[], req: Json = request): SseEvent[] {
  const m = createStreamMapper(req, ctx);
  return [...events.flatMap((e) => m.push(e)), ...m.end()];
}
const deltas = (out: SseEvent[]) => out.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data)).filter((c) => c.choices?.length).map((c) => c.choices[0].delta);

describe("synthetic streams", () => {
  test("refusal deltas → delta.refusal, finish stop", () => {
    const out = run([
      created,
      ev({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: "m1", role: "assistant", content: [] } }),
      ev({ type: "response.refusal.delta", output_index: 0, item_id: "m1", content_index: 0, delta: "I can't " }),
      ev({ type: "response.refusal.delta", output_index: 0, item_id: "m1", content_index: 0, delta: "help." }),
      ev({ type: "response.refusal.done", output_index: 0, item_id: "m1", content_index: 0, refusal: "I can't help." }),
      completed([{ type: "message", content: [{ type: "refusal", refusal: "I can't help." }] }]),
    ]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out)).toMatchObject({ text: "", refusal: "I can't help.", finishReason: "stop", usage: { input: 10, output: 5, total: 15 } });
  });

  test("response.incomplete: max_output_tokens → length, content_filter → content_filter", () => {
    for (const [reason, finish] of [["max_output_tokens", "length"], ["content_filter", "content_filter"]]) {
      const out = run([
        created,
        ev({ type: "response.output_text.delta", output_index: 0, item_id: "m1", content_index: 0, delta: "Once upon" }),
        ev({ type: "response.incomplete", response: resp({ status: "incomplete", incomplete_details: { reason }, usage }) }),
      ]);
      checkChatStream(out, { usage: true });
      expect(assembleChat(out)).toMatchObject({ text: "Once upon", finishReason: finish });
    }
  });

  test("a blank line between summary parts and between reasoning items", () => {
    const s = (summary_index: number, delta: string, output_index = 0) => ev({ type: "response.reasoning_summary_text.delta", output_index, item_id: `rs${output_index}`, summary_index, delta });
    const out = run([created, s(0, "First"), s(0, " part."), s(1, "Second."), ev({ type: "response.reasoning_text.delta", output_index: 1, item_id: "rs1", content_index: 0, delta: "Raw." }), completed()]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out).reasoning).toBe("First part.\n\nSecond.\n\nRaw.");
  });

  test("data-only SSE (no event: lines) with an upstream [DONE]: one [DONE], ours", () => {
    const out = run([ev({ type: "response.created", response: resp() }, false), ev({ type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "ok" }, false), ev({ type: "response.completed", response: resp({ status: "completed", usage }) }, false), { data: "[DONE]" }]);
    checkChatStream(out, { usage: true });
    expect(out.filter((e) => e.data === "[DONE]").length).toBe(1);
  });

  test("text only in output_text.done / output_item.done (no deltas) is still emitted, once", () => {
    const out = run([
      created,
      ev({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: "m1", content: [] } }),
      ev({ type: "response.output_text.done", output_index: 0, item_id: "m1", content_index: 0, text: "Hello" }),
      ev({ type: "response.content_part.done", output_index: 0, item_id: "m1", content_index: 0, part: { type: "output_text", text: "Hello" } }),
      ev({ type: "response.output_item.done", output_index: 0, item: { type: "message", id: "m1", content: [{ type: "output_text", text: "Hello" }, { type: "output_text", text: " there" }] } }),
      completed(),
    ]);
    checkChatStream(out, { usage: true });
    expect(deltas(out).map((d) => d.content)).toEqual(["", "Hello", " there", undefined]);
  });

  test("deltas that already carried the text: the .done events add nothing", () => {
    const out = run([
      created,
      ev({ type: "response.output_text.delta", output_index: 0, item_id: "m1", content_index: 0, delta: "Hel" }),
      ev({ type: "response.output_text.delta", output_index: 0, item_id: "m1", content_index: 0, delta: "lo" }),
      ev({ type: "response.output_text.done", output_index: 0, item_id: "m1", content_index: 0, text: "Hello" }),
      ev({ type: "response.output_item.done", output_index: 0, item: { type: "message", id: "m1", content: [{ type: "output_text", text: "Hello" }] } }),
      completed([{ type: "message", content: [{ type: "output_text", text: "Hello" }] }]),
    ]);
    expect(deltas(out).map((d) => d.content)).toEqual(["", "Hel", "lo", undefined]);
  });

  test("a function call seen only in output_item.done, another only in response.completed: announced whole, indexed in order", () => {
    const call = (id: string, name: string, args: string) => ({ type: "function_call", id: `fc_${id}`, call_id: `call_${id}`, name, arguments: args });
    const out = run([created, ev({ type: "response.output_item.done", output_index: 0, item: call("a", "f", '{"x":1}') }), completed([call("a", "f", '{"x":1}'), call("b", "g", "{}")])]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out)).toMatchObject({
      toolCalls: [
        { id: "call_a", name: "f", arguments: '{"x":1}' },
        { id: "call_b", name: "g", arguments: "{}" },
      ],
      finishReason: "tool_calls",
    });
  });

  test("argument deltas before the call's output_item.added are held, then sent after the header", () => {
    const out = run([
      created,
      ev({ type: "response.function_call_arguments.delta", output_index: 0, item_id: "fc1", delta: '{"a"' }),
      ev({ type: "response.output_item.added", output_index: 0, item: { type: "function_call", id: "fc1", call_id: "call_1", name: "f", arguments: "" } }),
      ev({ type: "response.function_call_arguments.delta", output_index: 0, item_id: "fc1", delta: ":1}" }),
      completed(),
    ]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out).toolCalls).toEqual([{ id: "call_1", name: "f", arguments: '{"a":1}' }]);
  });

  test("text interleaved with two calls: content and tool deltas each in order", () => {
    const added = (i: number, id: string) => ev({ type: "response.output_item.added", output_index: i, item: { type: "function_call", id: `fc${i}`, call_id: id, name: "add", arguments: "" } });
    const args = (i: number, delta: string) => ev({ type: "response.function_call_arguments.delta", output_index: i, item_id: `fc${i}`, delta });
    const out = run([created, ev({ type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "Adding." }), added(1, "c1"), args(1, '{"a":1}'), added(2, "c2"), args(2, '{"a":2}'), completed()]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out)).toMatchObject({ text: "Adding.", toolCalls: [{ id: "c1", arguments: '{"a":1}' }, { id: "c2", arguments: '{"a":2}' }] });
  });

  test("end() without a terminal event: an error chunk (the stream was cut), no finish, no [DONE]", () => {
    const out = run([created, ev({ type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "partial" })]);
    checkChatStream(out);
    expect(assembleChat(out)).toMatchObject({ text: "partial", finishReason: null, error: { code: "upstream_truncated", type: "upstream_error" } });
  });

  test("an error event in the spec's flat shape, then response.failed: one error chunk", () => {
    const out = run([created, ev({ type: "error", code: "server_error", message: "boom", param: null }), ev({ type: "response.failed", response: resp({ status: "failed", error: { code: "server_error", message: "boom" } }) })]);
    checkChatStream(out);
    expect(out.length).toBe(2);
    expect(JSON.parse(out[1]!.data)).toEqual({ error: { message: "boom", type: "upstream_error", code: "server_error", param: null } });
  });

  test("response.failed alone, as the first event: just the error chunk", () => {
    const out = run([ev({ type: "response.failed", response: resp({ status: "failed", error: { code: "rate_limit_exceeded", message: "slow down" } }) })]);
    checkChatStream(out);
    expect(out.map((e) => JSON.parse(e.data))).toEqual([{ error: { message: "slow down", type: "upstream_error", code: "rate_limit_exceeded", param: null } }]);
  });

  test("no response.created: identity from the clock and the request's model; non-JSON data ignored", () => {
    const out = run([{ data: "not json" }, ev({ type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "hi" }), completed()]);
    checkChatStream(out, { usage: true });
    const first = JSON.parse(out[0]!.data);
    expect(first).toMatchObject({ id: "chatcmpl-feed", created: 1_700_000_000, model: "req-model" });
  });

  test("include_usage without upstream usage: no usage chunk rather than invented zeros", () => {
    const out = run([created, ev({ type: "response.completed", response: resp({ status: "completed" }) })]);
    checkChatStream(out, { usage: false });
  });

  test("fail() before anything: the error chunk alone, with the failure's own type and code", () => {
    const m = createStreamMapper(request, ctx);
    const out = m.fail({ message: "dns", type: "timeout_error", code: 504 });
    checkChatStream(out);
    expect(JSON.parse(out[0]!.data)).toEqual({ error: { message: "dns", type: "timeout_error", code: 504, param: null } });
    expect(m.fail({ message: "again" })).toEqual([]);
  });
});
