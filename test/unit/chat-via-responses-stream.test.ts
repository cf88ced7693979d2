/**
 * chat-via-responses createStreamMapper, replaying every recorded Responses stream: the chat
 * chunks it produces pass the strict chat grammar (test/helpers/chat-stream-check.ts) and
 * assemble to what the recording carries (test/helpers/responses-stream-check.ts): text,
 * reasoning, refusal, tool calls with arguments, usage, status → finish_reason, error.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper } from "../../src/protocol/adapters/chat-via-responses/index.ts";
import { toTransformStream, type AdapterContext, type StreamMapper } from "../../src/protocol/adapters/types.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { prng } from "../helpers/prng.ts";
import { assembleResponses, type AssembledResponses } from "../helpers/responses-stream-check.ts";

type Json = Record<string, any>;
const ctx: AdapterContext = { newId: () => "0123abcd", now: () => 1_700_000_000_000 };
const streamRequest = (includeUsage: boolean) => ({ model: "req-model", stream: true, messages: [{ role: "user", content: "hi" }], ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });

function decode(bytes: Uint8Array): SseEvent[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

function run(events: SseEvent[], includeUsage = true, mapper: StreamMapper = createStreamMapper(streamRequest(includeUsage), ctx)): SseEvent[] {
  const out: SseEvent[] = [];
  for (const ev of events) out.push(...mapper.push(ev));
  out.push(...mapper.end());
  return out;
}

function expectedFinish(src: AssembledResponses): string | null {
  if (src.status === "failed") return null;
  if (src.status === "incomplete") return src.incompleteReason === "content_filter" ? "content_filter" : "length";
  return src.toolCalls.length > 0 ? "tool_calls" : "stop";
}

// llama.cpp's streams never reach the adapter as they are: the relay repairs them in front of it
// (proxy/relay-repaired.ts, translatedMapper); test/e2e/adaptation-replay.test.ts replays them so.
const recordings = loadFixtures().filter((f) => f.protocol === "responses" && f.stream && !f.name.startsWith("responses/llamacpp-"));

describe("every recorded Responses stream, replayed", () => {
  test("there are recordings", () => expect(recordings.length).toBeGreaterThanOrEqual(8));
  for (const f of recordings) {
    describe(f.name, () => {
      const source = decode(f.bytes);
      const src = assembleResponses(source);

      test("strict chat grammar, and the assembled result equals the recording's", () => {
        const out = run(source, true);
        checkChatStream(out, src.status === "failed" ? {} : { usage: src.usage !== undefined });
        const chat = assembleChat(out);
        expect(chat.text).toBe(src.text);
        expect(chat.reasoning).toBe(src.reasoning);
        expect(chat.refusal).toBe(src.refusal);
        expect(chat.toolCalls).toEqual(src.toolCalls.map((c) => ({ id: c.callId, name: c.name, arguments: c.arguments })));
        expect(chat.usage).toEqual(src.status === "failed" ? null : (src.usage ?? null));
        expect(chat.finishReason).toBe(expectedFinish(src));
        if (src.error) {
          expect(chat.error?.message).toBe(src.error.message);
          expect(chat.error?.code ?? null).toBe(src.error.code);
          expect(out.at(-1)!.data).not.toBe("[DONE]");
        } else {
          expect(chat.error).toBeUndefined();
          expect(out.filter((e) => e.data === "[DONE]").length).toBe(1);
        }
      });

      test("every chunk carries the same id, created and model, taken from the response", () => {
        const out = run(source, true).filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Json);
        const first = source.map((e) => JSON.parse(e.data === "[DONE]" ? "{}" : e.data)).find((d) => d.type === "response.created")?.response;
        for (const c of out) {
          if (c.error) continue;
          expect(c.id).toBe("chatcmpl-0123abcd");
          expect(c.created).toBe(first.created_at);
          expect(c.model).toBe(first.model);
        }
      });

      test("without include_usage: no usage chunk, no usage key", () => {
        const out = run(source, false);
        checkChatStream(out, src.status === "failed" ? {} : { usage: false });
        for (const e of out) if (e.data !== "[DONE]") expect("usage" in JSON.parse(e.data)).toBe(false);
        expect(assembleChat(out).text).toBe(src.text);
      });

      test("bytes fed in random slices, events pushed one at a time as they decode: the same output", () => {
        const whole = run(source, true);
        for (const seed of [1, 2, 3]) {
          const rand = prng(seed);
          const decoder = new SseDecoder();
          const mapper = createStreamMapper(streamRequest(true), ctx);
          const out: SseEvent[] = [];
          for (let i = 0; i < f.bytes.length; ) {
            const n = 1 + Math.floor(rand() * 40);
            for (const ev of decoder.push(f.bytes.subarray(i, i + n))) out.push(...mapper.push(ev));
            i += n;
          }
          for (const ev of decoder.end()) out.push(...mapper.push(ev));
          out.push(...mapper.end());
          expect(out).toEqual(whole);
        }
      });

      test("fail() injected mid-way: one error chunk ends a still-valid stream", () => {
        for (const cut of [1, Math.floor(source.length / 2), source.length - 2]) {
          const mapper = createStreamMapper(streamRequest(true), ctx);
          const out: SseEvent[] = [];
          for (const ev of source.slice(0, cut)) out.push(...mapper.push(ev));
          const terminated = out.length > 0 && (out.at(-1)!.data === "[DONE]" || "error" in JSON.parse(out.at(-1)!.data));
          out.push(...mapper.fail({ message: "connection reset", code: "upstream_disconnected" }));
          expect(mapper.push(source[cut]!)).toEqual([]);
          expect(mapper.end()).toEqual([]);
          checkChatStream(out);
          if (!terminated) expect(assembleChat(out).error).toEqual({ message: "connection reset", type: "upstream_error", code: "upstream_disconnected" });
        }
      });

      test("through toTransformStream", async () => {
        const readable = new ReadableStream<SseEvent>({
          start(c) {
            for (const ev of source) c.enqueue(ev);
            c.close();
          },
        }).pipeThrough(toTransformStream(createStreamMapper(streamRequest(true), ctx)));
        const out: SseEvent[] = [];
        for await (const ev of readable) out.push(ev);
        expect(out).toEqual(run(source, true));
      });
    });
  }
});

describe("recordings, read by hand", () => {
  const source = (name: string) => decode(recordings.find((f) => f.name === `responses/${name}`)!.bytes);
  test("openai-function-call.sse: header chunk then five argument fragments", () => {
    const out = run(source("openai-function-call.sse")).filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
    const tool = out.filter((c) => c.choices[0]?.delta.tool_calls).map((c) => c.choices[0].delta.tool_calls[0]);
    expect(tool[0]).toMatchObject({ index: 0, type: "function", function: { arguments: "" } });
    expect(tool[0].id).toStartWith("call_");
    expect(tool.slice(1).length).toBe(5);
    for (const t of tool.slice(1)) expect(Object.keys(t).sort()).toEqual(["function", "index"]);
  });
  test("lmstudio-reasoning-function-call.sse: arguments sent once, whole, from the .done event", () => {
    const out = run(source("lmstudio-reasoning-function-call.sse")).filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
    const tool = out.filter((c) => c.choices[0]?.delta.tool_calls).map((c) => c.choices[0].delta.tool_calls[0]);
    expect(tool).toEqual([
      { index: 0, id: "call_2025306790300011", type: "function", function: { name: "weather", arguments: "" } },
      { index: 0, function: { arguments: '{"location":"San Francisco"}' } },
    ]);
  });
  test("openai-error-quota.sse: role chunk, then the error chunk, nothing else", () => {
    const out = run(source("openai-error-quota.sse"));
    expect(out.length).toBe(2);
    expect(JSON.parse(out[1]!.data)).toEqual({ error: { message: expect.stringContaining("You exceeded your current quota"), type: "insufficient_quota", code: "insufficient_quota", param: null } });
  });
  test("openrouter-reasoning-text.sse: data-only SSE, its [DONE] swallowed, ours last", () => {
    const out = run(source("openrouter-reasoning-text.sse"));
    expect(out.at(-1)!.data).toBe("[DONE]");
    expect(assembleChat(out)).toMatchObject({ text: "4", finishReason: "stop" });
  });
});
