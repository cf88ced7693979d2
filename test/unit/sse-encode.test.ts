/**
 * encodeSse is the only SSE writer: its output must read back through SseDecoder as the same
 * event, a payload with newlines must never end an event early, and a CR/LF in `event`/`id`
 * is refused (Hono's helper/streaming/sse.ts rule).
 */
import { describe, expect, test } from "bun:test";
import { prng } from "../helpers/prng.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { encodeSse, encodeSseComment, formatSse } from "../../src/protocol/sse/encode.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

const text = new TextDecoder();

function decodeAll(chunks: Uint8Array[]): SseEvent[] {
  const d = new SseDecoder();
  const out = chunks.flatMap((c) => d.push(c));
  return [...out, ...d.end()];
}


describe("formatSse", () => {
  test("writes event, id, then data, and ends with a blank line", () => {
    expect(formatSse({ event: "response.created", id: "1", data: '{"a":1}' })).toBe(
      'event: response.created\nid: 1\ndata: {"a":1}\n\n',
    );
  });

  test("data-only events have no event line", () => {
    expect(formatSse({ data: "[DONE]" })).toBe("data: [DONE]\n\n");
  });

  test("empty data is still one data line", () => {
    expect(formatSse({ data: "" })).toBe("data: \n\n");
  });

  test("data with LF, CRLF and CR becomes one data line per line", () => {
    expect(formatSse({ data: "a\nb\r\nc\rd" })).toBe("data: a\ndata: b\ndata: c\ndata: d\n\n");
  });

  test("a payload that looks like SSE cannot end the event or add fields", () => {
    const out = formatSse({ data: "x\n\nevent: evil\ndata: injected" });
    expect(out).toBe("data: x\ndata: \ndata: event: evil\ndata: data: injected\n\n");
    expect(decodeAll([new TextEncoder().encode(out)])).toEqual([{ data: "x\n\nevent: evil\ndata: injected" }]);
  });

  test("CR or LF in the event name throws", () => {
    for (const event of ["a\nb", "a\rb", "a\r\nb", "\n"]) {
      expect(() => formatSse({ event, data: "x" })).toThrow("event name must not contain CR or LF");
    }
  });

  test("CR or LF in the id throws", () => {
    for (const id of ["1\n", "\r2"]) expect(() => encodeSse({ id, data: "x" })).toThrow("id must not contain CR or LF");
  });

  test("encodeSse is formatSse as UTF-8 bytes", () => {
    const ev = { event: "e", data: "héllo 🎉" };
    const bytes = encodeSse(ev);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(text.decode(bytes)).toBe(formatSse(ev));
    expect(bytes.length).toBe(Buffer.byteLength(formatSse(ev)));
  });
});

describe("round trip through SseDecoder", () => {
  test("single events keep event, id and data", () => {
    const events: SseEvent[] = [
      { data: "plain" },
      { event: "error", data: '{"error":{"message":"x"}}' },
      { event: "", data: "empty name" },
      { id: "42", data: "with id" },
      { data: "  two leading spaces" },
      { data: ":starts with a colon" },
      { data: "" },
      { data: "ünïcødé 世界 🎉" },
    ];
    for (const ev of events) expect(decodeAll([encodeSse(ev)])).toEqual([ev]);
  });

  test("multi-line data comes back with every line ending normalized to LF", () => {
    expect(decodeAll([encodeSse({ data: "a\r\nb\rc\n\nd" })])).toEqual([{ data: "a\nb\nc\n\nd" }]);
  });

  test("random payloads round-trip, one after another in one stream", () => {
    const random = prng(20240601);
    const alphabet = ["a", "Z", " ", ":", "\n", "\r", "\r\n", "é", "🎉", "{", '"', "data: ", "\t"];
    const sent: SseEvent[] = [];
    for (let n = 0; n < 300; n++) {
      let data = "";
      const len = Math.floor(random() * 20);
      for (let i = 0; i < len; i++) data += alphabet[Math.floor(random() * alphabet.length)];
      sent.push(random() < 0.3 ? { event: `e${n}`, data } : { data });
    }
    const got = decodeAll(sent.map(encodeSse));
    expect(got).toEqual(sent.map((ev) => ({ ...ev, data: ev.data.replace(/\r\n|\r/g, "\n") })));
  });

  test("every recorded stream, decoded and re-encoded, decodes to the same events", () => {
    const fixtures = loadFixtures().filter((f) => f.stream);
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of fixtures) {
      const events = decodeAll([f.bytes]);
      expect(events.length).toBeGreaterThan(0);
      expect(decodeAll(events.map(encodeSse))).toEqual(events);
    }
  });
});

describe("encodeSseComment", () => {
  test("is a single comment line ending the block", () => {
    expect(text.decode(encodeSseComment("keep-alive"))).toBe(": keep-alive\n\n");
  });

  test("newlines in the text are folded so it stays one comment", () => {
    expect(text.decode(encodeSseComment("a\r\nb\n\nc\rd"))).toBe(": a b c d\n\n");
  });

  test("decoders ignore it, between and around events", () => {
    const chunks = [encodeSseComment("hi\ndata: no"), encodeSse({ data: "yes" }), encodeSseComment("bye")];
    expect(decodeAll(chunks)).toEqual([{ data: "yes" }]);
  });
});
