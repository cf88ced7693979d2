/**
 * A chat body's `usage` read off its bytes, for a passthrough answer the hub does not otherwise
 * parse (proxy/relay-passthrough.ts: the ledger and /metrics count its tokens). It runs on every
 * non-streaming chat and embeddings request, so it makes nothing it does not return: no string,
 * no view, no parse. The body's last `"usage"` key is found by a native search from the end,
 * then the object after it is walked once: its three counts (`prompt_tokens`,
 * `completion_tokens`, `total_tokens`, as keys of the usage object itself, not of an object
 * inside it) are read as digits, everything else is stepped over (strings with their escapes,
 * nested objects and arrays). The result is what parsing the body would give (usageFromChat of
 * `JSON.parse(body).usage`); anything the walk does not decide by itself — a key written with
 * escapes, a count with a sign, a fraction or an exponent — is left to parsing the usage
 * object alone. A body cut inside the object has no usage.
 *
 * A Messages body (`usageInMessagesBytes`) has other keys, and the prompt in three counts that
 * add up (observe.ts `usageFromMessages`): its usage object is found the same way and parsed
 * alone, which a Messages participant's non-streaming answer, far rarer, can afford.
 */
import { usageFromChat, usageFromMessages, type Usage } from "./observe.ts";

const USAGE_KEY = Buffer.from('"usage"');
const lastIndexOf = Buffer.prototype.lastIndexOf as (this: Uint8Array, needle: Uint8Array) => number;
const [QUOTE, BACKSLASH, OPEN, CLOSE, OPEN_LIST, CLOSE_LIST, COLON, COMMA, MINUS, DOT, ZERO, NINE] = [34, 92, 123, 125, 91, 93, 58, 44, 45, 46, 48, 57];
const enc = new TextEncoder();
/** The counts read, in the order of `Usage`'s fields. */
const KEYS = ["prompt_tokens", "completion_tokens", "total_tokens"].map((k) => enc.encode(k));
const INPUT = 0;
const OUTPUT = 1;
const TOTAL = 2;
const NONE = -1;
/** The walk cannot decide: parse the usage object. */
const UNSURE = -2;

const isSpace = (c: number | undefined) => c === 32 || c === 10 || c === 13 || c === 9;

/** Which of KEYS the bytes [from, to) are, or NONE. */
function keyAt(b: Uint8Array, from: number, to: number): number {
  const length = to - from;
  search: for (let k = 0; k < KEYS.length; k++) {
    const key = KEYS[k]!;
    if (key.length !== length) continue;
    for (let i = 0; i < length; i++) if (b[from + i] !== key[i]) continue search;
    return k;
  }
  return NONE;
}

export function usageInChatBytes(bytes: Uint8Array): Usage | undefined {
  const open = usageObjectAt(bytes);
  return open === undefined ? undefined : walk(bytes, open);
}

export function usageInMessagesBytes(bytes: Uint8Array): Usage | undefined {
  const open = usageObjectAt(bytes);
  return open === undefined ? undefined : parsed(bytes, open, usageFromMessages);
}

/** Where the object of the body's last `"usage"` key starts, if it has one. */
function usageObjectAt(bytes: Uint8Array): number | undefined {
  const at = lastIndexOf.call(bytes, USAGE_KEY);
  if (at === -1) return undefined;
  let open = at + USAGE_KEY.length;
  while (open < bytes.length && bytes[open] !== OPEN) {
    const c = bytes[open];
    if (c !== COLON && !isSpace(c)) return undefined;
    open++;
  }
  return open;
}

/** The usage object that starts at `open`, walked once (see above). */
function walk(b: Uint8Array, open: number): Usage | undefined {
  const n = b.length;
  let input: number | undefined;
  let output: number | undefined;
  let total: number | undefined;
  let depth = 0;
  let expectKey = false;
  /** The count whose value comes next (after its key's colon), or NONE. */
  let key = NONE;
  for (let i = open; i < n; i++) {
    const c = b[i]!;
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      for (i++; i < n && b[i] !== QUOTE; i++) {
        if (b[i] === BACKSLASH) {
          i++;
          escaped = true;
        }
      }
      if (depth !== 1) continue;
      if (expectKey) {
        if (escaped) return parsed(b, open);
        key = keyAt(b, start, i);
        expectKey = false;
      } else if (key !== NONE) {
        // A count given as a string is no count (and a later key of the same name wins, as in JSON.parse).
        if (key === INPUT) input = undefined;
        else if (key === OUTPUT) output = undefined;
        else total = undefined;
        key = NONE;
      }
    } else if (c === COLON) {
      if (depth !== 1 || key === NONE) continue;
      let j = i + 1;
      while (isSpace(b[j])) j++;
      const value = digits(b, j);
      if (value === UNSURE) return parsed(b, open);
      if (key === INPUT) input = value === NONE ? undefined : value;
      else if (key === OUTPUT) output = value === NONE ? undefined : value;
      else total = value === NONE ? undefined : value;
      key = NONE;
    } else if (c === COMMA) {
      if (depth === 1) expectKey = true;
    } else if (c === OPEN || c === OPEN_LIST) {
      if (++depth === 1) expectKey = true;
      else if (depth === 2) key = NONE; // an object or list is no count
    } else if (c === CLOSE || c === CLOSE_LIST) {
      if (--depth === 0) return usageOf(input, output, total);
    }
  }
  return undefined;
}

/**
 * The whole number at `j`: NONE when the value there is no number (null, a string, an object:
 * the walk steps over it), UNSURE when it is a number the walk does not read (a sign, a
 * fraction, an exponent, a leading zero).
 */
function digits(b: Uint8Array, j: number): number {
  let c = b[j];
  if (c === MINUS) return UNSURE;
  if (c === undefined || c < ZERO || c > NINE) return NONE;
  if (c === ZERO && b[j + 1] !== undefined && b[j + 1]! >= ZERO && b[j + 1]! <= NINE) return UNSURE;
  let value = 0;
  for (; c !== undefined && c >= ZERO && c <= NINE; c = b[++j]) value = value * 10 + (c - ZERO);
  if (c === DOT || c === 101 || c === 69 || value > Number.MAX_SAFE_INTEGER) return UNSURE;
  return value;
}

/** Zero is a real count (Ollama reports prompt_tokens: 0 for a cached prompt). */
function usageOf(inputTokens: number | undefined, outputTokens: number | undefined, totalTokens: number | undefined): Usage | undefined {
  if (inputTokens === undefined && outputTokens === undefined && totalTokens === undefined) return undefined;
  return { inputTokens, outputTokens, totalTokens };
}

/** The usage object at `open` parsed alone (read as chat's unless told): its end found by counting brackets, strings skipped. */
function parsed(b: Uint8Array, open: number, read: (usage: unknown) => Usage | undefined = usageFromChat): Usage | undefined {
  let depth = 0;
  for (let i = open; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      for (i++; i < b.length && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) {
      try {
        return read(JSON.parse(Buffer.from(b.buffer, b.byteOffset + open, i + 1 - open).toString("utf8")));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
