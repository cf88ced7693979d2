/**
 * The Responses text deltas the stream reader takes by their template (protocol/openai/
 * responses-text-delta.ts, protocol/json-scan.ts's holes) must change nothing: every recorded
 * Responses stream, seeded random ones and generated ones with texts escaped every way go through
 * both adapters that read Responses streams (chat-via-responses, messages-via-responses) with
 * that reading and with every event parsed (`plainText: false`), whole and cut after every event,
 * and what they write must be the same bytes. Then the scanner: the events it must refuse, and
 * random mutations of real events, where whatever it (or a template learnt from it) accepts must
 * be JSON that says only that text, for that part.
 */
import { describe, expect, test } from "bun:test";
import * as chatViaResponses from "../../src/protocol/adapters/chat-via-responses/index.ts";
import * as messagesViaResponses from "../../src/protocol/adapters/messages-via-responses/index.ts";
import { ResponsesTextDeltas, scanResponsesTextDelta } from "../../src/protocol/openai/responses-text-delta.ts";
import type { StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { responsesStream } from "../../bench/lib/sse-events.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { prng } from "../helpers/prng.ts";
import { ESCAPES, expectMutantsRead, jsonObject, TEXTS } from "../helpers/json-text-cases.ts";
import { randomResponsesStream } from "../helpers/random-responses-stream.ts";

type Json = Record<string, any>;

const ADAPTERS: Record<string, (plainText: boolean) => StreamMapper> = {
  "chat ← Responses": (plainText) => chatViaResponses.createStreamMapper({ model: "m", stream: true, stream_options: { include_usage: true } }, context(), { plainText }),
  "Messages ← Responses": (plainText) => messagesViaResponses.createStreamMapper({ model: "m", max_tokens: 9, messages: [], stream: true }, context(), { plainText }),
};

function wire(events: SseEvent[], make: (plainText: boolean) => StreamMapper, plainText: boolean): string {
  const mapper = make(plainText);
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...mapper.end());
  return out.map(formatSse).join("");
}

/** Both readings through both adapters, byte for byte; returns how many events a template takes (so a test that compares nothing fast is seen). */
function expectSame(events: SseEvent[]): number {
  for (const [name, make] of Object.entries(ADAPTERS)) expect(wire(events, make, true), name).toBe(wire(events, make, false));
  const texts = new ResponsesTextDeltas();
  let matched = 0;
  for (const ev of events) {
    if (texts.match(ev.data) !== undefined) matched++;
    else if (/"response\.(output_text|reasoning_text|reasoning_summary_text)\.delta"/.test(ev.data)) texts.learn(ev.data);
  }
  return matched;
}

describe("the same events with and without the text-delta reading", () => {
  const recorded = loadFixtures(["responses"]).filter((f) => f.stream);
  const matched = new Map<string, number>();
  for (const f of recorded) test(f.name, () => void matched.set(f.name, expectSame(decode(f.bytes))));
  test("the recordings exercise the fast reading", () => {
    expect(recorded.length).toBeGreaterThan(8);
    for (const name of ["responses/openai-reasoning-summary-function-call.sse", "responses/openrouter-reasoning-text.sse", "responses/deepseek-reasoning-text.sse"]) expect(matched.get(name), name).toBeGreaterThan(5);
  });
  test("the bench's stream: every text delta after the first taken by the template", () => {
    expect(expectSame(decode(Buffer.concat(responsesStream(64, "resp_1"))))).toBe(64 - 8 - 1);
  });
  test("500 random streams (seeded), whole and cut after every event", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const events = randomResponsesStream(prng(seed));
      for (let k = 0; k <= events.length; k++) expectSame(events.slice(0, k));
    }
  });
});

const delta = (text: string, over: Json = {}, named = true): SseEvent => {
  const fields = { type: "response.output_text.delta", sequence_number: 7, item_id: "msg_1", output_index: 1, content_index: 0, delta: "\u0000", logprobs: [], obfuscation: "Zx9", ...over };
  return { ...(named ? { event: fields.type } : {}), data: JSON.stringify(fields).replace('"\\u0000"', text) };
};

describe("generated streams: texts × escapings, named and data-only, sequence numbers and obfuscation changing", () => {
  for (const [name, escape] of Object.entries(ESCAPES)) {
    for (const named of [true, false]) {
      test(`${name}, ${named ? "with event names" : "data only"}`, () => {
        const rand = prng(name.length * 11 + (named ? 1 : 0));
        let seq = 3;
        const pad = () => "abcdefghij".slice(0, Math.floor(rand() * 10));
        const ev = (type: string, body: Json): SseEvent => ({ ...(named ? { event: type } : {}), data: JSON.stringify({ type, ...body, sequence_number: seq++ }) });
        const events: SseEvent[] = [
          ev("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } }),
          ev("response.output_item.added", { output_index: 0, item: { id: "rs_1", type: "reasoning", summary: [] } }),
          ...TEXTS.map((t) => delta(escape(t), { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, content_index: undefined, summary_index: 0, sequence_number: seq++, obfuscation: pad() }, named)),
          ...TEXTS.map((t) => delta(escape(t), { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, content_index: undefined, summary_index: 1, sequence_number: seq++, obfuscation: pad() }, named)),
          ev("response.output_item.done", { output_index: 0, item: { id: "rs_1", type: "reasoning", summary: [], encrypted_content: "gAAA" } }),
          ev("response.output_item.added", { output_index: 1, item: { id: "msg_1", type: "message", role: "assistant", content: [] } }),
        ];
        for (let i = 0; i < 3; i++) events.push(...TEXTS.map((t) => delta(escape(t), { sequence_number: seq++, obfuscation: pad() }, named)));
        events.push(ev("response.completed", { response: { id: "resp_1", status: "completed", output: [], usage: { input_tokens: 3, output_tokens: 9, total_tokens: 12 } } }));
        expect(expectSame(events)).toBeGreaterThan(TEXTS.length * 4);
      });
    }
  }
});

/** Whether `data` is JSON saying only "this text delta for this part" (and the holes' values, of their kind); its part and text. */
function onlyText(data: string): { type: string; text: string; part: string } | undefined {
  const v = jsonObject(data);
  if (!v) return undefined;
  const allowed = new Set(["type", "delta", "output_index", "content_index", "summary_index", "item_id", "sequence_number", "obfuscation", "logprobs"]);
  if (!Object.keys(v).every((k) => allowed.has(k))) return undefined;
  if (!["response.output_text.delta", "response.reasoning_text.delta", "response.reasoning_summary_text.delta"].includes(v.type) || typeof v.delta !== "string") return undefined;
  const index = (x: unknown) => x === undefined || (Number.isInteger(x) && (x as number) >= 0);
  if (!index(v.output_index) || !index(v.content_index) || !index(v.summary_index) || !index(v.sequence_number)) return undefined;
  if ((v.item_id !== undefined && typeof v.item_id !== "string") || (v.obfuscation !== undefined && typeof v.obfuscation !== "string")) return undefined;
  if (v.logprobs !== undefined && !(Array.isArray(v.logprobs) && v.logprobs.length === 0)) return undefined;
  const summary = v.type === "response.reasoning_summary_text.delta";
  if ((summary && v.content_index !== undefined) || (!summary && v.summary_index !== undefined)) return undefined;
  return { type: v.type, text: v.delta, part: `${v.output_index ?? ""}|${v.item_id ?? ""}|${summary ? v.summary_index : v.content_index}` };
}

describe("the scanner", () => {
  const base = delta('" tok"').data;

  test("accepts every escaping of every text, and gives it as JSON.stringify writes it, with its part and its holes", () => {
    for (const escape of Object.values(ESCAPES)) {
      for (const t of TEXTS) {
        const data = delta(escape(t)).data;
        const at = scanResponsesTextDelta(data);
        expect(at?.literal).toBe(JSON.stringify(t));
        expect(at?.info).toEqual({ type: "response.output_text.delta", outputIndex: 1, itemId: "msg_1", index: 0 });
        expect(at?.holes?.map((h) => data.slice(h.start, h.end))).toEqual(["7", '"Zx9"']);
      }
    }
    expect(scanResponsesTextDelta('{ "delta" : "x" , "type" : "response.reasoning_text.delta" }')?.info).toEqual({ type: "response.reasoning_text.delta" });
  });

  test("refuses what is not certainly a text delta", () => {
    const refused = [
      base.replace('"response.output_text.delta"', '"response.refusal.delta"'),
      base.replace('"response.output_text.delta"', '"response.output_text.done"'),
      base.replace('"type":"response.output_text.delta"', '"type":"response.output_text.delta","type":"error"'),
      base.replace('"output_index":1', '"output_index":1.0'),
      base.replace('"output_index":1', '"output_index":-1'),
      base.replace('"output_index":1', '"output_index":"1"'),
      base.replace('"content_index":0', '"content_index":0,"content_index":1'),
      base.replace('"content_index":0', '"summary_index":0'),
      base.replace('"sequence_number":7', '"sequence_number":7.5'),
      base.replace('"sequence_number":7', '"sequence_number":null'),
      base.replace('"item_id":"msg_1"', '"item_id":"msg\\u005f1"'),
      base.replace('"item_id":"msg_1"', '"item_id":1'),
      base.replace('"logprobs":[]', '"logprobs":[{"token":"x","logprob":-1}]'),
      base.replace('"obfuscation":"Zx9"', '"obfuscation":9'),
      base.replace('"delta":" tok"', '"delta":null'),
      base.replace('"delta":" tok"', '"delta":" tok","delta":"x"'),
      base.replace('"delta":" tok"', '"de\\u006cta":" tok"'),
      base.replace('"delta":" tok",', ""),
      base.replace("}", ',"annotations":[]}'),
      base + " x",
      base.slice(0, -1),
      base.replace('" tok"', '" t\nok"'),
      "[DONE]",
      "",
    ];
    for (const data of refused) expect(scanResponsesTextDelta(data), data).toBeUndefined();
  });

  test("a template takes another sequence number and obfuscation, nothing else", () => {
    const texts = new ResponsesTextDeltas();
    expect(texts.learn(base)).toBe(true);
    expect(texts.match(delta('"x"', { sequence_number: 123456, obfuscation: "" }).data)).toBe('"x"');
    expect(texts.match(delta('"x"', { obfuscation: 'a\\"b' }).data)).toBe('"x"');
    for (const over of [{ output_index: 2 }, { item_id: "msg_2" }, { content_index: 1 }, { sequence_number: -1 }, { sequence_number: 1.5 }, { sequence_number: 1e21 }, { obfuscation: null }, { logprobs: [1] }, { type: "response.reasoning_text.delta" }]) {
      expect(texts.match(delta('"x"', over).data), JSON.stringify(over)).toBeUndefined();
    }
    // Not JSON: a leading zero, a sign, an exponent.
    for (const n of ["07", "+7", "7e1", "7E1", "7."]) expect(texts.match(delta('"x"').data.replace('"sequence_number":7', `"sequence_number":${n}`)), n).toBeUndefined();
    expect(texts.match(delta('"x"').data.replace('"sequence_number":7', '"sequence_number":123456789012345'))).toBe('"x"');
  });

  test("random mutations of real events: whatever it or a template accepts is JSON that says only that text, for that part", () => {
    const recorded = loadFixtures(["responses"]).filter((f) => f.stream).flatMap((f) => decode(f.bytes).map((e) => e.data).filter((d) => /_text\.delta"/.test(d) && scanResponsesTextDelta(d)));
    const seeds = [base, delta('"Ol\\u00e1"', { type: "response.reasoning_text.delta" }).data, ...recorded.filter((_, i) => i % 20 === 0)];
    const { accepted, rejected } = expectMutantsRead({
      seeds,
      rand: prng(29),
      count: 30_000,
      truth: onlyText,
      scan: scanResponsesTextDelta,
      template: () => new ResponsesTextDeltas(),
      // A template's match is for its seed's part.
      agree: (data, truth, { seed }) => seed !== undefined && expect([truth.type, truth.part], data).toEqual([onlyText(seed)!.type, onlyText(seed)!.part]),
    });
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(1000);
  });
});
