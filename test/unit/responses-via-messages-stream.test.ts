/**
 * responses-via-messages' answer mappers, straight from Messages events into the Responses
 * stream (no chat shape between): every recorded Messages stream obeys the strict Responses
 * grammar whole, decoded a few bytes at a time, cut after every event and dropped after every
 * event; a stream and the same answer as a body give the same Response; each thinking block is
 * a reasoning item of its own; usage counts the whole prompt and its cache reads; errors and
 * incomplete ends. (test/unit/responses-via-messages.test.ts has the rest: text, the stored
 * Response, the next request.)
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper, mapResponse } from "../../src/protocol/adapters/responses-via-messages/index.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "claude", input: "hi", stream: true, max_output_tokens: 300 };
const streams = loadFixtures(["messages"]).filter((f) => f.stream);

function run(events: SseEvent[], last: "end" | { fail: string; code?: string } = "end") {
  const mapper = createStreamMapper(request, context(), { responseId: "resp_1" });
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(last === "end" ? mapper.end() : mapper.fail({ message: last.fail, code: last.code as never, type: "upstream_error" })));
  return { out, result: mapper.result() as Json | undefined };
}

/** The Response with every generated id renamed by the order it first appears in, and call arguments compared as JSON. */
function comparable(r: Json | undefined): string {
  const names = new Map<string, string>();
  const output = (r?.output as Json[]).map((i) => (i.type === "function_call" ? { ...i, arguments: JSON.stringify(JSON.parse(i.arguments)) } : i));
  return JSON.stringify({ ...r, output }).replace(/(?<=_)id\d+\b/g, (id) => {
    if (!names.has(id)) names.set(id, `ID${names.size + 1}`);
    return names.get(id)!;
  });
}

describe("every recorded Messages stream", () => {
  test("there are recordings to replay", () => expect(streams.length).toBeGreaterThan(8));
  for (const f of streams) {
    test(f.name, () => {
      const source = decode(f.bytes);
      const whole = run(source);
      checkResponsesStream(whole.out, { strict: true });
      // A few bytes at a time, the same events.
      expect(run(decode(f.bytes, 7)).out).toEqual(whole.out);
      // The usage the recording ends with: the whole prompt, its cache reads.
      const m = checkMessagesStream(source, { strict: false });
      const u = m.usage!;
      const prompt = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      expect(whole.result!.usage).toEqual({ input_tokens: prompt, input_tokens_details: { cached_tokens: u.cache_read_input_tokens ?? 0 }, output_tokens: u.output_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: prompt + u.output_tokens });
      // The same answer as a body: the same Response.
      const body = mapResponse({ type: "message", content: m.content, stop_reason: m.stopReason, usage: m.usage }, request, context(), { responseId: "resp_1" });
      expect(comparable(body)).toBe(comparable(whole.result));

      for (let k = 0; k < source.length; k++) {
        const head = source.slice(0, k);
        // Cut after event k: failed (upstream_truncated), or finished once a stop reason came.
        const cut = run(head);
        checkResponsesStream(cut.out, { strict: true });
        const stopped = head.some((e) => e.event === "message_delta");
        const got = assembleResponses(cut.out, { strict: true });
        if (stopped) expect(got.status).not.toBe("failed");
        else expect([got.status, got.error?.code]).toEqual(["failed", "upstream_truncated"]);
        // Dropped after event k: failed with the relay's code, and the output so far.
        const dropped = run(head, { fail: "the connection dropped", code: "upstream_disconnected" });
        checkResponsesStream(dropped.out, { strict: true });
        expect(assembleResponses(dropped.out, { strict: true }).error).toEqual({ code: "upstream_disconnected", message: "the connection dropped" });
        expect(dropped.result!.status).toBe("failed");
      }
    });
  }
});

const ev = (type: string, data: Json): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
const start = ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], usage: { input_tokens: 5, cache_creation_input_tokens: 3, cache_read_input_tokens: 2, output_tokens: 1 } } });
const stop = (reason: string) => [ev("message_delta", { delta: { stop_reason: reason }, usage: { output_tokens: 9 } }), ev("message_stop", {})];
const thinking = (index: number, text: string, signature: string) => [
  ev("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }),
  ...(text ? [ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: text } })] : []),
  ...(signature ? [ev("content_block_delta", { index, delta: { type: "signature_delta", signature } })] : []),
  ev("content_block_stop", { index }),
];
const text = (index: number, t: string) => [ev("content_block_start", { index, content_block: { type: "text", text: "" } }), ev("content_block_delta", { index, delta: { type: "text_delta", text: t } }), ev("content_block_stop", { index })];

describe("the cases the recordings lack", () => {
  test("each thinking block is an item of its own, signed or not, and its signature is its own", () => {
    const { out, result } = run([start, ...thinking(0, "first", ""), ...thinking(1, "second", ""), ...thinking(2, "", "sig"), ...thinking(3, "fourth", "s4"), ...text(4, "done"), ...stop("end_turn")]);
    checkResponsesStream(out, { strict: true });
    expect((result!.output as Json[]).map((i) => (i.type === "reasoning" ? [i.content.map((p: Json) => p.text).join(""), i.encrypted_content] : i.content[0].text))).toEqual([
      ["first", undefined],
      ["second", undefined],
      ["", "anthropic.thinking:sig"],
      ["fourth", "anthropic.thinking:s4"],
      "done",
    ]);
  });

  test("usage: message_delta's counts over message_start's, the caches in the prompt", () => {
    expect(run([start, ...text(0, "x"), ...stop("end_turn")]).result!.usage).toEqual({ input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 });
  });

  test("ends: max_tokens and the context window → incomplete (max_output_tokens), refusal → incomplete (content_filter), pause_turn → completed", () => {
    for (const [reason, status, why] of [
      ["max_tokens", "incomplete", "max_output_tokens"],
      ["model_context_window_exceeded", "incomplete", "max_output_tokens"],
      ["refusal", "incomplete", "content_filter"],
      ["pause_turn", "completed", undefined],
      ["stop_sequence", "completed", undefined],
    ] as const) {
      const { out, result } = run([start, ...text(0, "x"), ...stop(reason)]);
      checkResponsesStream(out, { strict: true });
      expect([result!.status, result!.incomplete_details?.reason, result!.output.at(-1).status]).toEqual([status, why, status === "incomplete" ? "incomplete" : "completed"]);
      const body: Json = mapResponse({ content: [{ type: "text", text: "x" }], stop_reason: reason, usage: {} }, request, context(), { responseId: "r" });
      expect([body.status, body.incomplete_details?.reason, body.output.at(-1).status]).toEqual([result!.status, why, result!.output.at(-1).status]);
    }
  });

  test("an error event mid-stream: error (the Anthropic type as its code), then response.failed with the output so far", () => {
    const { out, result } = run([start, ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }), ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hel" } }), ev("error", { error: { type: "overloaded_error", message: "Overloaded" } }), ...stop("end_turn")]);
    checkResponsesStream(out, { strict: true });
    expect(assembleResponses(out, { strict: true })).toMatchObject({ status: "failed", text: "Hel", error: { code: "overloaded_error", message: "Overloaded" } });
    expect(result!.output[0]).toMatchObject({ type: "message", status: "incomplete" });
  });

  test("data that is not JSON fails the stream (upstream_invalid_chunk); tool arguments for a call already closed, upstream_protocol_error", () => {
    const bad = run([start, { event: "content_block_delta", data: "{nope" }]);
    expect(assembleResponses(bad.out, { strict: true }).error?.code).toBe("upstream_invalid_chunk");
    const tool = (index: number, id: string) => ev("content_block_start", { index, content_block: { type: "tool_use", id, name: "f", input: {} } });
    const interleaved = run([start, tool(0, "a"), tool(1, "b"), ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: "{}" } }), ...stop("tool_use")]);
    checkResponsesStream(interleaved.out, { strict: true });
    expect(assembleResponses(interleaved.out, { strict: true }).error?.code).toBe("upstream_protocol_error");
  });

  test("a body that is no message is a 502", () => {
    let err: unknown;
    try {
      mapResponse({ type: "error", error: { type: "api_error", message: "boom" } }, request, context(), { responseId: "r" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GambiError);
    expect([(err as GambiError).status, (err as GambiError).code, (err as GambiError).message.includes("boom")]).toEqual([502, "upstream_invalid_response", true]);
  });

  test("a body's blocks in order: text after a call is a new message, server tools are skipped, a call without an id gets one", () => {
    const body: Json = mapResponse(
      {
        content: [
          { type: "text", text: "a" },
          { type: "server_tool_use", id: "srv", name: "web_search", input: {} },
          { type: "text", text: "b" },
          { type: "tool_use", name: "f", input: { x: 1 } },
          { type: "redacted_thinking", data: "R" },
          { type: "text", text: "c" },
        ],
        stop_reason: "end_turn",
        usage: { input_tokens: 1, output_tokens: 2 },
      },
      request,
      context(),
      { responseId: "r" },
    );
    expect((body.output as Json[]).map((i) => [i.type, i.content?.[0]?.text ?? i.encrypted_content ?? i.arguments])).toEqual([
      ["message", "ab"],
      ["function_call", '{"x":1}'],
      ["reasoning", "anthropic.redacted_thinking:R"],
      ["message", "c"],
    ]);
    expect(body.output[1].call_id).toMatch(/^call_/);
  });
});
