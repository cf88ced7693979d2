/**
 * The chat stream validator/assembler (test/helpers/chat-stream-check.ts): every recorded chat
 * stream parses in lenient mode, OpenAI's own recordings pass the strict mode, a few recordings
 * assemble to values read off the files by hand, and each strict rule rejects its violation.
 */
import { describe, expect, test } from "bun:test";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

function decode(bytes: Uint8Array): SseEvent[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

const chatStreams = loadFixtures().filter((f) => f.protocol === "chat" && f.stream);
const events = (name: string) => decode(chatStreams.find((f) => f.name === `chat/${name}`)!.bytes);

describe("lenient: every recorded chat stream", () => {
  test("there are recordings to check", () => expect(chatStreams.length).toBeGreaterThanOrEqual(20));
  for (const f of chatStreams) {
    test(f.name, () => {
      const evs = decode(f.bytes);
      expect(() => checkChatStream(evs, { lenient: true })).not.toThrow();
      const a = assembleChat(evs);
      // Every recording produced something: text, reasoning, a refusal, tool calls or an error.
      expect(a.text.length + a.reasoning.length + a.refusal.length + a.toolCalls.length + (a.error ? 1 : 0)).toBeGreaterThan(0);
    });
  }
});

describe("strict: OpenAI's own chat streams are the grammar we emit", () => {
  for (const name of ["openai-text-usage.sse", "openai-tool-call.sse", "openai-tool-calls-parallel.sse", "openai-refusal.sse", "openai-structured-output.sse"]) {
    test(name, () => expect(() => checkChatStream(events(name), { usage: true })).not.toThrow());
  }
  test("the other providers' quirks fail strict mode", () => {
    for (const name of ["azure-content-filter-usage.sse", "openrouter-tool-calls-parallel.sse", "hf-tgi-text-no-done.sse", "hyperbolic-usage-every-chunk.sse", "groq-tool-use-failed-midstream.sse", "alibaba-tool-call.sse", "ollama-text.sse"]) {
      expect(() => checkChatStream(events(name))).toThrow();
    }
  });
});

describe("assembleChat: values read off the recordings", () => {
  test("openai-text-usage: text and usage from the choices:[] chunk", () => {
    const a = assembleChat(events("openai-text-usage.sse"));
    expect(a).toEqual({ text: "The capital of the UK is London.", reasoning: "", refusal: "", toolCalls: [], usage: { input: 78, output: 9, total: 87, cached: 0, reasoningTokens: 0 }, finishReason: "stop" });
  });
  test("openai-tool-call: arguments joined from five fragments", () => {
    const a = assembleChat(events("openai-tool-call.sse"));
    expect(a.toolCalls).toEqual([{ id: "call_ZR5UUuTt3pf61kjwAJIYdVMj", name: "get_capital", arguments: '{"country":"UK"}' }]);
    expect(a.finishReason).toBe("tool_calls");
    expect(a.usage).toEqual({ input: 53, output: 15, total: 68, cached: 0, reasoningTokens: 0 });
  });
  test("alibaba-tool-call: an empty continuation id does not overwrite the real one", () => {
    const a = assembleChat(events("alibaba-tool-call.sse"));
    expect(a.toolCalls).toEqual([{ id: "call_eee11723464a4b9eb8cee71d", name: "weather", arguments: '{"location": "San Francisco"}' }]);
    expect(a.usage).toEqual({ input: 295, output: 22, total: 317, cached: 0 });
  });
  test("openrouter-tool-calls-parallel: two calls, usage from the duplicate finish chunk", () => {
    const a = assembleChat(events("openrouter-tool-calls-parallel.sse"));
    expect(a.toolCalls).toEqual([
      { id: "call_8I6muAnyFaBjKyotk1gPRTwU", name: "add", arguments: '{"a":2,"b":3}' },
      { id: "call_pKAAv6bKX2qLYJ85RW4Hxqfp", name: "multiply", arguments: '{"a":2,"b":3}' },
    ]);
    expect(a.finishReason).toBe("tool_calls");
    expect(a.usage?.input).toBe(109);
    expect(a.usage?.output).toBe(54);
    expect(a.usage?.total).toBe(163);
  });
  test("openrouter-error-midstream: reasoning counted once (reasoning + reasoning_details), error kept", () => {
    const a = assembleChat(events("openrouter-error-midstream.sse"));
    expect(a.reasoning).toBe("We need to respond to a greeting. The user");
    expect(a.error).toEqual({ message: "Token limit reached", code: 400 });
    expect(a.finishReason).toBe("length");
  });
  test("groq-tool-use-failed-midstream: named error event", () => {
    const a = assembleChat(events("groq-tool-use-failed-midstream.sse"));
    expect(a.reasoning.startsWith("We need to call the tool with invalid parameters first, then second call with valid args.")).toBe(true);
    expect(a.error?.code).toBe("tool_use_failed");
    expect(a.error?.type).toBe("invalid_request_error");
  });
  test("deepseek-reasoning-tool-call: prompt cache hits, reasoning tokens", () => {
    const a = assembleChat(events("deepseek-reasoning-tool-call.sse"));
    expect(a.usage).toEqual({ input: 339, output: 83, total: 422, cached: 320, reasoningTokens: 39 });
    expect(a.reasoning.startsWith("The user")).toBe(true);
    expect(a.toolCalls.length).toBe(1);
  });
  test("groq-text: usage from x_groq / the choices:[] chunk", () => {
    expect(assembleChat(events("groq-text.sse")).usage).toEqual({ input: 20, output: 4, total: 24 });
  });
  test("hyperbolic: running usage totals, the last wins", () => {
    const a = assembleChat(events("hyperbolic-usage-every-chunk.sse"));
    expect(a.usage).toEqual({ input: 48, output: 3, total: 51 });
    expect(a.text).toBe("2");
  });
  test("openai-refusal: refusal kept apart from content", () => {
    const a = assembleChat(events("openai-refusal.sse"));
    expect(a.text).toBe("");
    expect(a.refusal.startsWith("I'm sorry")).toBe(true);
  });
  test("ollama-tool-calls-parallel: whole calls in one chunk", () => {
    const a = assembleChat(events("ollama-tool-calls-parallel.sse"));
    expect(a.toolCalls).toEqual([
      { id: "call_wteop8bt", name: "run_command", arguments: '{"command":"ls"}' },
      { id: "call_rk2xye1l", name: "run_command", arguments: '{"command":"ls -l"}' },
    ]);
    expect(a.usage).toBeNull();
  });
});

// A well-formed stream of our own, to be broken one rule at a time.
const base = { id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "m" };
const chunk = (delta: object, finish: string | null = null) => ({ data: JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }) });
const usageChunk = { data: JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }) };
const DONE = { data: "[DONE]" };
const good = (): SseEvent[] => [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "hi" }),
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }),
  chunk({}, "tool_calls"),
  usageChunk,
  DONE,
];

describe("strict rules", () => {
  test("the good stream passes and assembles", () => {
    expect(() => checkChatStream(good(), { usage: true })).not.toThrow();
    expect(assembleChat(good())).toEqual({ text: "hi", reasoning: "", refusal: "", toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }], usage: { input: 1, output: 2, total: 3 }, finishReason: "tool_calls" });
  });
  const broken: [string, (s: SseEvent[]) => SseEvent[], RegExp][] = [
    ["id changes", (s) => (s.splice(1, 1, { data: s[1]!.data.replace("chatcmpl-x", "chatcmpl-y") }), s), /'id' changed/],
    ["no role first", (s) => (s.splice(0, 1), s), /first delta must carry role/],
    ["role repeated", (s) => (s.splice(1, 1, chunk({ role: "assistant", content: "hi" })), s), /role repeated/],
    ["finish twice", (s) => (s.splice(4, 0, chunk({}, "stop")), s), /finish_reason set a second time|choice chunk after the finish/],
    ["finish with content", (s) => (s.splice(4, 1, chunk({ content: "x" }, "stop")), s), /empty delta/],
    ["usage on a choice chunk", (s) => (s.splice(1, 1, { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null, logprobs: null }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }) }), s), /usage on a choice chunk/],
    ["usage missing", (s) => (s.splice(5, 1), s), /without the usage chunk/],
    ["no [DONE]", (s) => (s.pop(), s), /ends without \[DONE\]/],
    ["event after [DONE]", (s) => (s.push(chunk({ content: "late" })), s), /after \[DONE\]/],
    ["continuation repeats id", (s) => (s.splice(3, 1, chunk({ tool_calls: [{ index: 0, id: "", function: { arguments: "{}" } }] })), s), /repeats id/],
    ["first tool delta without name", (s) => (s.splice(2, 1, chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { arguments: "" } }] })), s), /needs function.name/],
    ["tool index skips", (s) => (s.splice(2, 2, chunk({ tool_calls: [{ index: 1, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] })), s), /skips ahead/],
    ["an event: line", (s) => (s.splice(1, 1, { event: "message", data: s[1]!.data }), s), /no 'event:' field/],
    ["logprobs missing", (s) => (s.splice(1, 1, { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] }) }), s), /logprobs must be null/],
    ["not JSON", (s) => (s.splice(1, 1, { data: "{oops" }), s), /not JSON/],
  ];
  for (const [name, breakIt, message] of broken) {
    test(name, () => expect(() => checkChatStream(breakIt(good()), { usage: true })).toThrow(message));
  }
  test("a single error chunk ends a stream; anything after it (even [DONE]) is rejected", () => {
    const err = { data: JSON.stringify({ error: { message: "boom", type: "upstream_error", code: "x", param: null } }) };
    const s = [chunk({ role: "assistant", content: "" }), chunk({ content: "a" }), err];
    expect(() => checkChatStream(s)).not.toThrow();
    expect(assembleChat(s).error).toEqual({ message: "boom", type: "upstream_error", code: "x" });
    expect(() => checkChatStream([...s, DONE])).toThrow(/after the error chunk/);
    expect(() => checkChatStream([chunk({ role: "assistant", content: "" }), { data: JSON.stringify({ error: { message: "boom" } }) }])).toThrow(/error.type|lacks error/);
  });
  test("usage: false forbids the usage chunk", () => {
    expect(() => checkChatStream(good(), { usage: false })).toThrow(/include_usage was not requested/);
  });
});
