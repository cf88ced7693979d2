/**
 * Reading the commonest events of a stream without `JSON.parse`: the events that carry only a
 * piece of text, which a participant writes alike but for that text. Two parts:
 *
 * - `JsonScan`, a checking scanner over a subset of JSON (anything `JSON.parse` rejects, it
 *   rejects too: raw control characters in strings, bad escapes, bad numbers, trailing commas,
 *   text after the value), for a protocol's reader to say which keys an event may have and what
 *   their values must be (openai/chat-text-chunk.ts, anthropic/text-delta-event.ts). Keys are
 *   compared as written: one with an escape (`"ch\u006fices"`) is refused. Slower than
 *   `JSON.parse` for a whole event, so it only vets the event a template is learnt from.
 * - `TextTemplate`: the text before and after the text's JSON string in one vetted event. An
 *   event that is that head, one JSON string and that tail says the same but for the text, since
 *   replacing one JSON string by another changes nothing else; the string is returned as JSON
 *   text in `JSON.stringify`'s form (quotes included), for an adapter to splice into what it
 *   writes. A field that changes every time (OpenAI's `obfuscation`) means no match, unless the
 *   reader that vetted the event named its value a hole (`TextAt.holes`: a JSON string or a
 *   non-negative integer it does not read, such as a Responses event's `obfuscation` and
 *   `sequence_number`): there any value of the same kind matches, since the reader reads the
 *   same either way. After two templates learnt without a match no more are (the reader then
 *   always parses).
 *
 * The text is returned as the participant wrote it when that is already `JSON.stringify`'s
 * form (escapes only `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; no lone surrogate), else it is
 * parsed and written again (`\u00e9`, `\/`, Go's `\u003c`), so the result never depends on how
 * the participant escaped it.
 */

const MAX_DEPTH = 32;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

export class JsonScan {
  src = "";
  pos = 0;
  /** Whether the last string scanned had an escape. */
  escaped = false;
  /** Whether the last `text()` string is already in JSON.stringify's form. */
  canonical = true;

  reset(src: string, pos = 0): this {
    this.src = src;
    this.pos = pos;
    this.canonical = true;
    return this;
  }

  /** Whole text read: nothing but whitespace after the value. */
  atEnd(): boolean {
    this.ws();
    return this.pos === this.src.length;
  }

  ws(): void {
    const src = this.src;
    let pos = this.pos;
    for (;;) {
      const c = src.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  /** Whitespace, then `c`, consumed. */
  expect(c: number): boolean {
    this.ws();
    if (this.src.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** `{ key: value, … }`, `member` reading each value (called at the value, after whitespace). */
  object(member: (key: string) => boolean): boolean {
    if (!this.expect(0x7b /* { */)) return false;
    this.ws();
    if (this.src.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      return true;
    }
    for (;;) {
      this.ws();
      const start = this.pos;
      if (!this.string() || this.escaped) return false;
      const key = this.src.slice(start + 1, this.pos - 1);
      if (!this.expect(0x3a /* : */)) return false;
      this.ws();
      if (!member(key)) return false;
      this.ws();
      const c = this.src.charCodeAt(this.pos++);
      if (c === 0x7d) return true;
      if (c !== 0x2c /* , */) return false;
    }
  }

  /** `[]` only. */
  emptyArray(): boolean {
    if (this.src.charCodeAt(this.pos) !== 0x5b) return false;
    this.pos++;
    return this.expect(0x5d);
  }

  /** A literal token, written exactly: `null`, `true`, or a known string with its quotes. */
  word(w: string): boolean {
    if (!this.src.startsWith(w, this.pos)) return false;
    this.pos += w.length;
    return true;
  }

  /** A JSON string; `escaped` says whether it had an escape. */
  string(): boolean {
    const src = this.src;
    if (src.charCodeAt(this.pos) !== 0x22) return false;
    this.pos++;
    this.escaped = false;
    const canonical = this.canonical;
    for (;;) {
      const c = src.charCodeAt(this.pos++);
      if (c === 0x22) break;
      if (c < 0x20 || Number.isNaN(c)) return false; // a raw control character, or the end of the text
      if (c === 0x5c) {
        this.escaped = true;
        if (!this.escape()) return false;
      }
    }
    this.canonical = canonical;
    return true;
  }

  /** The text's JSON string: as `string`, and whether it is in JSON.stringify's form (`canonical`). */
  text(): boolean {
    const src = this.src;
    let pos = this.pos;
    if (src.charCodeAt(pos) !== 0x22) return false;
    pos++;
    for (;;) {
      const c = src.charCodeAt(pos++);
      if (c === 0x22) break;
      if (c < 0x20 || Number.isNaN(c)) return false;
      if (c === 0x5c) {
        this.pos = pos;
        if (!this.escape()) return false;
        pos = this.pos;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // JSON.stringify escapes a lone surrogate; a pair is written as it is.
        const next = src.charCodeAt(pos);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) pos++;
        else this.canonical = false;
      }
    }
    this.pos = pos;
    return true;
  }

  /** A non-negative integer written as JSON writes one (`0`, `12`); its value, or -1. */
  index(): number {
    const start = this.pos;
    if (this.src.charCodeAt(start) === 0x30) {
      this.pos++;
      return this.src.charCodeAt(this.pos) >= 0x30 && this.src.charCodeAt(this.pos) <= 0x39 ? -1 : 0;
    }
    if (!this.digits()) return -1;
    const c = this.src.charCodeAt(this.pos);
    if (c === 0x2e || c === 0x65 || c === 0x45 || this.pos - start > 9) return -1;
    return Number(this.src.slice(start, this.pos));
  }

  /** A non-negative integer written as JSON writes one, checked and skipped (its value not read: no limit on its digits). */
  natural(): boolean {
    const c = this.src.charCodeAt(this.pos);
    if (c === 0x30) this.pos++;
    else if (!this.digits()) return false;
    const next = this.src.charCodeAt(this.pos);
    return !((next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45);
  }

  /** Any JSON value, checked and skipped. */
  value(depth = 0): boolean {
    const c = this.src.charCodeAt(this.pos);
    switch (c) {
      case 0x22:
        return this.string();
      case 0x7b:
        return depth < MAX_DEPTH && this.object(() => this.value(depth + 1));
      case 0x5b: {
        if (depth >= MAX_DEPTH) return false;
        this.pos++;
        this.ws();
        if (this.src.charCodeAt(this.pos) === 0x5d) {
          this.pos++;
          return true;
        }
        for (;;) {
          this.ws();
          if (!this.value(depth + 1)) return false;
          this.ws();
          const next = this.src.charCodeAt(this.pos++);
          if (next === 0x5d) return true;
          if (next !== 0x2c) return false;
        }
      }
      case 0x74:
        return this.word("true");
      case 0x66:
        return this.word("false");
      case 0x6e:
        return this.word("null");
      default:
        return this.number();
    }
  }

  /** One escape after its backslash; false if JSON has no such escape. `\/` and `\u` are not JSON.stringify's form. */
  private escape(): boolean {
    const src = this.src;
    const e = src.charCodeAt(this.pos++);
    switch (e) {
      case 0x22: // "
      case 0x5c: // \
      case 0x62: // b
      case 0x66: // f
      case 0x6e: // n
      case 0x72: // r
      case 0x74: // t
        return true;
      case 0x2f: // /
        this.canonical = false;
        return true;
      case 0x75: {
        // u
        this.canonical = false;
        const p = this.pos;
        if (!(isHex(src.charCodeAt(p)) && isHex(src.charCodeAt(p + 1)) && isHex(src.charCodeAt(p + 2)) && isHex(src.charCodeAt(p + 3)))) return false;
        this.pos += 4;
        return true;
      }
      default:
        return false;
    }
  }

  private digits(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.src.charCodeAt(this.pos);
      if (c >= 0x30 && c <= 0x39) this.pos++;
      else return this.pos > start;
    }
  }

  /** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): boolean {
    if (this.src.charCodeAt(this.pos) === 0x2d) this.pos++;
    const first = this.src.charCodeAt(this.pos);
    if (first === 0x30) this.pos++;
    else if (first >= 0x31 && first <= 0x39) this.digits();
    else return false;
    if (this.src.charCodeAt(this.pos) === 0x2e) {
      this.pos++;
      if (!this.digits()) return false;
    }
    const e = this.src.charCodeAt(this.pos);
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = this.src.charCodeAt(this.pos);
      if (sign === 0x2b || sign === 0x2d) this.pos++;
      if (!this.digits()) return false;
    }
    return true;
  }
}

/** The string between `start` and `end` (quotes included) in JSON.stringify's form. */
export function literalOf(scan: JsonScan, start: number, end: number): string {
  const literal = scan.src.slice(start, end);
  return scan.canonical ? literal : JSON.stringify(JSON.parse(literal) as string);
}

/**
 * Whether `data` from `at` to its end is `closers` (brackets and commas) with any JSON
 * whitespace around them: the same tokens, since no token can hide in whitespace between them.
 */
function closedAlike(data: string, at: number, closers: string): boolean {
  let next = 0;
  for (let i = at; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (next === closers.length || c !== closers.charCodeAt(next)) return false;
    next++;
  }
  return next === closers.length;
}

/** Where a vetted event's text string is (its quotes included), and what else its reader took from it. */
export interface TextAt<T> {
  start: number;
  end: number;
  literal: string;
  info: T;
  /** Values the reader does not read, in order, none inside the text: each a JSON string or a non-negative integer written as JSON writes one. */
  holes?: { start: number; end: number }[];
}

/** What comes between the template's literal pieces: the text, or a hole of a kind. */
type Slot = "text" | "string" | "integer";

export class TextTemplate<T> {
  private head: string | undefined;
  private tail = "";
  /** Holes: the literal pieces after the head and the slot before each (the last piece is `tail`); empty without holes. */
  private pieces: string[] = [];
  private slots: Slot[] = [];
  /** A tail of closing brackets and commas only: those, whatever the whitespace between them (Anthropic pads each event's end with a different number of spaces). */
  private closers: string | undefined;
  /** What the reader took from the event the template was learnt from (the same in every match). */
  info: T | undefined;
  /** Templates learnt since the last match. */
  private unused = 0;
  private readonly scan = new JsonScan();

  constructor(private readonly vet: (data: string) => TextAt<T> | undefined) {}

  /** The text of an event shaped as the template, as JSON text; undefined if it is not. */
  match(data: string): string | undefined {
    const head = this.head;
    if (head === undefined || !data.startsWith(head)) return undefined;
    const scan = this.scan.reset(data, head.length);
    let start = -1;
    let end = -1;
    let ok = true;
    if (this.slots.length === 0) {
      start = head.length;
      ok = scan.text();
      end = scan.pos;
    } else {
      for (let i = 0; ok && i < this.slots.length; i++) {
        const slot = this.slots[i]!;
        if (slot === "text") {
          start = scan.pos;
          ok = scan.text();
          end = scan.pos;
        } else ok = slot === "string" ? scan.string() : scan.natural();
        const piece = this.pieces[i]!;
        if (ok && i < this.slots.length - 1) {
          ok = data.startsWith(piece, scan.pos);
          scan.pos += piece.length;
        }
      }
    }
    const at = scan.pos;
    if (!ok || !(this.closers === undefined ? data.length - at === this.tail.length && data.endsWith(this.tail) : closedAlike(data, at, this.closers))) {
      scan.src = "";
      return undefined;
    }
    this.unused = 0;
    const literal = literalOf(scan, start, end);
    scan.src = "";
    return literal;
  }

  /** An event that its reader parsed and found to carry only text: its head and tail become the template, if `vet` agrees (and then it says true). */
  learn(data: string): boolean {
    if (this.unused >= 2) return false;
    const at = this.vet(data);
    if (!at) return false;
    const spans: { start: number; end: number; slot: Slot }[] = [
      { start: at.start, end: at.end, slot: "text" as Slot },
      ...(at.holes ?? []).map((h) => ({ ...h, slot: (data.charCodeAt(h.start) === 0x22 ? "string" : "integer") as Slot })),
    ].sort((a, b) => a.start - b.start);
    this.head = data.slice(0, spans[0]!.start);
    this.slots = spans.length > 1 ? spans.map((s) => s.slot) : [];
    this.pieces = spans.length > 1 ? spans.map((s, i) => data.slice(s.end, i + 1 < spans.length ? spans[i + 1]!.start : data.length)) : [];
    this.tail = data.slice(spans.at(-1)!.end);
    this.closers = /^[\]}, \t\n\r]*$/.test(this.tail) ? this.tail.replace(/[ \t\n\r]/g, "") : undefined;
    this.info = at.info;
    this.unused++;
    return true;
  }
}
