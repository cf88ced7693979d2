/** eventRangesContaining / nextEventEnd: which events the passthrough still decodes. */
import { describe, expect, test } from "bun:test";
import { eventRangesContaining, nextEventEnd } from "../../src/protocol/sse/boundary.ts";
import { SseDecoder } from "../../src/protocol/sse/decode.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const needles = ['"usage":{', '"error"'].map((s) => Buffer.from(s));

describe("eventRangesContaining", () => {
  test("picks exactly the events holding a needle, as whole events", () => {
    const text = 'data: {"a":1}\n\ndata: {"usage":{"x":1}}\n\n: comment\n\ndata: {"b":2}\n\ndata: {"error":"e"}\n\n';
    const bytes = enc.encode(text);
    const ranges = eventRangesContaining(bytes, needles);
    expect(ranges.map(([a, b]) => dec.decode(bytes.subarray(a, b)))).toEqual(['data: {"usage":{"x":1}}\n\n', 'data: {"error":"e"}\n\n']);
  });

  test("adjacent hits merge; the first and last events are reachable", () => {
    const bytes = enc.encode('data: {"error":1}\n\ndata: {"usage":{}}\n\n');
    expect(eventRangesContaining(bytes, needles)).toEqual([[0, bytes.length]]);
  });

  test("no needle, no range", () => {
    expect(eventRangesContaining(enc.encode('data: {"usage":null}\n\n'), needles)).toEqual([]);
  });

  test("CRLF streams widen to whole buffer, still decodable", () => {
    const bytes = enc.encode('data: {"a":1}\r\n\r\ndata: {"usage":{"x":1}}\r\n\r\n');
    const [[from, to]] = eventRangesContaining(bytes, needles) as [[number, number]];
    const events = new SseDecoder().push(bytes.subarray(from, to));
    expect(events.map((e) => e.data)).toContain('{"usage":{"x":1}}');
  });

  test("on every recorded stream, the ranges decode to exactly the events that hold a needle", () => {
    for (const f of loadFixtures().filter((x) => x.stream)) {
      const all = new SseDecoder().push(f.bytes);
      const expected = all.filter((e) => needles.some((n) => e.data.includes(n.toString()))).map((e) => e.data);
      const d = new SseDecoder();
      const got = eventRangesContaining(f.bytes, needles).flatMap(([a, b]) => d.push(f.bytes.subarray(a, b)).map((e) => e.data));
      expect({ name: f.name, got }).toEqual({ name: f.name, got: expected });
    }
  });
});

describe("nextEventEnd", () => {
  test("steps event by event, then to the end", () => {
    const bytes = enc.encode("data: a\n\ndata: b\n\ndata: c");
    expect(nextEventEnd(bytes, 0)).toBe(9);
    expect(nextEventEnd(bytes, 9)).toBe(18);
    expect(nextEventEnd(bytes, 18)).toBe(bytes.length);
  });
});
