/**
 * What the hub reads beside the byte stream: every recorded stream is observed event by event
 * (with the event's 1-based index as its timestamp) and checked against the numbers visible in
 * the recording itself: usage, the first event with content, the Responses id, in-band errors.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { leadingError, usageFromChat, usageFromMessages, observeChatEvent, observeEvent, observeJsonBody, observeResponsesEvent, usageFromResponses, type Observation } from "../../src/protocol/observe.ts";
import { usageInMessagesBytes } from "../../src/protocol/usage-in-bytes.ts";
import { FIXTURES_DIR, fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";

type Expect = { usage?: [number, number, number]; firstContent?: number; responseId?: string; error?: string };

const QUOTA = "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.";

/** Read off the recordings: the last top-level `usage`, the first event whose delta has content. */
const EXPECTED: Record<string, Expect> = {
  "chat/alibaba-tool-call.sse": { usage: [295, 22, 317], firstContent: 1 },
  "chat/azure-content-filter-usage.sse": { usage: [19, 76, 95], firstContent: 3 },
  "chat/deepseek-reasoning-tool-call.sse": { usage: [339, 83, 422], firstContent: 2 },
  "chat/groq-text.sse": { usage: [20, 4, 24], firstContent: 2 },
  "chat/groq-tool-calls-parallel.sse": { usage: [201, 58, 259], firstContent: 2 },
  "chat/groq-tool-use-failed-midstream.sse": {
    firstContent: 2,
    error: "Tool call validation failed: tool call validation failed: parameters for tool get_something_by_name did not match schema: errors: [missing properties: 'name', additionalProperties 'invalid_param' not allowed]",
  },
  "chat/hf-tgi-text-no-done.sse": { firstContent: 1 },
  "chat/hyperbolic-usage-every-chunk.sse": { usage: [48, 3, 51], firstContent: 2 },
  "chat/llamacpp-reasoning-timings.sse": { usage: [84, 57, 141], firstContent: 2 },
  "chat/llamacpp-tiny-text-usage.sse": { usage: [19, 12, 31], firstContent: 2 },
  "chat/llamacpp-tiny-tools-text.sse": { firstContent: 2 },
  "chat/llamacpp-tool-call.sse": { usage: [139, 41, 180], firstContent: 2 },
  "chat/ollama-text.sse": { firstContent: 1 },
  "chat/ollama-tool-calls-parallel.sse": { firstContent: 1 },
  "chat/openai-refusal.sse": { usage: [79, 11, 90], firstContent: 2 },
  "chat/openai-structured-output.sse": { usage: [79, 14, 93], firstContent: 2 },
  "chat/openai-text-usage.sse": { usage: [78, 9, 87], firstContent: 2 },
  "chat/openai-tool-call.sse": { usage: [53, 15, 68], firstContent: 1 },
  "chat/openai-tool-calls-parallel.sse": { usage: [106, 50, 156], firstContent: 2 },
  "chat/openrouter-error-midstream.sse": { usage: [43, 10, 53], firstContent: 1, error: "Token limit reached" },
  "chat/openrouter-reasoning.sse": { usage: [43, 36, 79], firstContent: 3 },
  "chat/openrouter-tool-calls-parallel.sse": { usage: [109, 54, 163], firstContent: 1 },
  "chat/together-text-eos.sse": { usage: [48, 2, 50], firstContent: 1 },
  "chat/vllm-text-usage.sse": { usage: [46, 14, 60], firstContent: 2 },
  "responses/deepseek-reasoning-text.sse": { usage: [90, 15, 105], firstContent: 5, responseId: "bf5e7791-6c05-44ca-b7e0-56aa217150b1" },
  "responses/llamacpp-tiny-text.sse": { usage: [19, 12, 31], firstContent: 5, responseId: "resp_UEoJfvHE6vADFIupfDux10NOYxwcXPcm" },
  "responses/llamacpp-tiny-tools-text.sse": { usage: [25, 12, 37], firstContent: 5, responseId: "resp_FbG4ptnqfDe6gRi7UmRWzm05QHlFGyPu" },
  "responses/lmstudio-reasoning-function-call.sse": { usage: [182, 61, 243], firstContent: 5, responseId: "resp_cc7bfe18e2f2eca93006515c0fd19cfed16e46a93a60444a" },
  "responses/openai-error-quota.sse": { responseId: "resp_05500b38c2cd9bfc00691c7c9d222481a3b595421266dab424", error: QUOTA },
  "responses/openai-function-call.sse": { usage: [255, 16, 271], firstContent: 4, responseId: "resp_67e554a155508191900ee113293c4c830794405d35281ae2" },
  "responses/openai-function-calls-parallel.sse": { usage: [104, 51, 155], firstContent: 4, responseId: "resp_00483e9118f52e4c016a3c1214d5d8819da2ca22014dbd1961" },
  "responses/openai-reasoning-summary-function-call.sse": { usage: [63, 121, 184], firstContent: 5, responseId: "resp_017e85da2ae23b69016a3c12518cc0819da56cbbdd33f128f3" },
  "responses/openai-text.sse": { usage: [19, 118, 137], firstContent: 7, responseId: "resp_0f80f320b6d3bc2b016a3c121983f08192898904ff92319f9f" },
  "responses/openrouter-reasoning-text.sse": { usage: [78, 37, 115], firstContent: 5, responseId: "gen-1764265411-Fu1iEX7h5MRWiL79lb94" },
  // Messages: the whole prompt (input + cache creation + cache read, message_delta's over message_start's), the first content_block_delta.
  "messages/anthropic-max-tokens.sse": { usage: [15, 50, 65], firstContent: 3 },
  "messages/anthropic-redacted-thinking.sse": { usage: [92, 189, 281], firstContent: 10 },
  "messages/anthropic-text-then-tool-use.sse": { usage: [394, 67, 461], firstContent: 4 },
  "messages/anthropic-text-usage.sse": { usage: [16, 38, 54], firstContent: 4 },
  "messages/anthropic-thinking-tool-use.sse": { usage: [424, 119, 543], firstContent: 4 },
  "messages/anthropic-tool-use-parallel.sse": { usage: [502, 137, 639], firstContent: 4 },
  "messages/anthropic-web-search-cache.sse": { usage: [2081 + 7621 + 28247, 574, 37949 + 574], firstContent: 4 },
  "messages/llamacpp-tiny-text.sse": { usage: [18 + 1, 12, 31], firstContent: 3 },
  "messages/llamacpp-tiny-tools-text.sse": { usage: [24 + 1, 12, 37], firstContent: 3 },
  // Vertex's message_delta carries only output_tokens: the input stays message_start's.
  "messages/vertex-claude-text.sse": { usage: [16, 16, 32], firstContent: 4 },
};

function events(bytes: Uint8Array): SseEvent[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

const streams = loadFixtures(["chat", "responses", "messages"]).filter((f) => f.stream);

test("every streaming recording has an expectation", () => {
  expect(streams.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(streams.map((f) => [f.name, f] as const))("%s", (name, fixture) => {
  test("usage, first content, response id and error match the recording", () => {
    const exp = EXPECTED[name]!;
    const obs: Observation = {};
    const evs = events(fixture.bytes);
    evs.forEach((ev, i) => observeEvent(fixture.protocol, obs, ev, i + 1));
    const [inputTokens, outputTokens, totalTokens] = exp.usage ?? [];
    // The final Response (of a Responses stream's terminal event) is checked on its own below.
    const { response: _final, ...rest } = obs;
    expect(rest).toEqual({
      firstEventAt: 1,
      ...(exp.firstContent !== undefined && { firstContentAt: exp.firstContent }),
      ...(exp.usage && { usage: { inputTokens, outputTokens, totalTokens } }),
      ...(exp.responseId && { responseId: exp.responseId }),
      ...(exp.error && { error: exp.error }),
    });
  });

  if (fixture.protocol === "responses") {
    test("the response id is known from response.created, before any content", () => {
      const obs: Observation = {};
      for (const [i, ev] of events(fixture.bytes).entries()) {
        observeResponsesEvent(obs, ev, i + 1);
        if ((ev.event ?? JSON.parse(ev.data).type) === "response.created") break;
      }
      expect(obs.responseId).toBe(EXPECTED[name]!.responseId!);
      expect(obs.firstContentAt).toBeUndefined();
      // response.created's Response is a start, not the final one the hub keeps.
      expect(obs.response).toBeUndefined();
    });

    test("the final Response is the terminal event's, output and all", () => {
      const obs: Observation = {};
      const evs = events(fixture.bytes);
      evs.forEach((ev, i) => observeResponsesEvent(obs, ev, i + 1));
      const terminal = evs.map((ev) => JSON.parse(ev.data === "[DONE]" ? "{}" : ev.data)).findLast((d) => /^response\.(completed|incomplete|failed)$/.test(d.type));
      expect(obs.response).toEqual(terminal?.response);
      if (terminal) expect(obs.response!.id).toBe(EXPECTED[name]!.responseId!);
    });
  }
});

describe("usageFromChat and usageFromResponses", () => {
  test("map OpenAI's names and ignore extra fields", () => {
    expect(usageFromChat({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, cost: 0.1 })).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
    expect(usageFromResponses({ input_tokens: 3, output_tokens: 4, total_tokens: 7, input_tokens_details: {} })).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
  });

  test("missing, null and non-object usage is undefined", () => {
    for (const u of [undefined, null, {}, { foo: 1 }]) {
      expect(usageFromChat(u as never)).toBeUndefined();
      expect(usageFromResponses(u as never)).toBeUndefined();
    }
  });

  test("non-numeric and non-finite counts are dropped, the rest kept", () => {
    expect(usageFromChat({ prompt_tokens: "3", completion_tokens: Number.NaN, total_tokens: 9 })).toEqual({ inputTokens: undefined, outputTokens: undefined, totalTokens: 9 });
    expect(usageFromResponses({ input_tokens: 5, output_tokens: Infinity })).toEqual({ inputTokens: 5, outputTokens: undefined, totalTokens: undefined });
  });

  test("the protocols do not read each other's names", () => {
    expect(usageFromChat({ input_tokens: 1, output_tokens: 2, total_tokens: undefined })).toBeUndefined();
    expect(usageFromResponses({ prompt_tokens: 1, completion_tokens: 2 })).toBeUndefined();
  });
});

describe("observeChatEvent", () => {
  const run = (...evs: SseEvent[]) => {
    const obs: Observation = {};
    evs.forEach((ev, i) => observeChatEvent(obs, ev, 100 + i));
    return obs;
  };
  const chunk = (delta: object, extra: object = {}) => ({ data: JSON.stringify({ choices: [{ index: 0, delta }], ...extra }) });

  test("firstEventAt is the first event, even [DONE]; nothing else is read from it", () => {
    expect(run({ data: "[DONE]" })).toEqual({ firstEventAt: 100 });
  });

  test("role-only, empty and null deltas are not content", () => {
    const obs = run(chunk({ role: "assistant", content: "" }), chunk({ content: null, refusal: null }), chunk({ tool_calls: [] }), chunk({}));
    expect(obs.firstContentAt).toBeUndefined();
  });

  test.each([
    ["content", { content: "x" }],
    ["reasoning_content", { reasoning_content: "x" }],
    ["reasoning", { reasoning: "x" }],
    ["refusal", { refusal: "x" }],
    ["tool_calls", { tool_calls: [{ index: 0 }] }],
  ])("%s counts as content, and only the first time", (_k, delta) => {
    expect(run(chunk({ role: "assistant" }), chunk(delta), chunk({ content: "later" })).firstContentAt).toBe(101);
  });

  test("content in a later choice counts", () => {
    expect(run({ data: JSON.stringify({ choices: [{ delta: {} }, { delta: { content: "b" } }] }) }).firstContentAt).toBe(100);
  });

  test("a later usage replaces an earlier one; usage:null does not erase it", () => {
    const obs = run(
      chunk({ content: "a" }, { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
      chunk({ content: "b" }, { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
      chunk({}, { usage: null }),
    );
    expect(obs.usage).toEqual({ inputTokens: 1, outputTokens: 2, totalTokens: 3 });
  });

  test("`event: error` takes the message from JSON, or the raw data", () => {
    expect(run({ event: "error", data: '{"error":{"message":"boom"}}' }).error).toBe("boom");
    expect(run({ event: "error", data: '{"error":"plain"}' }).error).toBe("plain");
    expect(run({ event: "error", data: "not json" }).error).toBe("not json");
    expect(run({ event: "error", data: '{"error":{"code":500}}' }).error).toBe("upstream reported an error");
  });

  test("an error field in a data chunk is reported, after content too", () => {
    expect(run(chunk({ content: "a" }), { data: '{"error":{"message":"mid-stream"}}' }).error).toBe("mid-stream");
    expect(run({ data: '{"error":"as string"}' }).error).toBe("as string");
  });

  test("invalid JSON is ignored", () => {
    expect(run({ data: "{not json" }, { data: '"a string"' })).toEqual({ firstEventAt: 100 });
  });
});

describe("observeResponsesEvent", () => {
  const run = (...evs: SseEvent[]) => {
    const obs: Observation = {};
    evs.forEach((ev, i) => observeResponsesEvent(obs, ev, 10 + i));
    return obs;
  };
  const ev = (type: string, body: object = {}, withEventLine = true): SseEvent =>
    withEventLine ? { event: type, data: JSON.stringify({ type, ...body }) } : { data: JSON.stringify({ type, ...body }) };

  test("any .delta or function_call_arguments.done is first content; other events are not", () => {
    expect(run(ev("response.created"), ev("response.output_item.added"), ev("response.content_part.added")).firstContentAt).toBeUndefined();
    expect(run(ev("response.created"), ev("response.refusal.delta"), ev("response.output_text.delta")).firstContentAt).toBe(11);
    expect(run(ev("response.in_progress"), ev("response.function_call_arguments.done")).firstContentAt).toBe(11);
  });

  test("the type comes from the data when there is no event line (OpenRouter)", () => {
    const obs = run(ev("response.created", { response: { id: "gen-1" } }, false), ev("response.output_text.delta", { delta: "x" }, false));
    expect(obs).toEqual({ firstEventAt: 10, firstContentAt: 11, responseId: "gen-1" });
  });

  test("the first response id wins", () => {
    expect(run(ev("response.created", { response: { id: "a" } }), ev("response.completed", { response: { id: "b" } })).responseId).toBe("a");
  });

  test("usage from response.incomplete is read", () => {
    const obs = run(ev("response.incomplete", { response: { id: "r", usage: { input_tokens: 2, output_tokens: 5, total_tokens: 7 } } }));
    expect(obs.usage).toEqual({ inputTokens: 2, outputTokens: 5, totalTokens: 7 });
    expect(obs.error).toBeUndefined();
  });

  test("response.failed reports its error unless an error event came first", () => {
    expect(run(ev("response.failed", { response: { error: { message: "failed!" } } })).error).toBe("failed!");
    expect(run(ev("response.failed", { response: {} })).error).toBe("upstream reported an error");
    expect(run(ev("error", { message: "first" }), ev("response.failed", { response: { error: { message: "second" } } })).error).toBe("first");
  });

  test("an error event's message is read from `error` or the event itself", () => {
    expect(run(ev("error", { error: { message: "nested" } })).error).toBe("nested");
    expect(run(ev("error", { code: "x", message: "flat" })).error).toBe("flat");
  });

  test("[DONE] and typeless data are ignored", () => {
    expect(run({ data: "[DONE]" }, { data: "{}" }, { data: "garbage" })).toEqual({ firstEventAt: 10 });
  });
});

describe("observeJsonBody", () => {
  const json = (name: string) => JSON.parse(readFileSync(join(FIXTURES_DIR, name), "utf8"));

  test.each([
    ["chat/openai-text.json", [20, 2, 22]],
    ["chat/fireworks-think-tags.json", [15, 417, 432]],
    ["chat/llamacpp-reasoning-timings.json", [84, 47, 131]],
    ["chat/deepseek-structured-output-reasoning.json", [495, 144, 639]],
  ] as const)("chat %s", (name, [i, o, t]) => {
    expect(observeJsonBody("chat", json(name))).toEqual({ usage: { inputTokens: i, outputTokens: o, totalTokens: t } });
  });

  test("responses bodies give usage and id", () => {
    const text = json("responses/openai-text.json");
    expect(observeJsonBody("responses", text)).toEqual({
      usage: { inputTokens: 19, outputTokens: 86, totalTokens: 105 },
      responseId: "resp_0320e3f50879ffd0016a3c1217824881a09817355d0690c260",
      response: text,
    });
    const call = json("responses/lmstudio-function-call.json");
    expect(observeJsonBody("responses", call)).toEqual({
      usage: { inputTokens: 1189, outputTokens: 11, totalTokens: 1200 },
      responseId: "resp_930de53bd4b5933673481fa630f3dc5f58027a2c67598a2a",
      response: call,
    });
  });

  test("error bodies and no body give nothing", () => {
    expect(observeJsonBody("chat", json("chat/openrouter-error-429.json")).usage).toBeUndefined();
    expect(observeJsonBody("responses", json("responses/openai-error-quota.json"))).toEqual({ usage: undefined, responseId: undefined });
    expect(observeJsonBody("chat", undefined)).toEqual({});
  });
});

describe("leadingError: a stream that opens with an error (the hub may still send the request elsewhere)", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  test("chat: an {error} chunk or an `error` event first, comments before it aside", () => {
    expect(leadingError("chat", bytes(': ping\n\ndata: {"error":{"message":"overloaded","code":"overloaded"}}\n\n'))).toEqual({ message: "overloaded", code: "overloaded" });
    expect(leadingError("chat", bytes('event: error\ndata: {"error":{"message":"boom","code":429}}\n\n'))).toEqual({ message: "boom", code: "429" });
    expect(leadingError("chat", bytes('data: {"error":"plain words"}\n\n'))).toEqual({ message: "plain words", code: undefined });
  });

  test("Responses: `error`, `response.failed`, or chat's error shape on /v1/responses", () => {
    expect(leadingError("responses", bytes('event: error\ndata: {"type":"error","code":"server_error","message":"down"}\n\n'))).toEqual({ message: "down", code: "server_error" });
    expect(leadingError("responses", bytes('data: {"type":"error","code":"x","message":"data-only"}\n\n'))).toEqual({ message: "data-only", code: "x" });
    expect(leadingError("responses", bytes('event: response.failed\ndata: {"type":"response.failed","response":{"error":{"code":"quota","message":"no credit"}}}\n\n'))).toEqual({ message: "no credit", code: "quota" });
    expect(leadingError("responses", bytes('data: {"error":{"message":"chat-shaped"}}\n\n'))).toEqual({ message: "chat-shaped", code: undefined });
  });

  test("Messages: an `error` event (its type is the code), or chat's error shape on /v1/messages (llama.cpp's)", () => {
    expect(leadingError("messages", bytes('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'))).toEqual({ message: "Overloaded", code: "overloaded_error" });
    expect(leadingError("messages", bytes('data: {"error":{"code":500,"message":"boom","type":"server_error"}}\n\n'))).toEqual({ message: "boom", code: "500" });
    expect(leadingError("messages", bytes('event: message_start\ndata: {"type":"message_start","message":{"error":null}}\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"later"}}\n\n'))).toBeUndefined();
  });

  test("anything else is no error: content first, an error after the first event, an incomplete event, every recording that opens normally", () => {
    expect(leadingError("chat", bytes('data: {"choices":[{"delta":{"content":"error"}}]}\n\ndata: {"error":{"message":"later"}}\n\n'))).toBeUndefined();
    expect(leadingError("responses", bytes('event: response.created\ndata: {"type":"response.created","response":{"error":null}}\n\nevent: error\ndata: {"type":"error"}\n\n'))).toBeUndefined();
    expect(leadingError("chat", bytes('data: {"error":{"message":"cut'))).toBeUndefined();
    expect(leadingError("chat", bytes("data: [DONE]\n\n"))).toBeUndefined();
    for (const f of loadFixtures(["chat", "responses", "messages"]).filter((f) => f.stream && !f.name.includes("error"))) {
      expect({ name: f.name, error: leadingError(f.protocol, f.bytes) }).toEqual({ name: f.name, error: undefined });
    }
  });
});

describe("usageFromMessages and Messages bodies", () => {
  test("the whole prompt: input + cache creation + cache read; output; their total", () => {
    expect(usageFromMessages({ input_tokens: 3, cache_creation_input_tokens: 598, cache_read_input_tokens: 100, output_tokens: 20, service_tier: "standard" })).toEqual({ inputTokens: 701, outputTokens: 20, totalTokens: 721 });
    expect(usageFromMessages({ output_tokens: 16 })).toEqual({ inputTokens: undefined, outputTokens: 16, totalTokens: undefined });
    for (const u of [undefined, null, {}, { prompt_tokens: 1, completion_tokens: 2 }]) expect(usageFromMessages(u)).toBeUndefined();
  });

  test("every recorded Messages body: parsed (watched) and read off its bytes (unwatched) say the same", () => {
    const bodies = loadFixtures(["messages"]).filter((f) => !f.stream && fixtureStatus(f.name) === 200);
    expect(bodies.length).toBeGreaterThan(4);
    for (const f of bodies) {
      const body = JSON.parse(new TextDecoder().decode(f.bytes));
      const u = body.usage;
      const prompt = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      const want = { inputTokens: prompt, outputTokens: u.output_tokens, totalTokens: prompt + u.output_tokens };
      expect({ name: f.name, usage: observeJsonBody("messages", body).usage }).toEqual({ name: f.name, usage: want });
      expect({ name: f.name, usage: usageInMessagesBytes(f.bytes) }).toEqual({ name: f.name, usage: want });
    }
  });
});
