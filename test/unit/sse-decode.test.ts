/**
 * SseDecoder against every recorded stream (whole, byte by byte, and in seeded random slices, with
 * the line endings rewritten to CRLF and CR, with a BOM), and against the WHATWG parsing rules the
 * recordings do not exercise (comments mid-event, multi-line data, `data:x`, id/retry, end()).
 */
import { describe, expect, test } from "bun:test";
import { prng } from "../helpers/prng.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

const enc = new TextEncoder();
const sseFixtures = loadFixtures().filter((f) => f.stream);


function decodeChunks(chunks: Uint8Array[]): SseEvent[] {
  const d = new SseDecoder();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
}

const decodeWhole = (bytes: Uint8Array) => decodeChunks([bytes]);
const decodeText = (...parts: string[]) => decodeChunks(parts.map((p) => enc.encode(p)));

function randomSlices(bytes: Uint8Array, random: () => number, maxLen: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxLen);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Rewrites every LF byte of an LF-only recording into `eol`. */
function withLineEnding(bytes: Uint8Array, eol: "\r\n" | "\r"): Uint8Array {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 10) for (const c of eol) out.push(c.charCodeAt(0));
    else out.push(b);
  }
  return new Uint8Array(out);
}

/** An independent reading of an LF-only recording: blocks split by the helper, fields by hand. */
function referenceEvents(bytes: Uint8Array): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of splitEvents(bytes)) {
    const lines = new TextDecoder().decode(block).split("\n");
    const data: string[] = [];
    let event: string | undefined;
    for (const line of lines) {
      if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      else if (line.startsWith("event:")) event = line.slice(6).trimStart();
    }
    if (data.length > 0) out.push(event === undefined ? { data: data.join("\n") } : { event, data: data.join("\n") });
  }
  return out;
}

test("there are streaming recordings, LF-only, to decode", () => {
  expect(sseFixtures.length).toBeGreaterThanOrEqual(25);
  for (const f of sseFixtures) expect(f.bytes.includes(13)).toBe(false);
});

describe.each(sseFixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
  const whole = decodeWhole(fixture.bytes);

  test("whole body decodes to the events an independent reading finds", () => {
    expect(whole.length).toBeGreaterThan(0);
    expect(whole).toEqual(referenceEvents(fixture.bytes));
    for (const ev of whole) if (ev.data !== "[DONE]") expect(() => JSON.parse(ev.data)).not.toThrow();
  });

  test("byte-by-byte feeding yields the same events", () => {
    const bytes = [...fixture.bytes].map((b) => new Uint8Array([b]));
    expect(decodeChunks(bytes)).toEqual(whole);
  });

  test("seeded random slices yield the same events", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const random = prng(seed * 7919 + fixture.bytes.length);
      const maxLen = [2, 3, 7, 16, 64, 512][seed % 6]!;
      expect(decodeChunks(randomSlices(fixture.bytes, random, maxLen))).toEqual(whole);
    }
  });

  test("the same stream with CRLF or CR line endings, whole and sliced, yields the same events", () => {
    for (const eol of ["\r\n", "\r"] as const) {
      const bytes = withLineEnding(fixture.bytes, eol);
      expect(decodeWhole(bytes)).toEqual(whole);
      const random = prng(eol.length * 31 + fixture.bytes.length);
      expect(decodeChunks(randomSlices(bytes, random, 5))).toEqual(whole);
    }
  });

  test("a leading BOM is skipped, even when split across chunks", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...fixture.bytes]);
    expect(decodeWhole(bytes)).toEqual(whole);
    expect(decodeChunks([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)])).toEqual(whole);
  });
});

describe("multi-byte UTF-8", () => {
  const text = "event: ünïcødé\ndata: {\"t\":\"héllo 世界 🎉 naïve\"}\ndata: ∑≥\r\n\r\ndata: 🧪\r\r";
  const bytes = enc.encode(text);
  const expected: SseEvent[] = [{ event: "ünïcødé", data: '{"t":"héllo 世界 🎉 naïve"}\n∑≥' }, { data: "🧪" }];

  test("decodes whole", () => {
    expect(decodeWhole(bytes)).toEqual(expected);
  });

  test("every two-way split, including inside characters and between CR and LF, yields the same events", () => {
    for (let i = 0; i <= bytes.length; i++) {
      expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(expected);
    }
  });

  test("every three-way split with a one-byte middle chunk yields the same events", () => {
    for (let i = 0; i < bytes.length; i++) {
      expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i, i + 1), bytes.subarray(i + 1)])).toEqual(expected);
    }
  });

  test("a character cut off by the end of the stream becomes U+FFFD, not a lost event", () => {
    const cut = enc.encode("data: a🎉").subarray(0, -2);
    expect(decodeChunks([cut])).toEqual([{ data: "a\uFFFD" }]);
  });
});

describe("line endings", () => {
  test("LF, CRLF and CR end lines and events alike, mixed in one stream", () => {
    expect(decodeText("data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\r\ndata: e\r\n\n")).toEqual([
      { data: "a" },
      { data: "b" },
      { data: "c" },
      { data: "d" },
      { data: "e" },
    ]);
  });

  test("a CR at the end of one chunk pairs with an LF at the start of the next", () => {
    expect(decodeText("data: a\r", "\ndata: b\r", "\n\r", "\n")).toEqual([{ data: "a\nb" }]);
  });

  test("a CR at the end of a chunk followed by a non-LF starts a new line", () => {
    expect(decodeText("data: a\r", "data: b\r", "\r")).toEqual([{ data: "a\nb" }]);
  });

  test("CR CR is a blank line, but CR LF is one line ending", () => {
    expect(decodeText("data: a\r\rdata: b\r\ndata: c\r\n\r\n")).toEqual([{ data: "a" }, { data: "b\nc" }]);
  });
});

describe("fields", () => {
  test("comments are ignored, also between data lines of one event", () => {
    expect(decodeText(": OPENROUTER PROCESSING\n\n:\ndata: a\n: keep-alive\ndata: b\n\n")).toEqual([{ data: "a\nb" }]);
  });

  test("a stream of only comments yields nothing", () => {
    expect(decodeText(": ping\n\n: ping\n\n")).toEqual([]);
  });

  test("multi-line data joins with LF and keeps empty lines", () => {
    expect(decodeText("data: one\ndata:\ndata: three\n\n")).toEqual([{ data: "one\n\nthree" }]);
  });

  test("`data:x` and `data: x` are the same; only one leading space is removed", () => {
    expect(decodeText("data:x\n\ndata: x\n\ndata:  x\n\n")).toEqual([{ data: "x" }, { data: "x" }, { data: " x" }]);
  });

  test("`data` without a colon is an empty data line; a value may contain colons", () => {
    expect(decodeText("data\n\ndata: a:b: c\n\n")).toEqual([{ data: "" }, { data: "a:b: c" }]);
  });

  test("an event without data lines is not dispatched, and its name does not leak into the next", () => {
    expect(decodeText("event: ping\n\ndata: x\n\n")).toEqual([{ data: "x" }]);
  });

  test("the event name applies to one event only", () => {
    expect(decodeText("event: error\ndata: a\n\ndata: b\n\n")).toEqual([{ event: "error", data: "a" }, { data: "b" }]);
  });

  test("id persists across events (last event id), and an id with NUL is ignored", () => {
    expect(decodeText("id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")).toEqual([
      { id: "7", data: "a" },
      { id: "7", data: "b" },
      { id: "7", data: "c" },
      { id: "", data: "d" },
    ]);
  });

  test("retry must be all digits and applies to its own event", () => {
    expect(decodeText("retry: 1500\ndata: a\n\nretry: 1.5\ndata: b\n\nretry: x\ndata: c\n\n")).toEqual([
      { retry: 1500, data: "a" },
      { data: "b" },
      { data: "c" },
    ]);
  });

  test("unknown fields and field names with different case are ignored", () => {
    expect(decodeText("foo: bar\nDATA: no\nEvent: no\ndata: yes\n\n")).toEqual([{ data: "yes" }]);
  });

  test("a BOM only counts at the very start of the stream", () => {
    expect(decodeText("\uFEFFdata: a\n\n\uFEFFdata: b\n\n")).toEqual([{ data: "a" }]);
  });
});

describe("push and end", () => {
  test("push returns only the events the chunk completes", () => {
    const d = new SseDecoder();
    expect(d.push(enc.encode("data: a\n"))).toEqual([]);
    expect(d.push(enc.encode("\ndata: b\n\ndata: c"))).toEqual([{ data: "a" }, { data: "b" }]);
    expect(d.push(enc.encode("\n"))).toEqual([]);
    expect(d.push(enc.encode("\n"))).toEqual([{ data: "c" }]);
    expect(d.end()).toEqual([]);
  });

  test("end() dispatches a trailing event without its blank line (TGI, dropped streams)", () => {
    const d = new SseDecoder();
    expect(d.push(enc.encode('data:{"x":1}\n'))).toEqual([]);
    expect(d.end()).toEqual([{ data: '{"x":1}' }]);
  });

  test("end() completes a last line without any line ending", () => {
    expect(decodeText("event: e\ndata: tail")).toEqual([{ event: "e", data: "tail" }]);
  });

  test("end() after a trailing CR does not dispatch twice", () => {
    expect(decodeText("data: a\r")).toEqual([{ data: "a" }]);
    expect(decodeText("data: a\r\r")).toEqual([{ data: "a" }]);
  });

  test("end() on an empty stream yields nothing", () => {
    expect(new SseDecoder().end()).toEqual([]);
  });
});
