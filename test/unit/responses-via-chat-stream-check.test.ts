/**
 * The Responses stream checker against every recorded Responses stream (they must all pass,
 * llama.cpp's aside, and assemble to what the recordings carry), and against broken copies of
 * them (each must fail, naming the rule).
 */
import { describe, expect, test } from "bun:test";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";

function decode(bytes: Uint8Array): SseEvent[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

const recordings = loadFixtures().filter((f) => f.protocol === "responses" && f.stream);
const byName = (name: string) => decode(recordings.find((f) => f.name === `responses/${name}`)!.bytes);

/** Recordings that break even the lenient rules: the hub repairs them (test/unit/responses-repair-stream.test.ts). */
const BROKEN: Record<string, string> = {
  "responses/llamacpp-tiny-text.sse": "event #0: response.created without an output array",
  "responses/llamacpp-tiny-tools-text.sse": "event #0: response.created without an output array",
};

describe("recorded Responses streams", () => {
  test("there are 10 of them", () => expect(recordings.length).toBe(10));

  for (const f of recordings) {
    if (BROKEN[f.name]) {
      test(`${f.name} fails the grammar check (llama.cpp's stream)`, () => {
        expect(() => checkResponsesStream(decode(f.bytes))).toThrow(BROKEN[f.name]);
      });
      continue;
    }
    test(`${f.name} passes the grammar check`, () => {
      expect(() => checkResponsesStream(decode(f.bytes))).not.toThrow();
    });
  }

  // Values read off the recordings by hand.
  test("openai-text.sse: text, empty reasoning item, usage", () => {
    const a = assembleResponses(byName("openai-text.sse"), { strict: true });
    expect(a.text).toBe("Oi!");
    expect(a.reasoning).toBe("");
    expect(a.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    expect(a.status).toBe("completed");
    expect(a.usage).toEqual({ input: 19, output: 118, total: 137, cached: 0, reasoningTokens: 64 });
  });

  test("openai-function-call.sse (no sequence_number): one call, arguments from 5 deltas", () => {
    const a = assembleResponses(byName("openai-function-call.sse"));
    expect(a.toolCalls).toEqual([{ callId: "call_kL0PCQV7M2WMoVX8V8OtYSAL", name: "get_capital", arguments: '{"country":"France"}' }]);
    expect(a.usage).toMatchObject({ input: 255, output: 16, total: 271 });
  });

  test("openai-function-calls-parallel.sse: two calls in order", () => {
    const a = assembleResponses(byName("openai-function-calls-parallel.sse"), { strict: true });
    expect(a.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ["add", '{"a":2,"b":3}'],
      ["multiply", '{"a":2,"b":3}'],
    ]);
  });

  test("openai-reasoning-summary-function-call.sse: the summary is the reasoning", () => {
    const a = assembleResponses(byName("openai-reasoning-summary-function-call.sse"));
    expect(a.reasoning.startsWith("**Getting weather info**\n\nI need to respond")).toBe(true);
    expect(a.reasoning.endsWith("see what it returns!")).toBe(true);
    expect(a.toolCalls).toEqual([{ callId: "call_zgUaIBRPTwxxOusyyKw5NVMH", name: "weather", arguments: '{"location":"Florence, Italy"}' }]);
    expect(a.usage).toEqual({ input: 63, output: 121, total: 184, cached: 0, reasoningTokens: 64 });
  });

  test("openai-error-quota.sse: error then response.failed", () => {
    const a = assembleResponses(byName("openai-error-quota.sse"), { strict: true });
    expect(a.status).toBe("failed");
    expect(a.error?.code).toBe("insufficient_quota");
    expect(a.error?.message.startsWith("You exceeded your current quota")).toBe(true);
    expect(a.usage).toBeUndefined();
  });

  test("openrouter-reasoning-text.sse (data-only, interleaved items, [DONE])", () => {
    const a = assembleResponses(byName("openrouter-reasoning-text.sse"));
    expect(a.text).toBe("4");
    expect(a.reasoning).toBe('The user asks: "What is 2+2?" They expect a straightforward answer: 4. Just answer 4.');
    expect(a.usage).toEqual({ input: 78, output: 37, total: 115, cached: 0, reasoningTokens: 22 });
  });

  test("deepseek-reasoning-text.sse: uuid ids, reasoning_text part", () => {
    const a = assembleResponses(byName("deepseek-reasoning-text.sse"), { strict: true });
    expect(a.text).toBe("The capital of France is Paris.");
    expect(a.reasoning).toBe("We need answer capital of France.");
  });

  test("lmstudio-reasoning-function-call.sse: arguments .done without deltas", () => {
    const a = assembleResponses(byName("lmstudio-reasoning-function-call.sse"));
    expect(a.text).toBe("I'll get the current weather information for San Francisco for you.");
    expect(a.reasoning.startsWith("The user is asking for the weather in San Francisco.")).toBe(true);
    expect(a.toolCalls).toEqual([{ callId: "call_2025306790300011", name: "weather", arguments: '{"location":"San Francisco"}' }]);
    expect(a.usage).toEqual({ input: 182, output: 61, total: 243, cached: 2, reasoningTokens: 48 });
  });

  test("strict mode rejects what only real recordings may do", () => {
    expect(() => checkResponsesStream(byName("openai-function-call.sse"), { strict: true })).toThrow(/sequence_number/);
    expect(() => checkResponsesStream(byName("openrouter-reasoning-text.sse"), { strict: true })).toThrow(/no event: line/);
  });
});

describe("broken streams are rejected with the rule named", () => {
  const base = () => byName("openai-text.sse");
  const edit = (evs: SseEvent[], i: number, f: (d: any) => void): SseEvent[] => {
    const d = JSON.parse(evs[i]!.data);
    f(d);
    const out = [...evs];
    out[i] = { ...evs[i]!, data: JSON.stringify(d) };
    return out;
  };
  const idx = (evs: SseEvent[], type: string) => evs.findIndex((e) => e.event === type);
  const cases: [string, () => SseEvent[], RegExp][] = [
    ["missing response.created", () => base().slice(1), /not response.created/],
    ["missing in_progress", () => base().filter((e) => e.event !== "response.in_progress"), /not response.in_progress/],
    ["no terminal event", () => base().slice(0, -1), /no terminal event/],
    ["two terminal events", () => [...base(), base().at(-1)!], /after the terminal/],
    ["event after the terminal", () => [...base(), base()[6]!], /after the terminal/],
    ["[DONE] in the middle", () => [...base().slice(0, 3), { data: "[DONE]" }, ...base().slice(3)], /\[DONE\] before/],
    ["event: line disagrees", () => base().map((e, i) => (i === 2 ? { ...e, event: "response.output_item.done" } : e)), /event: response.output_item.done but data.type/],
    ["sequence number goes back", () => edit(base(), 7, (d) => (d.sequence_number = 3)), /sequence_number 3/],
    ["delta with a wrong item_id", () => edit(base(), 6, (d) => (d.item_id = "msg_other")), /item_id msg_other/],
    ["delta with a wrong output_index", () => edit(base(), 6, (d) => (d.output_index = 0)), /after output_item.done|item_id/],
    ["delta text differs from done", () => edit(base(), 7, (d) => (d.delta = "?")), /differs from the deltas/],
    ["part.done text differs", () => edit(base(), idx(base(), "response.content_part.done"), (d) => (d.part.text = "Oi")), /content_part.done text differs/],
    ["output_item.done text differs", () => edit(base(), 10, (d) => (d.item.content[0].text = "Oi?")), /output_item.done/],
    ["terminal output differs", () => edit(base(), 11, (d) => (d.response.output[1].content[0].text = "x")), /response.completed output\[1\]/],
    ["terminal output misses an item", () => edit(base(), 11, (d) => d.response.output.pop()), /output has 1 items, the stream 2/],
    ["delta before its item", () => { const e = base(); return [...e.slice(0, 4), e[6]!, ...e.slice(4, 6), ...e.slice(7)]; }, /never added/],
    ["delta after its part is done", () => { const e = base(); return [...e.slice(0, 6), ...e.slice(7, 10), e[6]!, ...e.slice(10)]; }, /after|done/],
    ["output_index skips", () => edit(base(), 4, (d) => (d.output_index = 2)), /expected 1/],
    ["content_index skips", () => edit(base(), 5, (d) => (d.content_index = 1)), /expected 0/],
    ["item id reused", () => edit(base(), 4, (d) => (d.item.id = "rs_0f80f320b6d3bc2b016a3c121a0ae4819292601257c72b5d09")), /used twice/],
    ["completed while an item is open", () => { const e = base(); return [...e.slice(0, 10), e[11]!]; }, /still open|output/],
    ["status mismatch", () => edit(base(), 11, (d) => (d.response.status = "incomplete")), /with status incomplete/],
    ["failed without an error", () => edit(byName("openai-error-quota.sse"), 3, (d) => delete d.response.error), /without response.error/],
    ["data not JSON", () => [...base().slice(0, 2), { event: "x", data: "{" }], /not JSON/],
  ];
  for (const [name, make, msg] of cases) {
    test(name, () => {
      expect(() => checkResponsesStream(make())).toThrow(msg);
    });
  }

  test("the arguments .done must equal the deltas", () => {
    const evs = byName("openai-function-call.sse");
    const i = evs.findIndex((e) => e.event === "response.function_call_arguments.done");
    const broken = evs.map((e, k) => (k === i ? { ...e, data: e.data.replace("France", "Spain") } : e));
    expect(() => checkResponsesStream(broken)).toThrow(/differ from the deltas/);
  });
});
