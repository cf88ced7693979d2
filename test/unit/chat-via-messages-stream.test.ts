/**
 * chat-via-messages' answer mappers, replayed over every recorded Messages answer: a stream's
 * chunks obey the strict chat grammar (test/helpers/chat-stream-check.ts) and carry exactly what
 * the recording carries — whole, decoded byte by byte, and with a dropped connection at every
 * event — and a body maps to the same message, finish reason and usage. Then the cases the
 * recordings lack: errors mid-stream, a cut body, input given whole at a block's start, two
 * thinking blocks, unknown and server-tool blocks; signatures never reach a chat client.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper, mapResponse } from "../../src/protocol/adapters/chat-via-messages/index.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";
import { fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "participant-model", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } };



function run(events: SseEvent[], last: "end" | { fail: string } = "end", req: Json = request): SseEvent[] {
  const mapper = createStreamMapper(req, context());
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(last === "end" ? mapper.end() : mapper.fail({ message: last.fail, code: "upstream_disconnected", type: "upstream_error" })));
  return out;
}

/** What a Messages stream says, in chat's terms. */
function expected(events: SseEvent[]) {
  const m = checkMessagesStream(events, { strict: false });
  const usage = m.usage!;
  const prompt = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  const tools = m.content.filter((b) => b.type === "tool_use");
  return {
    text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    reasoning: m.content.filter((b) => b.type === "thinking").map((b) => b.thinking).join("\n\n"),
    tools: tools.map((b) => ({ id: b.id, name: b.name, input: b.input ?? {} })),
    finish: m.stopReason === "max_tokens" ? "length" : tools.length > 0 ? "tool_calls" : "stop",
    usage: { input: prompt, output: usage.output_tokens, total: prompt + usage.output_tokens, cached: usage.cache_read_input_tokens ?? 0 },
  };
}

const streams = loadFixtures(["messages"]).filter((f) => f.stream);
const bodies = loadFixtures(["messages"]).filter((f) => !f.stream && fixtureStatus(f.name) === 200);

describe("every recorded Messages stream, mapped to chat chunks", () => {
  test("there are recordings to replay", () => expect(streams.length).toBeGreaterThan(8));
  for (const f of streams) {
    test(f.name, () => {
      const source = decode(f.bytes);
      const out = run(source);
      checkChatStream(out, { usage: true });
      const got = assembleChat(out);
      const want = expected(source);
      expect(got.text).toBe(want.text);
      expect(got.reasoning).toBe(want.reasoning);
      expect(got.toolCalls.map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.arguments || "{}") }))).toEqual(want.tools);
      expect(got.finishReason).toBe(want.finish);
      expect(got.usage).toEqual(want.usage);
      expect(run(decode(f.bytes, 1))).toEqual(out);
      // Without include_usage: no usage chunk, no `usage: null`.
      const plain = run(source, "end", { ...request, stream_options: undefined });
      checkChatStream(plain, { usage: false });
      expect(plain.some((e) => e.data.includes('"usage"'))).toBe(false);
    });
    test(`${f.name}: a dropped connection at every event still ends in the grammar, with the error chunk`, () => {
      const events = decode(f.bytes);
      for (let cut = 0; cut < events.length; cut++) {
        const out = run(events.slice(0, cut), { fail: "the connection broke" });
        checkChatStream(out);
        expect(assembleChat(out).error).toEqual({ message: "the connection broke", type: "upstream_error", code: "upstream_disconnected" });
      }
    });
  }
});

describe("every recorded Messages body, mapped to a chat.completion", () => {
  for (const f of bodies) {
    test(f.name, () => {
      const msg = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      const chat = mapResponse(msg, { model: "asked" }, context());
      const text = msg.content.filter((b: Json) => b.type === "text").map((b: Json) => b.text);
      const tools = msg.content.filter((b: Json) => b.type === "tool_use");
      const u = msg.usage;
      const prompt = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      expect(chat).toEqual({
        id: "chatcmpl-id1",
        object: "chat.completion",
        created: 1_750_000_000,
        model: msg.model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: text.length ? text.join("") : null,
              refusal: null,
              annotations: [],
              ...(tools.length ? { tool_calls: tools.map((b: Json) => ({ id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.input) } })) } : {}),
              ...(msg.content.some((b: Json) => b.type === "thinking") ? { reasoning_content: msg.content.find((b: Json) => b.type === "thinking").thinking } : {}),
              // Each signed thinking block, whole, in OpenRouter's field: what a client sends back for Anthropic to check.
              ...(msg.content.some((b: Json) => b.type === "thinking" && b.signature)
                ? { reasoning_details: msg.content.filter((b: Json) => b.type === "thinking").map((b: Json) => ({ type: "reasoning.text", text: b.thinking, signature: b.signature, format: "anthropic-claude-v1" })) }
                : {}),
            },
            logprobs: null,
            finish_reason: msg.stop_reason === "max_tokens" ? "length" : tools.length ? "tool_calls" : "stop",
          },
        ],
        usage: { prompt_tokens: prompt, completion_tokens: u.output_tokens, total_tokens: prompt + u.output_tokens, prompt_tokens_details: { cached_tokens: u.cache_read_input_tokens } },
      });
    });
  }

  test("stop reasons: refusal → content_filter, context window → length, pause_turn → stop; max_tokens wins over tool calls", () => {
    const of = (stop_reason: string, content: Json[] = [{ type: "text", text: "x" }]) => (mapResponse({ content, stop_reason, usage: {} }, { model: "m" }, context()) as Json).choices[0].finish_reason;
    expect([of("refusal"), of("model_context_window_exceeded"), of("pause_turn"), of("stop_sequence"), of("end_turn")]).toEqual(["content_filter", "length", "stop", "stop", "stop"]);
    expect(of("max_tokens", [{ type: "tool_use", id: "t", name: "f", input: {} }])).toBe("length");
    expect(of("end_turn", [{ type: "tool_use", id: "t", name: "f", input: {} }])).toBe("tool_calls");
  });

  test("server tool blocks and unknown blocks are left out; no usage → none; a body that is no message → 502", () => {
    const chat: Json = mapResponse({ model: "m", content: [{ type: "server_tool_use", id: "s", name: "web_search", input: {} }, { type: "web_search_tool_result", content: [] }, { type: "text", text: "found", citations: [{ type: "x" }] }, { type: "mystery" }], stop_reason: "end_turn" }, {}, context());
    expect(chat.choices[0].message).toEqual({ role: "assistant", content: "found", refusal: null, annotations: [] });
    expect(chat.usage).toBeUndefined();
    let err: unknown;
    try {
      mapResponse({ type: "error", error: { type: "api_error", message: "boom" } }, {}, context());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GambiError);
    expect([(err as GambiError).status, (err as GambiError).code, (err as GambiError).message]).toEqual([502, "upstream_invalid_response", "the participant's answer is no Messages message (no content): boom"]);
  });
});

const ev = (type: string, data: Json) => ({ event: type, data: JSON.stringify({ type, ...data }) });
const start = ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } });
const textBlock = (index: number, text: string) => [ev("content_block_start", { index, content_block: { type: "text", text: "" } }), ev("content_block_delta", { index, delta: { type: "text_delta", text } }), ev("content_block_stop", { index })];
const stop = (reason: string, output = 7) => [ev("message_delta", { delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } }), ev("message_stop", {})];

describe("synthetic streams", () => {
  test("the model is the message's, the same on every chunk; the first delta is the role", () => {
    const out = run([start, ...textBlock(0, "hi"), ...stop("end_turn")]);
    checkChatStream(out, { usage: true });
    const chunks = out.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(["claude-x"]));
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.at(-1)).toEqual({ id: "chatcmpl-id1", object: "chat.completion.chunk", created: 1_750_000_000, model: "claude-x", choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
  });

  test("an error event mid-stream → the error chunk, nothing after (later events ignored)", () => {
    const out = run([start, ...textBlock(0, "par"), ev("error", { error: { type: "overloaded_error", message: "Overloaded" } }), ...stop("end_turn")]);
    checkChatStream(out);
    expect(assembleChat(out)).toMatchObject({ text: "par", error: { message: "Overloaded", type: "overloaded_error", code: "overloaded_error" } });
    expect(out.some((e) => e.data === "[DONE]")).toBe(false);
  });

  test("an error as the very first event: only the error chunk", () => {
    const out = run([ev("error", { error: { type: "api_error", message: "down" } })]);
    expect(out.length).toBe(1);
    checkChatStream(out);
  });

  test("a body cut before any stop reason → upstream_truncated; after message_delta the end will do", () => {
    const cut = run([start, ...textBlock(0, "half")]);
    checkChatStream(cut);
    expect(assembleChat(cut).error).toMatchObject({ code: "upstream_truncated" });
    const late = run([start, ...textBlock(0, "whole"), stop("end_turn")[0]!]);
    checkChatStream(late, { usage: true });
    expect(assembleChat(late)).toMatchObject({ text: "whole", finishReason: "stop" });
  });

  test("data that is not JSON → upstream_invalid_chunk", () => {
    const out = run([start, { event: "content_block_delta", data: "{oops" }]);
    checkChatStream(out);
    expect(assembleChat(out).error).toMatchObject({ code: "upstream_invalid_chunk" });
  });

  test("tool input given whole at the block's start (no deltas) is sent at its stop; empty partial_json is skipped", () => {
    const out = run([
      start,
      ev("content_block_start", { index: 0, content_block: { type: "tool_use", id: "t1", name: "f", input: { a: 1 } } }),
      ev("content_block_stop", { index: 0 }),
      ev("content_block_start", { index: 1, content_block: { type: "tool_use", id: "t2", name: "g", input: {} } }),
      ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: "" } }),
      ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"b":2}' } }),
      ev("content_block_stop", { index: 1 }),
      ...stop("tool_use"),
    ]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out).toolCalls).toEqual([
      { id: "t1", name: "f", arguments: '{"a":1}' },
      { id: "t2", name: "g", arguments: '{"b":2}' },
    ]);
  });

  test("two thinking blocks: a blank line between them; server tool blocks and citations ignored; ping ignored", () => {
    const think = (index: number, text: string) => [ev("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }), ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: text } }), ev("content_block_delta", { index, delta: { type: "signature_delta", signature: `sig${index}` } }), ev("content_block_stop", { index })];
    const out = run([
      start,
      ev("ping", {}),
      ...think(0, "first"),
      ev("content_block_start", { index: 1, content_block: { type: "server_tool_use", id: "s", name: "web_search", input: {} } }),
      ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"q":1}' } }),
      ev("content_block_stop", { index: 1 }),
      ...think(2, "second"),
      ev("content_block_start", { index: 3, content_block: { type: "text", text: "", citations: [] } }),
      ev("content_block_delta", { index: 3, delta: { type: "citations_delta", citation: { type: "web_search_result_location" } } }),
      ev("content_block_delta", { index: 3, delta: { type: "text_delta", text: "done" } }),
      ev("content_block_stop", { index: 3 }),
      ...stop("end_turn"),
    ]);
    checkChatStream(out, { usage: true });
    expect(assembleChat(out)).toMatchObject({ reasoning: "first\n\nsecond", text: "done", toolCalls: [], finishReason: "stop" });
    // Signatures have no chat field: they are not sent.
    expect(out.some((e) => e.data.includes("reasoning_details") || e.data.includes("sig0"))).toBe(false);
  });

  test("refusal → content_filter; the recording's redacted thinking is not sent", () => {
    const out = run([start, ...textBlock(0, "I can't help with that."), ...stop("refusal")]);
    expect(assembleChat(out).finishReason).toBe("content_filter");
    const redacted = streams.find((f) => f.name.includes("redacted"))!;
    const data = checkMessagesStream(decode(redacted.bytes), { strict: false }).content.filter((b) => b.type === "redacted_thinking").map((b) => b.data as string);
    const mapped = run(decode(redacted.bytes));
    checkChatStream(mapped, { usage: true });
    expect(data.length).toBe(2);
    expect(mapped.some((e) => data.some((d) => e.data.includes(d.slice(0, 40))))).toBe(false);
  });
});
