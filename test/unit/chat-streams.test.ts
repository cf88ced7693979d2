/**
 * The `gambi chat` readers against every recorded provider stream: the text they extract must be
 * the whole answer (Responses: what the recording's own `response.output_text.done` events say;
 * Chat Completions: the answer read off the recording by hand), usage and errors as recorded,
 * and none of it may depend on where the bytes were split.
 */
import { describe, expect, test } from "bun:test";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { readChatBody, readChatEvent } from "../../src/chat/chat-stream.ts";
import { readResponsesBody, readResponsesEvent } from "../../src/chat/responses-stream.ts";
import type { StreamPart } from "../../src/chat/parts.ts";
import { loadFixtures, type Fixture } from "../helpers/fixtures.ts";

const fixtures = loadFixtures();
const byName = (name: string) => fixtures.find((f) => f.name === name)!;

function decode(bytes: Uint8Array, chunkSize = bytes.length): SseEvent[] {
  const d = new SseDecoder();
  const out: SseEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) out.push(...d.push(bytes.subarray(i, i + chunkSize)));
  out.push(...d.end());
  return out;
}

function read(f: Fixture, chunkSize?: number): StreamPart[] {
  const reader = f.protocol === "chat" ? readChatEvent : readResponsesEvent;
  return decode(f.bytes, chunkSize).flatMap(reader);
}

interface Summary {
  text: string;
  reasoning: number;
  outputTokens?: number;
  errors: string[];
  finish?: string;
  responseId?: string;
}

function summarize(parts: StreamPart[]): Summary {
  const s: Summary = { text: "", reasoning: 0, errors: [] };
  for (const p of parts) {
    if (p.type === "text") s.text += p.text;
    else if (p.type === "reasoning") s.reasoning += p.text.length;
    else if (p.type === "usage") s.outputTokens = p.usage.outputTokens;
    else if (p.type === "error") s.errors.push(p.message);
    else if (p.type === "finish") s.finish = p.reason;
    else if (p.type === "response-id") s.responseId ??= p.id;
  }
  return s;
}

/** Read off the recordings: the answer text (refusals included), the last usage's output tokens, the last finish reason. */
const CHAT: Record<string, { text: string; outputTokens?: number; finish?: string; reasoning?: boolean; error?: string }> = {
  "chat/alibaba-tool-call.sse": { text: "", outputTokens: 22, finish: "tool_calls" },
  "chat/azure-content-filter-usage.sse": { text: "Oi!", outputTokens: 76, finish: "stop" },
  "chat/deepseek-reasoning-tool-call.sse": { text: "", outputTokens: 83, finish: "tool_calls", reasoning: true },
  "chat/groq-text.sse": { text: "Olá!", outputTokens: 4, finish: "stop" },
  "chat/groq-tool-calls-parallel.sse": { text: "I'll perform both addition and multiplication on the numbers 2 and 3 for you.", outputTokens: 58, finish: "tool_calls" },
  "chat/groq-tool-use-failed-midstream.sse": { text: "", reasoning: true, error: "Tool call validation failed" },
  "chat/hf-tgi-text-no-done.sse": { text: " The answer to the equation 1 + 1 is 2.</s>", finish: "eos_token" },
  "chat/hyperbolic-usage-every-chunk.sse": { text: "2", outputTokens: 3, finish: "stop" },
  "chat/llamacpp-reasoning-timings.sse": { text: "Olá!", outputTokens: 57, finish: "stop", reasoning: true },
  "chat/llamacpp-tiny-text-usage.sse": { text: " shall YOURDAMAdisclai becerroneou thatdistinguish regenstill Installationsayin", outputTokens: 12, finish: "length" },
  "chat/llamacpp-tiny-tools-text.sse": { text: " shall YOURDAMAdisclai becerroneou thatdistinguish regenstill Installationsayin", finish: "length" },
  "chat/llamacpp-tool-call.sse": { text: "", outputTokens: 41, finish: "tool_calls", reasoning: true },
  "chat/ollama-text.sse": { text: "Atlantic Sea.", finish: "stop" },
  "chat/ollama-tool-calls-parallel.sse": { text: "", finish: "tool_calls" },
  "chat/openai-refusal.sse": { text: "I'm sorry, I can't assist with that request.", outputTokens: 11, finish: "stop" },
  "chat/openai-structured-output.sse": { text: '{"city":"San Francisco","temperature":61,"units":"f"}', outputTokens: 14, finish: "stop" },
  "chat/openai-text-usage.sse": { text: "The capital of the UK is London.", outputTokens: 9, finish: "stop" },
  "chat/openai-tool-call.sse": { text: "", outputTokens: 15, finish: "tool_calls" },
  "chat/openai-tool-calls-parallel.sse": { text: "", outputTokens: 50, finish: "tool_calls" },
  "chat/openrouter-error-midstream.sse": { text: "", outputTokens: 10, finish: "length", reasoning: true, error: "Token limit reached" },
  "chat/openrouter-reasoning.sse": { text: "2 + 2 = 4", outputTokens: 36, finish: "stop", reasoning: true },
  "chat/openrouter-tool-calls-parallel.sse": { text: "", outputTokens: 54, finish: "tool_calls" },
  "chat/together-text-eos.sse": { text: "2", outputTokens: 2, finish: "eos" },
  "chat/vllm-text-usage.sse": { text: "1, 2, 3, 4, 5", outputTokens: 14, finish: "stop" },
};

/** The recording's own statement of the full text: `response.output_text.done`, parsed without the reader. */
function doneText(f: Fixture): string {
  return decode(f.bytes)
    .map((ev) => (ev.data === "[DONE]" ? undefined : JSON.parse(ev.data)))
    .filter((d) => d?.type === "response.output_text.done")
    .map((d) => d.text as string)
    .join("");
}

/** The recording's `response.completed` usage, parsed without the reader. */
function completedOutputTokens(f: Fixture): number | undefined {
  const done = decode(f.bytes)
    .map((ev) => (ev.data === "[DONE]" ? undefined : JSON.parse(ev.data)))
    .find((d) => d?.type === "response.completed");
  return done?.response?.usage?.output_tokens;
}

describe("chat completions streams", () => {
  const streams = fixtures.filter((f) => f.protocol === "chat" && f.stream);
  test("every recorded chat stream has an expectation", () => {
    expect(streams.map((f) => f.name).sort()).toEqual(Object.keys(CHAT).sort());
  });
  for (const f of streams) {
    test(f.name, () => {
      const want = CHAT[f.name]!;
      const got = summarize(read(f));
      expect(got.text).toBe(want.text);
      expect(got.outputTokens).toBe(want.outputTokens);
      expect(got.finish).toBe(want.finish);
      expect(got.reasoning > 0).toBe(want.reasoning ?? false);
      if (want.error) {
        expect(got.errors).toHaveLength(1);
        expect(got.errors[0]).toContain(want.error);
      } else expect(got.errors).toEqual([]);
      // Byte-at-a-time and odd splits give the same parts as the whole body.
      expect(read(f, 1)).toEqual(read(f));
      expect(read(f, 7)).toEqual(read(f));
    });
  }
});

describe("responses streams", () => {
  const streams = fixtures.filter((f) => f.protocol === "responses" && f.stream);
  for (const f of streams) {
    test(f.name, () => {
      const got = summarize(read(f));
      expect(got.text).toBe(doneText(f));
      expect(got.outputTokens).toBe(completedOutputTokens(f));
      expect(got.responseId).toBeString();
      expect(read(f, 3)).toEqual(read(f));
      if (f.name === "responses/openai-error-quota.sse") {
        // OpenAI sends `error` then `response.failed` for the one failure; the reader reports both, the caller keeps the first.
        expect(got.errors).toHaveLength(2);
        expect(got.errors[0]).toStartWith("You exceeded your current quota");
        expect(got.finish).toBeUndefined();
      } else {
        expect(got.errors).toEqual([]);
        expect(got.finish).toBe("completed");
      }
    });
  }

  test("the text answers are not empty (the oracle is not vacuous)", () => {
    expect(summarize(read(byName("responses/openai-text.sse"))).text).toBe("Oi!");
    expect(summarize(read(byName("responses/openrouter-reasoning-text.sse"))).text.length).toBeGreaterThan(0);
    expect(summarize(read(byName("responses/deepseek-reasoning-text.sse"))).reasoning).toBeGreaterThan(0);
    expect(summarize(read(byName("responses/openai-reasoning-summary-function-call.sse"))).reasoning).toBeGreaterThan(0);
  });

  test("the hub's own error events: upstream broke off, data-only and named", () => {
    const hubError = readResponsesEvent({ event: "error", data: JSON.stringify({ type: "error", code: "upstream_disconnected", message: "alice: upstream stream broke off", param: null }) });
    expect(hubError).toEqual([{ type: "error", message: "alice: upstream stream broke off", code: "upstream_disconnected" }]);
    const chatError = readChatEvent({ data: JSON.stringify({ error: { message: "alice: upstream stream broke off", type: "upstream_error", code: "upstream_disconnected", param: null } }) });
    expect(chatError).toEqual([{ type: "error", message: "alice: upstream stream broke off", code: "upstream_disconnected" }]);
  });

  test("response.incomplete says why; response.refusal.delta is text", () => {
    const incomplete = readResponsesEvent({
      data: JSON.stringify({ type: "response.incomplete", response: { id: "r1", status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, usage: { input_tokens: 3, output_tokens: 16, total_tokens: 19 } } }),
    });
    expect(incomplete).toEqual([
      { type: "response-id", id: "r1" },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 16, totalTokens: 19 } },
      { type: "finish", reason: "max_output_tokens" },
    ]);
    expect(readResponsesEvent({ event: "response.refusal.delta", data: '{"type":"response.refusal.delta","delta":"No."}' })).toEqual([{ type: "text", text: "No." }]);
  });

  test("keep-alives, comments-only data and non-JSON lines carry nothing", () => {
    expect(readChatEvent({ data: "[DONE]" })).toEqual([]);
    expect(readChatEvent({ data: "not json" })).toEqual([]);
    expect(readResponsesEvent({ data: "[DONE]" })).toEqual([]);
    expect(readResponsesEvent({ event: "ping", data: "{}" })).toEqual([]);
  });
});

describe("non-streaming bodies (an endpoint that ignored stream: true)", () => {
  const json = (name: string) => JSON.parse(new TextDecoder().decode(byName(name).bytes));
  test("chat/openai-text.json", () => {
    const body = json("chat/openai-text.json");
    const got = summarize(readChatBody(body));
    expect(got.text).toBe(body.choices[0].message.content);
    expect(got.text.length).toBeGreaterThan(0);
    expect(got.outputTokens).toBe(body.usage.completion_tokens);
    expect(got.finish).toBe("stop");
  });
  test("responses/openai-text.json", () => {
    const body = json("responses/openai-text.json");
    const got = summarize(readResponsesBody(body));
    const message = body.output.find((o: any) => o.type === "message");
    expect(got.text).toBe(message.content.map((c: any) => c.text).join(""));
    expect(got.outputTokens).toBe(body.usage.output_tokens);
    expect(got.responseId).toBe(body.id);
    expect(got.finish).toBe("completed");
  });
  test("error envelopes", () => {
    expect(summarize(readChatBody(json("chat/openrouter-error-429.json"))).errors).toHaveLength(1);
    expect(summarize(readResponsesBody(json("responses/openai-error-quota.json"))).errors[0]).toStartWith("You exceeded your current quota");
  });
});
