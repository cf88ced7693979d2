/**
 * The Messages text deltas the stream reader takes by their template (protocol/anthropic/
 * text-delta-event.ts, protocol/json-scan.ts) must change nothing: every recorded Messages
 * stream, and generated streams with texts escaped every way, go through both adapters that read
 * Messages streams (chat-via-messages, responses-via-messages) with that reading and with every
 * event parsed (`plainText: false`), and what they write must be the same bytes, each event
 * exactly as `JSON.stringify` writes it (the hot ones are written as text). Then the
 * scanner: the events it must refuse, and random mutations of real events, where whatever it
 * (or a template learnt from it) accepts must be JSON that says only that text.
 */
import { describe, expect, test } from "bun:test";
import * as chatViaMessages from "../../src/protocol/adapters/chat-via-messages/index.ts";
import * as responsesViaMessages from "../../src/protocol/adapters/responses-via-messages/index.ts";
import { scanTextDelta, TextDeltas } from "../../src/protocol/anthropic/text-delta-event.ts";
import type { StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { messagesStream } from "../../bench/lib/sse-events.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { prng } from "../helpers/prng.ts";
import { ESCAPES, expectMutantsRead, jsonObject, TEXTS } from "../helpers/json-text-cases.ts";

type Json = Record<string, any>;

const chatRequest: Json = { model: "m", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } };
const responsesRequest: Json = { model: "m", input: "hi", stream: true };

const ADAPTERS: Record<string, (plainText: boolean) => StreamMapper> = {
  "chat ← Messages": (plainText) => chatViaMessages.createStreamMapper(chatRequest, context(), { plainText }),
  "Responses ← Messages": (plainText) => responsesViaMessages.createStreamMapper(responsesRequest, context(), { responseId: "resp_test", plainText }),
};

function wire(events: SseEvent[], make: (plainText: boolean) => StreamMapper, plainText: boolean): string {
  const mapper = make(plainText);
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...mapper.end());
  expectAsStringified(out);
  return out.map(formatSse).join("");
}

/**
 * The hot events are written as text around the delta's JSON (chunks.ts, output-stream.ts), not
 * stringified: each must be exactly what `JSON.stringify` gives for the object it says (parsed and
 * stringified again, the same bytes), and a Responses part's done text the deltas joined.
 */
function expectAsStringified(out: SseEvent[]): void {
  const deltas = new Map<string, string>();
  for (const ev of out) {
    if (ev.data === "[DONE]") continue;
    const parsed = JSON.parse(ev.data) as Json;
    expect(JSON.stringify(parsed)).toBe(ev.data);
    const key = `${parsed.item_id}/${parsed.content_index}`;
    if (parsed.type === "response.output_text.delta") {
      expect(Object.keys(parsed)).toEqual(["type", "content_index", "delta", "item_id", "logprobs", "output_index", "sequence_number"]);
      deltas.set(key, (deltas.get(key) ?? "") + parsed.delta);
    }
    if (parsed.type === "response.output_text.done") expect(parsed.text).toBe(deltas.get(key) ?? "");
  }
}

/** Both readings through both adapters, byte for byte; returns how many events a template takes (so a test that compares nothing fast is seen). */
function expectSame(events: SseEvent[]): number {
  for (const [name, make] of Object.entries(ADAPTERS)) expect(wire(events, make, true), name).toBe(wire(events, make, false));
  const texts = new TextDeltas();
  let matched = 0;
  for (const ev of events) {
    if (texts.match(ev.data) !== undefined) matched++;
    else if (ev.data.includes('"text_delta"')) texts.learn(ev.data);
  }
  return matched;
}

describe("the same events with and without the text-delta reading", () => {
  const recorded = loadFixtures(["messages"]).filter((f) => f.stream);
  const matched = new Map<string, number>();
  for (const f of recorded) test(f.name, () => void matched.set(f.name, expectSame(decode(f.bytes))));
  test("the recordings exercise the fast reading", () => {
    expect(recorded.length).toBeGreaterThan(6);
    for (const name of ["messages/anthropic-text-usage.sse", "messages/llamacpp-tiny-text.sse"]) expect(matched.get(name), name).toBeGreaterThan(0);
  });
  test("the bench's stream: every text delta after the first taken by the template", () => {
    expect(expectSame(decode(Buffer.concat(messagesStream(64))))).toBe(64 - 5 - 1);
  });
});

const event = (type: string, body: Json, named = true): SseEvent => ({ ...(named ? { event: type } : {}), data: JSON.stringify({ type, ...body }) });
const textDelta = (index: number, text: string, named = true): SseEvent => ({ ...(named ? { event: "content_block_delta" } : {}), data: `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${text}}}` });

describe("generated streams: texts × escapings, named and data-only, around other blocks", () => {
  for (const [name, escape] of Object.entries(ESCAPES)) {
    for (const named of [true, false]) {
      test(`${name}, ${named ? "with event names" : "data only"}`, () => {
        const rand = prng(name.length * 7 + (named ? 1 : 0));
        const events: SseEvent[] = [
          event("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }, named),
          event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }, named),
          ...TEXTS.map((t) => textDelta(0, escape(t), named)),
          event("content_block_stop", { index: 0 }, named),
          event("content_block_start", { index: 1, content_block: { type: "thinking", thinking: "", signature: "" } }, named),
          event("content_block_delta", { index: 1, delta: { type: "thinking_delta", thinking: "hmm" } }, named),
          event("content_block_delta", { index: 1, delta: { type: "signature_delta", signature: "sig" } }, named),
          event("content_block_stop", { index: 1 }, named),
          // A block whose text deltas the reader ignores (not text, thinking or a tool).
          event("content_block_start", { index: 2, content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} } }, named),
          ...TEXTS.slice(0, 4).map((t) => textDelta(2, escape(t), named)),
          event("content_block_stop", { index: 2 }, named),
          event("content_block_start", { index: 3, content_block: { type: "text", text: "" } }, named),
        ];
        for (let i = 0; i < 3; i++) events.push(...TEXTS.map((t) => textDelta(3, escape(t), named)), ...(rand() < 0.5 ? [{ event: "ping", data: '{"type": "ping"}' }] : []));
        events.push(event("content_block_stop", { index: 3 }, named), event("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } }, named), event("message_stop", {}, named));
        expect(expectSame(events)).toBeGreaterThan(TEXTS.length * 3);
      });
    }
  }
});

/** Whether `data` is JSON saying only "this text delta for this block". */
function onlyText(data: string): { text: string; index: number } | undefined {
  const v = jsonObject(data);
  if (!v || Object.keys(v).sort().join() !== "delta,index,type") return undefined;
  if (v.type !== "content_block_delta" || !Number.isInteger(v.index) || v.index < 0) return undefined;
  const d = v.delta;
  if (!d || typeof d !== "object" || Array.isArray(d) || Object.keys(d).sort().join() !== "text,type" || d.type !== "text_delta" || typeof d.text !== "string") return undefined;
  return { text: d.text, index: v.index };
}

describe("the scanner", () => {
  const base = textDelta(4, '" tok"').data;

  test("accepts every escaping of every text, and gives it as JSON.stringify writes it, with the block's index", () => {
    for (const escape of Object.values(ESCAPES)) {
      for (const t of TEXTS) {
        const at = scanTextDelta(textDelta(12, escape(t)).data);
        expect(at?.literal).toBe(JSON.stringify(t));
        expect(at?.info).toBe(12);
      }
    }
    expect(scanTextDelta('{ "index" : 0 , "delta" : { "text" : "x" , "type" : "text_delta" } , "type" : "content_block_delta" }')?.literal).toBe('"x"');
  });

  test("refuses what is not certainly a text delta", () => {
    const refused = [
      base.replace('"text_delta"', '"thinking_delta"'),
      base.replace('"content_block_delta"', '"content_block_start"'),
      base.replace('"type":"content_block_delta"', '"type":"content_block_delta","type":"message_stop"'),
      base.replace('"index":4', '"index":4.0'),
      base.replace('"index":4', '"index":-4'),
      base.replace('"index":4', '"index":04'),
      base.replace('"index":4', '"index":4e0'),
      base.replace('"index":4', '"index":"4"'),
      base.replace('"index":4', '"index":4,"index":5'),
      base.replace('"index":4,', ""),
      base.replace('"text":" tok"', '"text":" tok","text":"x"'),
      base.replace('"text":" tok"', '"text":" tok","citation":null'),
      base.replace('"text":" tok"', '"text":null'),
      base.replace('"text":" tok"', '"te\\u0078t":" tok"'),
      base.replace("}}", '},"usage":null}'),
      base.replace('{"type":"text_delta",', "{"),
      base + " x",
      base.slice(0, -1),
      base.replace('" tok"', '" t\nok"'),
      "[DONE]",
      "",
    ];
    for (const data of refused) expect(scanTextDelta(data), data).toBeUndefined();
  });

  test("random mutations of real events: whatever it or a template accepts is JSON that says only that text", () => {
    const seeds = [textDelta(0, '" tok"').data, '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Ol\\u00e1"}      }', textDelta(7, '"a\\"b\\\\c\\nd"').data, textDelta(10, '"\\u00e9\\/"').data, '{"index": 3, "type": "content_block_delta", "delta": {"text": "y", "type": "text_delta"}}'];
    const { accepted, rejected } = expectMutantsRead({
      seeds,
      rand: prng(23),
      count: 30_000,
      truth: onlyText,
      scan: scanTextDelta,
      template: () => new TextDeltas(),
      agree: (data, truth, { info }) => expect(info, data).toBe(truth.index),
    });
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(1000);
  });
});
