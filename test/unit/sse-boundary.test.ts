/**
 * lastEventEnd decides how much of a chunk the passthrough forwards now and how much it holds
 * back. Forwarded bytes must always end on an event boundary, and forwarded + held must always
 * be the original bytes.
 */
import { describe, expect, test } from "bun:test";
import { prng } from "../helpers/prng.ts";
import { concatBytes, lastEventEnd, takeWholeEvents } from "../../src/protocol/sse/boundary.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

const enc = new TextEncoder();
const at = (s: string) => lastEventEnd(enc.encode(s));


function withLineEnding(bytes: Uint8Array, eol: "\n" | "\r\n" | "\r"): Uint8Array {
  if (eol === "\n") return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 10) for (const c of eol) out.push(c.charCodeAt(0));
    else out.push(b);
  }
  return new Uint8Array(out);
}

function decode(bytes: Uint8Array, end: boolean): SseEvent[] {
  const d = new SseDecoder();
  const out = d.push(bytes);
  return end ? [...out, ...d.end()] : out;
}

/** The passthrough's forwarding loop (src/proxy/relay-passthrough.ts `take`), as a pure function. */
function forward(chunks: Uint8Array[]): { sent: Uint8Array[]; held: Uint8Array } {
  let held = new Uint8Array(0);
  const sent: Uint8Array[] = [];
  for (const chunk of chunks) {
    const all = concatBytes(held, chunk);
    const cut = lastEventEnd(all);
    if (cut > 0) sent.push(all.slice(0, cut));
    held = all.slice(cut);
  }
  return { sent, held };
}

describe("lastEventEnd", () => {
  test("LF LF", () => {
    expect(at("data: a\n\n")).toBe(9);
    expect(at("data: a\n\ndata: b")).toBe(9);
    expect(at("data: a\n\ndata: b\n\n")).toBe(18);
  });

  test("CRLF CRLF", () => {
    expect(at("data: a\r\n\r\n")).toBe(11);
    expect(at("data: a\r\n\r\ndata: b\r\n")).toBe(11);
  });

  test("CR CR", () => {
    expect(at("data: a\r\r")).toBe(9);
    expect(at("data: a\r\rdata: b\r")).toBe(9);
  });

  test("mixed endings: LF then CRLF, CRLF then LF, CRLF then CR, CR then CRLF", () => {
    expect(at("data: a\n\r\n")).toBe(10);
    expect(at("data: a\r\n\n")).toBe(10);
    expect(at("data: a\r\n\r")).toBe(10);
    expect(at("data: a\r\r\n")).toBe(10);
  });

  test("no blank line: 0", () => {
    for (const s of ["", "\n", "\r", "\r\n", "data: a", "data: a\n", "data: a\r\n", "data: a\r", "data: a\ndata: b\r\n"]) {
      expect(at(s)).toBe(0);
    }
  });

  test("a lone CRLF is one line ending, not a blank line", () => {
    expect(at("data: a\r\ndata: b\r\ndata: c\r\n")).toBe(0);
  });

  test("the last of several boundaries wins, with extra blank lines included", () => {
    expect(at("data: a\n\ndata: b\n\n\n")).toBe(19);
    expect(at("\n\n")).toBe(2);
  });

  test("agrees with the fixture helper's event split at every prefix of a recording", () => {
    const f = loadFixtures().find((x) => x.name === "chat/openai-text-usage.sse")!;
    const ends: number[] = [];
    let pos = 0;
    for (const ev of splitEvents(f.bytes)) ends.push((pos += ev.length));
    for (let k = 0; k <= f.bytes.length; k++) {
      const expected = ends.filter((e) => e <= k && f.bytes[e - 1] === 10).at(-1) ?? 0;
      expect(lastEventEnd(f.bytes.subarray(0, k))).toBe(expected);
    }
  });
});

describe("concatBytes", () => {
  test("joins in order", () => {
    expect([...concatBytes(new Uint8Array([1, 2]), new Uint8Array([3]))]).toEqual([1, 2, 3]);
    expect([...concatBytes(new Uint8Array([1]), new Uint8Array(0))]).toEqual([1]);
  });

  test("an empty head returns the tail itself, without copying", () => {
    const b = new Uint8Array([9, 8]);
    expect(concatBytes(new Uint8Array(0), b)).toBe(b);
  });

  test("does not alias its inputs when it copies", () => {
    const a = new Uint8Array([1]);
    const out = concatBytes(a, new Uint8Array([2]));
    a[0] = 7;
    expect([...out]).toEqual([1, 2]);
  });
});

describe("forwarding cut at lastEventEnd (every recording, LF/CRLF/CR, seeded random chunks)", () => {
  const fixtures = loadFixtures().filter((f) => f.stream);

  test.each(fixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    for (const eol of ["\n", "\r\n", "\r"] as const) {
      const bytes = withLineEnding(fixture.bytes, eol);
      const expectedEvents = decode(bytes, true);
      for (let seed = 1; seed <= 4; seed++) {
        const random = prng(seed * 104729 + bytes.length);
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; ) {
          const n = 1 + Math.floor(random() * [3, 40, 300, 4000][seed - 1]!);
          chunks.push(bytes.subarray(i, i + n));
          i += n;
        }
        const { sent, held } = forward(chunks);
        const joined = sent.reduce((acc, c) => concatBytes(acc, c), new Uint8Array(0));

        // Nothing lost, nothing reordered.
        expect(Buffer.from(concatBytes(joined, held)).equals(Buffer.from(bytes))).toBe(true);
        // The recordings end with a blank line, so nothing stays held at the end, except the LF of
        // a final CRLF whose CR (already a complete blank line) went out with the last chunk.
        if (eol === "\r\n" && held.length > 0) expect([...held, joined.at(-1)]).toEqual([10, 13]);
        else expect(held.length).toBe(0);
        // Every forwarded prefix ends on an event boundary: end() finds no half event in it.
        let prefix: Uint8Array = new Uint8Array(0);
        for (const c of sent) {
          prefix = concatBytes(prefix, c);
          expect(decode(prefix, true)).toEqual(decode(prefix, false));
        }
        expect(decode(joined, true)).toEqual(expectedEvents);
      }
    }
  });

  test("a stream cut mid-event holds back exactly the partial event", () => {
    const { sent, held } = forward([enc.encode("data: a\n\ndata: b\n\ndata: par"), enc.encode("tial")]);
    expect(sent.map((c) => new TextDecoder().decode(c))).toEqual(["data: a\n\ndata: b\n\n"]);
    expect(new TextDecoder().decode(held)).toBe("data: partial");
  });
});

describe("takeWholeEvents", () => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  /** The old way: join, cut at the last event end. */
  const joined = (held: Uint8Array, chunk: Uint8Array) => {
    const all = concatBytes(held, chunk);
    const cut = lastEventEnd(all);
    return { sent: dec.decode(all.subarray(0, cut)), held: dec.decode(all.subarray(cut)) };
  };

  test("a chunk that ends on an event end is sent as it is, nothing copied", () => {
    const chunk = enc.encode("data: a\n\ndata: b\n\n");
    const { pieces, held } = takeWholeEvents(new Uint8Array(0), chunk);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toBe(chunk);
    expect(held.length).toBe(0);
  });

  test("a held partial event is completed by a small piece; the rest of the chunk is a view of it", () => {
    const chunk = enc.encode(" tail\n\ndata: b\n\ndata: c\n\ndata: par");
    const { pieces, held } = takeWholeEvents(enc.encode("data: head"), chunk);
    expect(pieces.map((p) => dec.decode(p))).toEqual(["data: head tail\n\n", "data: b\n\ndata: c\n\n"]);
    expect(pieces[1]!.buffer).toBe(chunk.buffer);
    expect(dec.decode(held)).toBe("data: par");
  });

  test("a blank line split between the held bytes and the chunk ends the event (LF, CRLF, CR)", () => {
    for (const [h, c] of [["data: a\n", "\ndata: b\n\n"], ["data: a\r\n", "\r\ndata: b\r\n\r\n"], ["data: a\r", "\rdata: b\r\r"], ["data: a\r\n\r", "\ndata: b\n\n"]] as const) {
      const { pieces, held } = takeWholeEvents(enc.encode(h), enc.encode(c));
      expect(pieces.map((p) => dec.decode(p)).join("") + dec.decode(held)).toBe(h + c);
      expect(dec.decode(pieces[0]!).startsWith(h)).toBe(true);
      expect(pieces.length).toBeGreaterThan(0);
    }
  });

  test("over random splits of recorded-like streams, it sends what joining and cutting sends", () => {
    const random = prng(7);
    const rand = (n: number) => Math.floor(random() * n);
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = Array.from({ length: 40 }, (_, i) => `event: e${i}${eol}data: {"i":${i},"t":"${"x".repeat(i % 7)}"}${eol}${eol}`).join("") + `: c${eol}${eol}`;
      const bytes = enc.encode(text);
      for (let trial = 0; trial < 50; trial++) {
        let heldNew: Uint8Array = new Uint8Array(0);
        let heldOld: Uint8Array = new Uint8Array(0);
        let sentNew = "";
        let sentOld = "";
        for (let at = 0; at < bytes.length; ) {
          const next = Math.min(bytes.length, at + 1 + rand(60));
          const chunk = bytes.slice(at, next);
          const taken = takeWholeEvents(heldNew, chunk);
          for (const p of taken.pieces) {
            const s = dec.decode(p);
            // Every piece is whole events: it ends on a blank line.
            expect(lastEventEnd(p)).toBe(p.length);
            sentNew += s;
          }
          heldNew = taken.held;
          const old = joined(heldOld, chunk);
          sentOld += old.sent;
          heldOld = enc.encode(old.held);
          // The same bytes go out at the same time.
          expect(sentNew).toBe(sentOld);
          at = next;
        }
        expect(sentNew + dec.decode(heldNew)).toBe(text);
        expect(sentNew.length).toBeGreaterThanOrEqual(text.length - 1);
      }
    }
  });
});
