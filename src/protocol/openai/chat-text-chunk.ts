/**
 * The commonest event of a chat participant's stream, read without `JSON.parse`: a chunk whose
 * one choice carries only text (`choices: [{delta: {content: "…"}, finish_reason: null, …}]`,
 * no usage, no error). A participant writes those chunks alike but for their text (the same id,
 * model and fields in the same order: llama.cpp, vLLM, Ollama, Groq…), so `TextChunks` learns
 * the text before and after the content from one such chunk, and then takes a chunk that is
 * that head, a JSON string, and that tail: the string is its text, as JSON string text (quotes
 * included) in `JSON.stringify`'s form, for an adapter to put into the event it writes without
 * building an object. Anything else is undefined, and the caller reads the chunk as always
 * (chat-stream-event.ts); a chunk with a field that changes every time (OpenAI's
 * `obfuscation`) never matches, and after two templates learnt without a match no more are.
 *
 * What makes it safe: a template is learnt only from a chunk that `scanTextChunk` accepts, and
 * replacing one JSON string by another changes nothing else about what the chunk says.
 * `scanTextChunk` accepts a subset of JSON (anything `JSON.parse` rejects, it rejects too),
 * reads every key that any reader of such a chunk looks at, and takes no chance with the rest:
 * - top level: `choices` once, an array of exactly one object; `usage` only `null`; `error` and
 *   `x_groq` (where Groq puts usage) not at all; any other key (`id`, `model`, `provider`, …) is
 *   skipped, its value checked as JSON;
 * - the choice: `delta` once; `finish_reason` absent or `null`; other keys (`index`,
 *   `logprobs`, `stop_reason`, `content_filter_results`, `token_ids`, …) skipped: with one
 *   choice and no finish, nothing reads them;
 * - the delta: `content` once, a string; `role` (Ollama and TGI repeat it); `refusal`,
 *   `reasoning_content`, `reasoning` only `null`; `tool_calls` and `reasoning_details` `null` or
 *   `[]`; any other key → rejected;
 * - a key written with an escape (`"ch\u006fices"`) → rejected: keys are compared as written.
 * The text is returned as the participant wrote it when that is already `JSON.stringify`'s form
 * (escapes only `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; no lone surrogate), else it is parsed
 * and written again (`\u00e9`, `\/`, Go's `\u003c`), so the result never depends on how the
 * participant escaped its text.
 */

export class TextChunks {
  private head: string | undefined;
  private tail = "";
  /** Templates learnt since the last match. */
  private unused = 0;

  /** The text of a chunk shaped as the template (JSON string text), or undefined. */
  match(data: string): string | undefined {
    const head = this.head;
    if (head === undefined || !data.startsWith(head)) return undefined;
    src = data;
    pos = head.length;
    canonical = true;
    const ok = content();
    src = "";
    if (!ok || data.length - pos !== this.tail.length || !data.endsWith(this.tail)) return undefined;
    this.unused = 0;
    return literalOf(data, contentStart, contentEnd);
  }

  /** A chunk read the slow way that carried only text: its head and tail become the template, if `scanTextChunk` agrees. */
  learn(data: string): void {
    if (this.unused >= 2) return;
    const at = scanTextChunk(data);
    if (!at) return;
    this.head = data.slice(0, at.start);
    this.tail = data.slice(at.end);
    this.unused++;
  }
}

/**
 * Where a text-only chunk's content string is (from its opening quote to after its closing
 * one) and that string as JSON text in `JSON.stringify`'s form; undefined if it is not
 * certainly such a chunk. For learning templates and for tests; a full scan is slower than
 * `JSON.parse`.
 */
export function scanTextChunk(data: string): { start: number; end: number; literal: string } | undefined {
  src = data;
  pos = 0;
  contentStart = -1;
  canonical = true;
  const ok = chunk();
  src = "";
  if (!ok || contentStart < 0) return undefined;
  return { start: contentStart, end: contentEnd, literal: literalOf(data, contentStart, contentEnd) };
}

function literalOf(data: string, start: number, end: number): string {
  const literal = data.slice(start, end);
  return canonical ? literal : JSON.stringify(JSON.parse(literal) as string);
}

let src = "";
let pos = 0;
/** Whether the last string scanned had an escape (a key with one is not compared). */
let escaped = false;
/** Whether the content string is already in JSON.stringify's form. */
let canonical = true;
let contentStart = -1;
let contentEnd = -1;

const MAX_DEPTH = 32;

function ws(): void {
  for (;;) {
    const c = src.charCodeAt(pos);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
    else return;
  }
}

/** At `c` (after whitespace): consume it. */
function expect(c: number): boolean {
  ws();
  if (src.charCodeAt(pos) !== c) return false;
  pos++;
  return true;
}

/** `{ key: value, … }` with `member` reading each value (it is at the value, after whitespace). */
function object(member: (key: string) => boolean): boolean {
  if (!expect(0x7b /* { */)) return false;
  ws();
  if (src.charCodeAt(pos) === 0x7d /* } */) {
    pos++;
    return true;
  }
  for (;;) {
    ws();
    const start = pos;
    if (!string()) return false;
    if (escaped) return false;
    const key = src.slice(start + 1, pos - 1);
    if (!expect(0x3a /* : */)) return false;
    ws();
    if (!member(key)) return false;
    ws();
    const c = src.charCodeAt(pos++);
    if (c === 0x7d) return true;
    if (c !== 0x2c /* , */) return false;
  }
}

function chunk(): boolean {
  let choices = false;
  const ok = object((key) => {
    switch (key) {
      case "choices":
        if (choices) return false;
        choices = true;
        return oneChoice();
      case "usage":
        return word("null");
      case "error":
      case "x_groq":
        return false;
      default:
        return value(0);
    }
  });
  if (!ok || !choices) return false;
  ws();
  return pos === src.length;
}

function oneChoice(): boolean {
  if (!expect(0x5b /* [ */)) return false;
  let delta = false;
  let finish = false;
  const ok = object((key) => {
    switch (key) {
      case "delta":
        if (delta) return false;
        delta = true;
        return textDelta();
      case "finish_reason":
        if (finish) return false;
        finish = true;
        return word("null");
      default:
        return value(0);
    }
  });
  return ok && delta && expect(0x5d /* ] */);
}

function textDelta(): boolean {
  return object((key) => {
    switch (key) {
      case "content":
        if (contentStart >= 0) return false;
        return content();
      case "role":
        return value(0);
      case "refusal":
      case "reasoning_content":
      case "reasoning":
        return word("null");
      case "tool_calls":
      case "reasoning_details":
        return word("null") || emptyArray();
      default:
        return false;
    }
  });
}

function emptyArray(): boolean {
  if (src.charCodeAt(pos) !== 0x5b) return false;
  pos++;
  return expect(0x5d);
}

function word(w: string): boolean {
  if (!src.startsWith(w, pos)) return false;
  pos += w.length;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** One escape after its backslash (at `pos`); false if JSON has no such escape. Sets `canonical` false for `\/` and `\u`. */
function escape(): boolean {
  const e = src.charCodeAt(pos++);
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
      canonical = false;
      return true;
    case 0x75: // u
      canonical = false;
      if (!(isHex(src.charCodeAt(pos)) && isHex(src.charCodeAt(pos + 1)) && isHex(src.charCodeAt(pos + 2)) && isHex(src.charCodeAt(pos + 3)))) return false;
      pos += 4;
      return true;
    default:
      return false;
  }
}

/** A JSON string at `pos`; `escaped` says whether it had an escape. */
function string(): boolean {
  if (src.charCodeAt(pos) !== 0x22) return false;
  pos++;
  escaped = false;
  for (;;) {
    const c = src.charCodeAt(pos++);
    if (c === 0x22) return true;
    if (c < 0x20 || Number.isNaN(c)) return false; // a raw control character, or the end of the text
    if (c === 0x5c) {
      escaped = true;
      const keep = canonical;
      if (!escape()) return false;
      canonical = keep;
    }
  }
}

/** The content string: as `string`, and whether it is already in JSON.stringify's form. */
function content(): boolean {
  if (src.charCodeAt(pos) !== 0x22) return false;
  const start = pos++;
  for (;;) {
    const c = src.charCodeAt(pos++);
    if (c === 0x22) break;
    if (c < 0x20 || Number.isNaN(c)) return false;
    if (c === 0x5c) {
      if (!escape()) return false;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // JSON.stringify escapes a lone surrogate; a pair is written as it is.
      const next = src.charCodeAt(pos);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) pos++;
      else canonical = false;
    }
  }
  contentStart = start;
  contentEnd = pos;
  return true;
}

function digits(): boolean {
  const start = pos;
  for (;;) {
    const c = src.charCodeAt(pos);
    if (c >= 0x30 && c <= 0x39) pos++;
    else return pos > start;
  }
}

/** A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function number(): boolean {
  if (src.charCodeAt(pos) === 0x2d) pos++;
  const first = src.charCodeAt(pos);
  if (first === 0x30) pos++;
  else if (first >= 0x31 && first <= 0x39) digits();
  else return false;
  if (src.charCodeAt(pos) === 0x2e) {
    pos++;
    if (!digits()) return false;
  }
  const e = src.charCodeAt(pos);
  if (e === 0x65 || e === 0x45) {
    pos++;
    const sign = src.charCodeAt(pos);
    if (sign === 0x2b || sign === 0x2d) pos++;
    if (!digits()) return false;
  }
  return true;
}

/** Any JSON value at `pos`, checked and skipped. */
function value(depth: number): boolean {
  const c = src.charCodeAt(pos);
  switch (c) {
    case 0x22:
      return string();
    case 0x7b:
      return depth < MAX_DEPTH && object(() => value(depth + 1));
    case 0x5b: {
      if (depth >= MAX_DEPTH) return false;
      pos++;
      ws();
      if (src.charCodeAt(pos) === 0x5d) {
        pos++;
        return true;
      }
      for (;;) {
        ws();
        if (!value(depth + 1)) return false;
        ws();
        const next = src.charCodeAt(pos++);
        if (next === 0x5d) return true;
        if (next !== 0x2c) return false;
      }
    }
    case 0x74:
      return word("true");
    case 0x66:
      return word("false");
    case 0x6e:
      return word("null");
    default:
      return number();
  }
}
