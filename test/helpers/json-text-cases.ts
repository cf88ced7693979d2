/**
 * For the tests of the text templates (protocol/json-scan.ts): texts that JSON escapes or that a
 * participant may escape its own way, the ways participants write a JSON string, and random
 * mutations of a JSON event (deletions, insertions of JSON's own characters, stretches repeated
 * elsewhere: duplicate keys and values), seeded so a failure can be reproduced.
 */
import { expect } from "bun:test";
import type { TextAt, TextTemplate } from "../../src/protocol/json-scan.ts";

export const TEXTS = [
  "plain",
  " tok",
  "",
  'with "quotes"',
  "back\\slash \\n not a newline",
  "new\nline\r\ttab",
  "\b\f\u0000\u0001\u001f\u007f",
  "olá, 日本語, Ελληνικά",
  "emoji 😀👍🏽",
  "line sep \u2028 para sep \u2029",
  "</script><b>&amp;</b>",
  "a/b/c",
  "lone \ud800 high",
  "lone \udc00 low",
  "reversed \udc00\ud800 pair",
  "\\u00e9 written as text",
  '{"json":"in text"}',
  "\\",
  '"',
];

const hex4 = (c: number, upper = false) => {
  const h = c.toString(16).padStart(4, "0");
  return `\\u${upper ? h.toUpperCase() : h}`;
};

/** How participants write a JSON string: JS, Python's ensure_ascii, Go's HTML-safe form, PHP-like `\/`, upper-case hex, everything as `\u`. */
export const ESCAPES: Record<string, (s: string) => string> = {
  stringify: (s) => JSON.stringify(s),
  ensure_ascii: (s) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => hex4(c.charCodeAt(0))),
  "go html-safe": (s) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => hex4(c.charCodeAt(0))),
  "escaped slash": (s) => JSON.stringify(s).replace(/\//g, "\\/"),
  "upper-case hex": (s) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => hex4(c.charCodeAt(0), true)),
  "all \\u": (s) => `"${[...Array(s.length).keys()].map((i) => hex4(s.charCodeAt(i))).join("")}"`,
};

const ALPHABET = ['"', "\\", "{", "}", "[", "]", ":", ",", " ", "\n", "0", "1", "-", "e", ".", "u", "n", "l", "a", "x", "\u2028", "\ud800", "é"];

/** `count` mutants of the seeds (1 to 3 mutations each), with the seed each came from. */
export function* mutants(seeds: string[], rand: () => number, count: number): Generator<{ seed: string; data: string }> {
  for (let i = 0; i < count; i++) {
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    let data = seed;
    for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) {
      const at = Math.floor(rand() * (data.length + 1));
      const op = rand();
      if (op < 0.4) data = data.slice(0, at) + data.slice(at + 1);
      else if (op < 0.8) data = data.slice(0, at) + ALPHABET[Math.floor(rand() * ALPHABET.length)] + data.slice(at);
      else {
        const from = Math.floor(rand() * data.length);
        data = data.slice(0, at) + data.slice(from, from + 1 + Math.floor(rand() * 30)) + data.slice(at);
      }
    }
    yield { seed, data };
  }
}

/** `data` parsed, when it is a JSON object. */
export function jsonObject(data: string): Record<string, any> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : undefined;
}

/**
 * What every text scanner and its templates promise, on `count` mutants of real events: whatever
 * the scanner accepts, or a template learnt from the mutant's seed matches, is JSON saying only
 * that text (`truth` reads it the slow way: the text, and what else it says, or undefined), given
 * as JSON.stringify writes it; `agree` checks the rest (the scanner's `info`, or the template's
 * and the seed it learnt from). Returns how many the scanner accepted and refused, for a test to
 * see that both happen.
 */
export function expectMutantsRead<I, T extends { text: string }>(o: {
  seeds: string[];
  rand: () => number;
  count: number;
  truth: (data: string) => T | undefined;
  scan: (data: string) => TextAt<I> | undefined;
  template: () => TextTemplate<I>;
  agree?: (data: string, truth: T, by: { info: I | undefined; seed?: string }) => void;
}): { accepted: number; rejected: number } {
  let accepted = 0;
  let rejected = 0;
  for (const { seed, data } of mutants(o.seeds, o.rand, o.count)) {
    const truth = o.truth(data);
    const scanned = o.scan(data);
    if (scanned) {
      expect(truth, data).toBeDefined();
      expect(scanned.literal, data).toBe(JSON.stringify(truth!.text));
      o.agree?.(data, truth!, { info: scanned.info });
      accepted++;
    } else rejected++;
    const template = o.template();
    template.learn(seed);
    const matched = template.match(data);
    if (matched !== undefined) {
      expect(truth, data).toBeDefined();
      expect(matched, data).toBe(JSON.stringify(truth!.text));
      o.agree?.(data, truth!, { info: template.info, seed });
    }
  }
  return { accepted, rejected };
}
