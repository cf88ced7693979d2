/**
 * The text chunks messages-via-chat and responses-via-chat read without JSON.parse
 * (protocol/openai/chat-text-chunk.ts) must change nothing: every recorded chat stream, and
 * generated streams of many providers' chunk shapes with texts escaped every way, go through both
 * mappers with that reading and with every chunk parsed (`plainText: false`), and the Messages
 * and Responses events must be the same bytes (and obey their grammars). Then the scanner itself: the chunks it must refuse, and random
 * mutations of real chunks, where whatever it (or a template learnt from it) accepts must be
 * JSON whose only payload is that text.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper } from "../../src/protocol/adapters/messages-via-chat/index.ts";
import * as responsesViaChat from "../../src/protocol/adapters/responses-via-chat/index.ts";
import type { StreamMapper } from "../../src/protocol/adapters/types.ts";
import { scanTextChunk, TextChunks } from "../../src/protocol/openai/chat-text-chunk.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { chatStream } from "../../bench/lib/sse-events.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { prng } from "../helpers/prng.ts";
import { ESCAPES, jsonObject, mutants, TEXTS } from "../helpers/json-text-cases.ts";

type Json = Record<string, any>;

const request: Json = { model: "participant-model", max_tokens: 100, messages: [{ role: "user", content: "hi" }], stream: true };

const responsesRequest: Json = { model: "participant-model", input: "hi", stream: true };

function wire(events: SseEvent[], plainText: boolean, make: (plainText: boolean) => StreamMapper = (p) => createStreamMapper(request, context(), { plainText: p })): string {
  const mapper = make(plainText);
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...mapper.end());
  return out.map(formatSse).join("");
}

const responsesMapper = (plainText: boolean) => responsesViaChat.createStreamMapper(responsesRequest, context(), { responseId: "resp_test", plainText });

/**
 * Both readings, byte for byte, through both adapters that read chat streams (Messages ← chat,
 * Responses ← chat); each under its strict grammar; and how many chunks a template would take
 * (so a test that compares nothing fast is seen).
 */
function expectSame(events: SseEvent[]): number {
  const fast = wire(events, true);
  expect(fast).toBe(wire(events, false));
  checkMessagesStream(decode(new TextEncoder().encode(fast)), { strict: true });
  const responses = wire(events, true, responsesMapper);
  expect(responses).toBe(wire(events, false, responsesMapper));
  checkResponsesStream(decode(new TextEncoder().encode(responses)), { strict: true });
  const texts = new TextChunks();
  let matched = 0;
  for (const ev of events) {
    if (ev.event !== undefined) continue;
    if (texts.match(ev.data) !== undefined) matched++;
    else if (ev.data !== "[DONE]") texts.learn(ev.data);
  }
  return matched;
}

describe("the same Messages events with and without the text-chunk reading", () => {
  const chatStreams = loadFixtures().filter((f) => f.protocol === "chat" && f.stream);
  const matched = new Map<string, number>();
  for (const f of chatStreams) {
    test(f.name, () => {
      matched.set(f.name, expectSame(decode(f.bytes)));
    });
  }
  test("the recordings exercise the fast reading", () => {
    expect(chatStreams.length).toBeGreaterThan(15);
    // llama.cpp, vLLM, Groq, Ollama, TGI and OpenRouter write their text chunks alike (OpenAI's obfuscation differs each time).
    for (const name of ["chat/llamacpp-tiny-text-usage.sse", "chat/vllm-text-usage.sse", "chat/groq-text.sse", "chat/ollama-text.sse", "chat/hf-tgi-text-no-done.sse", "chat/openrouter-reasoning.sse"]) {
      expect(matched.get(name), name).toBeGreaterThan(0);
    }
    expect([...matched.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(80);
  });

  test("the bench's stream: every text chunk after the first taken by the template", () => {
    const events = decode(Buffer.concat(chatStream(64)));
    expect(expectSame(events)).toBe(64 - 4 - 1);
  });
});

/** Provider chunk shapes: `text` is the content's JSON text. */
const SHAPES: Record<string, (text: string, n: number) => string> = {
  openai: (t, n) => `{"id":"chatcmpl-A","object":"chat.completion.chunk","created":1782955818,"model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_x","choices":[{"index":0,"delta":{"content":${t}},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"${"x".repeat(n % 7)}"}`,
  bench: (t) => `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1782955818,"model":"bench-model","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":${t}},"logprobs":null,"finish_reason":null}],"usage":null}`,
  "llama.cpp": (t) => `{"choices":[{"finish_reason":null,"index":0,"delta":{"content":${t}}}],"created":1796526290,"id":"chatcmpl-L","model":"tiny","system_fingerprint":"b1-Debian","object":"chat.completion.chunk","timings":{"prompt_n":1,"predicted_per_second":12.5e0}}`,
  vllm: (t) => `{"id":"chatcmpl-V","object":"chat.completion.chunk","created":1786479604,"model":"m","choices":[{"index":0,"delta":{"content":${t}},"logprobs":null,"finish_reason":null,"stop_reason":null,"token_ids":null}]}`,
  ollama: (t) => `{"id":"chatcmpl-702","object":"chat.completion.chunk","created":1731311782,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":${t}},"finish_reason":null}]}`,
  openrouter: (t) => `{"id":"gen-1","provider":"Google","model":"m","object":"chat.completion.chunk","created":1765226419,"choices":[{"index":0,"delta":{"role":"assistant","content":${t},"reasoning":null,"reasoning_details":[]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}`,
  "spaced (Python json.dumps)": (t) => `{"id": "chatcmpl-H", "object": "chat.completion.chunk", "created": 1739565096, "model": "m", "choices": [{"index": 0, "delta": {"content": ${t}}, "logprobs": null, "finish_reason": null}], "usage": null}`,
  azure: (t) => `{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":${t}},"finish_reason":null,"index":0,"logprobs":null}],"created":1,"id":"chatcmpl-Z","model":"gpt","object":"chat.completion.chunk","system_fingerprint":null,"usage":null}`,
  "nulls in the delta": (t) => `{"id":"c","choices":[{"index":0,"delta":{"content":${t},"refusal":null,"tool_calls":null,"reasoning_content":null},"finish_reason":null}]}`,
};

const ev = (data: string): SseEvent => ({ data });
const chunkOf = (shape: string, delta: Json, extra: Json = {}) => ev(JSON.stringify({ id: shape, object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: null }], ...extra }));

describe("generated streams, every provider shape × every escaping", () => {
  for (const [shape, write] of Object.entries(SHAPES)) {
    for (const [name, escape] of Object.entries(ESCAPES)) {
      test(`${shape}, ${name}`, () => {
        const rand = prng(shape.length * 31 + name.length);
        const events: SseEvent[] = [chunkOf(shape, { role: "assistant", content: "" })];
        let n = 0;
        for (let round = 0; round < 3; round++) {
          for (const text of TEXTS) events.push(ev(write(escape(text), n++)));
          // What interrupts text in real streams: thinking, an event name, a chunk with usage, a refusal.
          const pick = Math.floor(rand() * 4);
          if (pick === 0) events.push(chunkOf(shape, { reasoning_content: "hmm" }));
          else if (pick === 1) events.push({ event: "message", data: write(escape("named"), n++) });
          else if (pick === 2) events.push(chunkOf(shape, { content: "with usage" }, { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }));
          else events.push(chunkOf(shape, { refusal: "no" }));
        }
        events.push(chunkOf(shape, {}, { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
        events.push(ev("[DONE]"));
        const matched = expectSame(events);
        // Only OpenAI's obfuscation (a different tail each time) keeps the template from matching.
        if (shape === "openai") expect(matched).toBeLessThan(TEXTS.length);
        else expect(matched).toBeGreaterThan(TEXTS.length * 2);
      });
    }
  }

  test("a stream that ends in a tool call after text, and one whose text chunks change shape midway", () => {
    const events = [
      ...TEXTS.map((t) => ev(SHAPES.bench!(JSON.stringify(t), 0))),
      ...TEXTS.map((t) => ev(SHAPES.vllm!(JSON.stringify(t), 0))),
      chunkOf("t", { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] }),
      ev(SHAPES.bench!('"after the call"', 0)),
      chunkOf("t", {}, { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }),
      ev("[DONE]"),
    ];
    expect(expectSame(events)).toBeGreaterThan(TEXTS.length);
  });
});

/** Whether `data` is JSON saying only "this text": the reading the scanner and templates promise. */
function onlyText(data: string): string | undefined {
  const v = jsonObject(data);
  if (!v) return undefined;
  if (v.usage != null || v.error !== undefined || v.x_groq !== undefined) return undefined;
  if (!Array.isArray(v.choices) || v.choices.length !== 1) return undefined;
  const c = v.choices[0];
  if (!c || typeof c !== "object" || c.finish_reason != null || !c.delta || typeof c.delta !== "object" || Array.isArray(c.delta)) return undefined;
  const d = c.delta;
  if (typeof d.content !== "string") return undefined;
  for (const k of ["refusal", "reasoning_content", "reasoning"]) if (d[k] != null) return undefined;
  for (const k of ["tool_calls", "reasoning_details"]) if (d[k] != null && !(Array.isArray(d[k]) && d[k].length === 0)) return undefined;
  for (const k of Object.keys(d)) if (!["content", "role", "refusal", "reasoning_content", "reasoning", "tool_calls", "reasoning_details"].includes(k)) return undefined;
  return d.content;
}

describe("the scanner", () => {
  const base = SHAPES.bench!('" tok"', 0);

  test("accepts each provider's text chunk, and gives the text as JSON.stringify writes it", () => {
    for (const [shape, write] of Object.entries(SHAPES)) {
      for (const [name, escape] of Object.entries(ESCAPES)) {
        for (const text of TEXTS) {
          const data = write(escape(text), 3);
          const at = scanTextChunk(data);
          expect(at?.literal, `${shape}, ${name}: ${JSON.stringify(text)}`).toBe(JSON.stringify(text));
          expect(JSON.parse(data.slice(at!.start, at!.end))).toBe(text);
        }
      }
    }
  });

  test("refuses what is not certainly a text-only chunk", () => {
    const refused = [
      base.replace('"choices"', '"ch\\u006fices"'),
      base.replace('"content"', '"c\\u006fntent"'),
      base.replace('"usage":null', '"usage":{"prompt_tokens":1}'),
      base.replace('"usage":null', '"usage":null,"error":null'),
      base.replace('"usage":null', '"usage":null,"x_groq":{"id":"r"}'),
      base.replace('"usage":null', '"usage":null,"choices":[]'),
      base.replace('"finish_reason":null', '"finish_reason":"stop"'),
      base.replace('"finish_reason":null', '"finish_reason":""'),
      base.replace('"finish_reason":null', '"finish_reason":null,"finish_reason":"stop"'),
      base.replace('{"content":" tok"}', '{"content":" tok","content":"other"}'),
      base.replace('{"content":" tok"}', '{"content":" tok","tool_calls":[{"index":0}]}'),
      base.replace('{"content":" tok"}', '{"content":" tok","reasoning":"r"}'),
      base.replace('{"content":" tok"}', '{"content":" tok","reasoning_details":[{"text":"r"}]}'),
      base.replace('{"content":" tok"}', '{"content":" tok","refusal":""}'),
      base.replace('{"content":" tok"}', '{"content":" tok","channel":"final"}'),
      base.replace('{"content":" tok"}', '{"content":null}'),
      base.replace('{"content":" tok"}', '{"content":7}'),
      base.replace('{"content":" tok"}', "{}"),
      base.replace(',"delta":{"content":" tok"}', ""),
      base.replace('"delta":{"content":" tok"}', '"delta":{"content":" tok"},"delta":{"content":"x"}'),
      base.replace('"choices":[{', '"choices":[{"index":1},{'),
      base.replace("}],", "},{}],"),
      base.replace('"choices":[', '"choices":{"0":').replace("}],", "}},"),
      base + " x",
      base + "}",
      base.slice(0, -1),
      base.replace('" tok"', '" t\nok"'),
      base.replace('" tok"', '" t\\xok"'),
      base.replace('" tok"', '" t\\u00zzok"'),
      base.replace('"created":1782955818', '"created":01782955818'),
      base.replace('"created":1782955818', '"created":1.'),
      base.replace('"created":1782955818', '"created":+1'),
      base.replace('"logprobs":null', '"logprobs":nul'),
      base.replace('"logprobs":null', '"logprobs":[1,]'),
      base.replace('"logprobs":null', '"logprobs":{"a":1,}'),
      "[DONE]",
      "",
      "null",
      "[]",
    ];
    for (const data of refused) expect(scanTextChunk(data), data).toBeUndefined();
  });

  test("for a reader of logprobs: a choice's logprobs must be null or absent, its index 0 or absent", () => {
    const strict = (data: string) => scanTextChunk(data, true);
    expect(strict(base)?.literal).toBe('" tok"');
    expect(strict(base.replace('"index":0,', ""))?.literal).toBe('" tok"');
    expect(strict(base.replace('"logprobs":null,', ""))?.literal).toBe('" tok"');
    for (const data of [
      base.replace('"logprobs":null', '"logprobs":{"content":[{"token":" tok","logprob":-0.1,"bytes":[32,116,111,107],"top_logprobs":[]}]}'),
      base.replace('"logprobs":null', '"logprobs":{"content":null}'),
      base.replace('"logprobs":null', '"logprobs":null,"logprobs":{"content":[]}'),
      base.replace('"index":0', '"index":1'),
      base.replace('"index":0', '"index":0,"index":1'),
      base.replace('"index":0', '"index":0.0'),
    ]) {
      expect(strict(data), data).toBeUndefined();
      // The Messages reader reads no logprobs: the same chunk is text to it.
      expect(scanTextChunk(data)?.literal, data).toBe('" tok"');
    }
  });

  test("a stream with logprobs: a Responses client gets them all, read either way", () => {
    const withLogprobs = (t: string) =>
      ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(t)}},"logprobs":{"content":[{"token":${JSON.stringify(t)},"logprob":-0.5,"bytes":null,"top_logprobs":[]}]},"finish_reason":null}]}`);
    const plain = (t: string) => ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(t)}},"logprobs":null,"finish_reason":null}]}`);
    const events = [plain("a"), plain("b"), withLogprobs("c"), plain("d"), withLogprobs("e"), chunkOf("t", {}, { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }), ev("[DONE]")];
    expectSame(events);
    const mapper = responsesMapper(true);
    for (const e of events) mapper.push(e);
    mapper.end();
    const text = (mapper.result() as Json).output[0].content[0];
    expect(text.text).toBe("abcde");
    expect(text.logprobs.map((l: Json) => l.token)).toEqual(["c", "e"]);
  });

  test("random mutations of real chunks: whatever it or a template accepts is JSON that says only that text", () => {
    const seeds = Object.values(SHAPES).flatMap((write) => [write('" tok"', 1), write('"a\\"b\\\\c\\nd"', 2), write('"\\u00e9\\/"', 3)]);
    let accepted = 0;
    let rejected = 0;
    for (const { seed, data } of mutants(seeds, prng(17), 40_000)) {
      const truth = onlyText(data);
      const scanned = scanTextChunk(data);
      if (scanned) {
        expect(truth, data).toBeDefined();
        expect(scanned.literal, data).toBe(JSON.stringify(truth));
        accepted++;
      } else rejected++;
      // The logprobs reader's vet accepts less, never more, and nothing with logprobs or another choice index.
      const strict = scanTextChunk(data, true);
      if (strict) {
        expect(scanned?.literal, data).toBe(strict.literal);
        const choice = (JSON.parse(data) as Json).choices[0];
        expect([choice.logprobs ?? null, choice.index ?? 0], data).toEqual([null, 0]);
      }
      // A template learnt from the unmutated chunk, then shown the mutant.
      const texts = new TextChunks();
      texts.learn(seed);
      const matched = texts.match(data);
      if (matched !== undefined) {
        expect(truth, data).toBeDefined();
        expect(matched, data).toBe(JSON.stringify(truth));
        // Same chunk but for the text.
        const strip = (s: string) => JSON.stringify(JSON.parse(s), (k, v) => (k === "content" && typeof v === "string" ? "" : v));
        expect(strip(data)).toBe(strip(seed));
      }
    }
    // Both outcomes happen, so the check above checked something.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  test("a template learns only from a text-only chunk, and stops after two that never matched", () => {
    const texts = new TextChunks();
    texts.learn(SHAPES.bench!('"a"', 0).replace('{"content":"a"}', '{"content":"a","reasoning":"r"}'));
    expect(texts.match(SHAPES.bench!('"b"', 0))).toBeUndefined();
    texts.learn(SHAPES.openai!('"a"', 1));
    expect(texts.match(SHAPES.openai!('"b"', 2))).toBeUndefined();
    texts.learn(SHAPES.openai!('"b"', 2));
    texts.learn(SHAPES.bench!('"c"', 0));
    expect(texts.match(SHAPES.bench!('"d"', 0))).toBeUndefined();
    const fresh = new TextChunks();
    fresh.learn(SHAPES.bench!('"c"', 0));
    expect(fresh.match(SHAPES.bench!('"d\\n"', 0))).toBe('"d\\n"');
    expect(fresh.match(SHAPES.bench!('"d\\u000a"', 0))).toBe('"d\\n"');
    expect(fresh.match(SHAPES.vllm!('"d"', 0))).toBeUndefined();
  });
});
