/**
 * messages-via-chat stream mapper, replayed over every recorded chat stream: the output obeys
 * the Messages grammar (strict checker, test/helpers/messages-stream-check.ts) and carries
 * exactly what the recording carries (assembleChat of the source): whole, decoded byte by byte,
 * with a dropped connection at every event. Then the cases the recordings lack (parallel tool
 * calls by index, names late, interleaving, refusals, stop sequences), and the checker itself
 * against Anthropic's own recordings (fixtures/messages/*.sse).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createStreamMapper } from "../../src/protocol/adapters/messages-via-chat/index.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleChat, type AssembledChat } from "../helpers/chat-stream-check.ts";
import { FIXTURES_DIR, loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream, type AssembledMessage } from "../helpers/messages-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "participant-model", max_tokens: 100, messages: [{ role: "user", content: "hi" }], stream: true };



function run(events: SseEvent[], last: "end" | { fail: string } = "end", req: Json = request): SseEvent[] {
  const mapper = createStreamMapper(req, context());
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(last === "end" ? mapper.end() : mapper.fail({ message: last.fail, code: "upstream_disconnected" })));
  return out;
}

const textOf = (m: AssembledMessage, type: "text" | "thinking") => m.content.filter((b) => b.type === type).map((b) => (type === "text" ? b.text : b.thinking)).join("");
const toolsOf = (m: AssembledMessage) => m.content.filter((b) => b.type === "tool_use").map((b) => ({ id: b.id, name: b.name, input: b.input ?? {} }));

function expectCarries(m: AssembledMessage, chat: AssembledChat): void {
  expect(textOf(m, "text")).toBe(chat.text + chat.refusal);
  expect(textOf(m, "thinking")).toBe(chat.reasoning);
  expect(toolsOf(m).map((t) => [t.name, JSON.stringify(t.input)])).toEqual(chat.toolCalls.map((c) => [c.name, JSON.stringify(c.arguments ? JSON.parse(c.arguments) : {})]));
  if (chat.error) {
    expect(m.error?.message).toContain(chat.error.message);
    return;
  }
  expect(m.error).toBeUndefined();
  const expected = chat.finishReason === "length" ? "max_tokens" : chat.toolCalls.length > 0 ? "tool_use" : chat.refusal ? "refusal" : "end_turn";
  expect(m.stopReason).toBe(expected);
  if (chat.usage) {
    expect(m.usage!.output_tokens).toBe(chat.usage.output);
    expect(m.usage!.input_tokens + m.usage!.cache_read_input_tokens).toBe(chat.usage.input);
    expect(m.usage!.cache_read_input_tokens).toBe(chat.usage.cached ?? 0);
  }
}

const chatStreams = loadFixtures().filter((f) => f.protocol === "chat" && f.stream);

describe("every recorded chat stream, mapped to Messages", () => {
  test("there are recordings to replay", () => expect(chatStreams.length).toBeGreaterThan(15));
  for (const f of chatStreams) {
    test(f.name, () => {
      const chat = assembleChat(decode(f.bytes));
      const whole = checkMessagesStream(run(decode(f.bytes)));
      expectCarries(whole, chat);
      // Byte by byte: the same events.
      expect(run(decode(f.bytes, 1)).map((e) => e.data.replace(/"id":"msg_[^"]*"/, ""))).toEqual(run(decode(f.bytes)).map((e) => e.data.replace(/"id":"msg_[^"]*"/, "")));
    });
    test(`${f.name}: a dropped connection at every event still ends in the grammar, with an error`, () => {
      const events = decode(f.bytes);
      for (let cut = 0; cut < events.length; cut++) {
        const m = checkMessagesStream(run(events.slice(0, cut), { fail: "the connection broke" }));
        // Cut before the end: an error, unless the recording had already finished (its [DONE]).
        if (m.error) expect(m.error.message).toMatch(/the connection broke|\(code: /);
        else expect(events.slice(0, cut).some((e) => e.data === "[DONE]")).toBe(true);
      }
    });
  }
});

const chunk = (delta: Json, finish: string | null = null, extra: Json = {}) => ({ data: JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish, ...extra }] }) });
const DONE = { data: "[DONE]" };

describe("synthetic streams", () => {
  test("message_start comes with the first upstream event, even an empty 200 body ends in the grammar (an error, never nothing)", () => {
    const empty = run([]);
    expect(empty.map((e) => e.event)).toEqual(["message_start", "error"]);
    checkMessagesStream(empty);
    expect(JSON.parse(empty[1]!.data).error.message).toContain("upstream_incomplete");
  });

  test("reasoning, then text, then two parallel tool calls: blocks 0..3, tool_use stop, usage with cached tokens", () => {
    const out = run([
      chunk({ role: "assistant", content: "" }),
      chunk({ reasoning_content: "think " }),
      chunk({ reasoning_content: "more" }),
      chunk({ content: "Checking." }),
      chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "add", arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "mul", arguments: '{"b":2}' } }] }),
      chunk({}, "tool_calls"),
      { data: JSON.stringify({ id: "c", choices: [], usage: { prompt_tokens: 30, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 20 } } }) },
      DONE,
    ]);
    const m = checkMessagesStream(out);
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use", "tool_use"]);
    expect(m.content[0]).toEqual({ type: "thinking", thinking: "think more", signature: "" });
    expect(toolsOf(m)).toEqual([
      { id: "call_a", name: "add", input: { a: 1 } },
      { id: "call_b", name: "mul", input: { b: 2 } },
    ]);
    expect(m.stopReason).toBe("tool_use");
    expect(m.usage).toEqual({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 20, output_tokens: 9 });
    expect(out.some((e) => e.data.includes("signature_delta"))).toBe(false);
  });

  test("reasoning from `reasoning` (Ollama, Groq) and `reasoning_details` (OpenRouter) too", () => {
    for (const delta of [{ reasoning: "r" }, { reasoning_details: [{ type: "reasoning.text", text: "r" }] }]) {
      const m = checkMessagesStream(run([chunk(delta), chunk({ content: "x" }), chunk({}, "stop"), DONE]));
      expect(m.content.map((b) => b.type)).toEqual(["thinking", "text"]);
      expect(m.content[0]!.thinking).toBe("r");
    }
  });

  test("arguments before the name are held; a call whose name never comes is opened at the end with name \"\"", () => {
    const late = checkMessagesStream(run([chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x"' } }] }), chunk({ tool_calls: [{ index: 0, id: "t1", function: { name: "f", arguments: ":1}" } }] }), chunk({}, "tool_calls"), DONE]));
    expect(toolsOf(late)).toEqual([{ id: "t1", name: "f", input: { x: 1 } }]);
    const nameless = checkMessagesStream(run([chunk({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }), chunk({}, "tool_calls"), DONE]));
    expect(toolsOf(nameless)).toEqual([{ id: "toolu_id2", name: "", input: {} }]);
  });

  test("a call without index: a new id starts a new call, no id continues the last", () => {
    const m = checkMessagesStream(
      run([chunk({ tool_calls: [{ id: "a", function: { name: "f", arguments: "{" } }] }), chunk({ tool_calls: [{ function: { arguments: "}" } }] }), chunk({ tool_calls: [{ id: "b", function: { name: "g", arguments: "{}" } }] }), chunk({}, "tool_calls"), DONE]),
    );
    expect(toolsOf(m).map((t) => t.id)).toEqual(["a", "b"]);
  });

  test("interleaved tool calls cannot be expressed: an error event (upstream_protocol_error), nothing after", () => {
    const out = run([chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{" } }] }), chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "g", arguments: "{}" } }] }), chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }), chunk({}, "tool_calls"), DONE]);
    const m = checkMessagesStream(out, { strict: false });
    expect(m.error?.type).toBe("api_error");
    expect(m.error?.message).toContain("upstream_protocol_error");
  });

  test("stop reasons: length → max_tokens; content_filter and refusals → refusal; vLLM's matched stop string → stop_sequence; eos → end_turn; tool calls under `stop` → tool_use", () => {
    const reason = (events: { data: string }[], req: Json = request) => checkMessagesStream(run(events, "end", req));
    expect(reason([chunk({ content: "a" }), chunk({}, "length"), DONE]).stopReason).toBe("max_tokens");
    expect(reason([chunk({ content: "a" }), chunk({}, "content_filter"), DONE]).stopReason).toBe("refusal");
    const refused = reason([chunk({ refusal: "I can't." }), chunk({}, "stop"), DONE]);
    expect([refused.stopReason, textOf(refused, "text")]).toEqual(["refusal", "I can't."]);
    const stopped = reason([chunk({ content: "1 2" }), chunk({}, "stop", { stop_reason: "STOP" }), DONE], { ...request, stop_sequences: ["STOP"] });
    expect([stopped.stopReason, stopped.stopSequence]).toEqual(["stop_sequence", "STOP"]);
    expect(reason([chunk({ content: "1" }), chunk({}, "stop", { stop_reason: 128009 }), DONE], { ...request, stop_sequences: ["STOP"] }).stopReason).toBe("end_turn");
    expect(reason([chunk({ content: "a" }), chunk({}, "eos")]).stopReason).toBe("end_turn");
    expect(reason([chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }), chunk({}, "stop"), DONE]).stopReason).toBe("tool_use");
  });

  test("errors: an error chunk, a named error event, a non-JSON event and a cut stream each end with one error event of the right type", () => {
    const cases: [SseEvent[], string, string][] = [
      [[chunk({ content: "a" }), { data: JSON.stringify({ error: { code: 429, message: "slow down" } }) }], "rate_limit_error", "slow down"],
      [[{ event: "error", data: JSON.stringify({ error: { code: "tool_use_failed", message: "bad call" } }) }], "api_error", "bad call"],
      [[chunk({ content: "a" }), { data: "not json" }], "api_error", "upstream_invalid_chunk"],
      [[chunk({ content: "a" })], "api_error", "upstream_incomplete"],
    ];
    for (const [events, type, message] of cases) {
      const out = run(events);
      const m = checkMessagesStream(out);
      expect(m.error?.type).toBe(type);
      expect(m.error?.message).toContain(message);
      expect(out.at(-1)!.event).toBe("error");
    }
    const failed = checkMessagesStream(run([chunk({ content: "a" })], { fail: "broke" }));
    expect(failed.error).toEqual({ type: "api_error", message: "broke (code: upstream_disconnected)" });
  });

  test("nothing after the end: events past [DONE] are ignored", () => {
    const mapper = createStreamMapper(request, context());
    mapper.push(chunk({ content: "a" }));
    mapper.push(chunk({}, "stop"));
    expect(mapper.push(DONE).map((e) => e.event)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(mapper.push(chunk({ content: "late" }))).toEqual([]);
    expect(mapper.end()).toEqual([]);
    expect(mapper.fail({ message: "x" })).toEqual([]);
  });
});

describe("the grammar checker against Anthropic's own streams (fixtures/messages)", () => {
  const dir = join(FIXTURES_DIR, "messages");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sse"));
  test("there are recordings", () => expect(files.length).toBeGreaterThanOrEqual(7));
  for (const file of files) {
    test(file, () => {
      const m = checkMessagesStream(decode(new Uint8Array(readFileSync(join(dir, file)))), { strict: false });
      expect(m.stopReason).toBeDefined();
      expect(m.content.length).toBeGreaterThan(0);
    });
  }
  test("the hub's event sequence for text then a tool call is the recording's, pings and padding aside", () => {
    const recorded = checkMessagesStream(decode(new Uint8Array(readFileSync(join(dir, "anthropic-text-then-tool-use.sse")))), { strict: false });
    const ours = checkMessagesStream(
      run([chunk({ content: "I'll get the weather" }), chunk({ tool_calls: [{ index: 0, id: "toolu_1", function: { name: "weather", arguments: '{"location":"Florence"}' } }] }), chunk({}, "tool_calls"), DONE]),
    );
    const shape = (m: AssembledMessage) => m.types.filter((t) => t !== "ping").filter((t, i, all) => t !== "content_block_delta" || all[i - 1] !== "content_block_delta");
    expect(shape(ours)).toEqual(shape(recorded));
    expect(Object.keys(ours.message)).toEqual(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]);
    for (const k of Object.keys(ours.message)) expect(Object.keys(recorded.message)).toContain(k);
  });
});
