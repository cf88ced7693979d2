/** Secret redaction: the values of a participant's auth headers and their bare tokens, in text and in stream bytes. */
import { describe, expect, test } from "bun:test";
import { createByteRedactor, redactSecrets, secretVariants } from "../../src/protocol/redact.ts";

describe("secretVariants", () => {
  test("a value and its bare token, longest first", () => {
    expect(secretVariants(["Bearer sk-abc123"])).toEqual(["Bearer sk-abc123", "sk-abc123"]);
  });

  test("Bearer, Basic and Token prefixes are stripped case-insensitively, with any whitespace", () => {
    expect(secretVariants(["bearer  tok1"])).toEqual(["bearer  tok1", "tok1"]);
    expect(secretVariants(["Basic dXNlcjpwYXNz"])).toEqual(["Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"]);
    // (the tab also as JSON writes it in a string: see below)
    expect(secretVariants(["TOKEN\tghp_x"])).toEqual(["TOKEN\\tghp_x", "TOKEN\tghp_x", "ghp_x"]);
  });

  test("a value JSON would escape is also looked for escaped, as a re-serialized event carries it", () => {
    expect(secretVariants(['key"with\\quote'])).toEqual(['key\\"with\\\\quote', 'key"with\\quote']);
    const event = JSON.stringify({ error: { message: 'bad key key"with\\quote' } });
    expect(redactSecrets(event, ['key"with\\quote'])).toBe(JSON.stringify({ error: { message: "bad key [redacted]" } }));
  });

  test("values without a prefix appear once", () => {
    expect(secretVariants(["sk-plain", "sk-plain"])).toEqual(["sk-plain"]);
  });

  test("values shorter than 4 characters are not redacted (they would shred ordinary text)", () => {
    expect(secretVariants(["abc", "", "Bearer ab"])).toEqual(["Bearer ab"]);
    expect(secretVariants(["abcd"])).toEqual(["abcd"]);
  });

  test("sorted by length across values", () => {
    expect(secretVariants(["aaaa", "bbbbbbbb", "cccccc"])).toEqual(["bbbbbbbb", "cccccc", "aaaa"]);
  });
});

describe("redactSecrets", () => {
  test("replaces every occurrence", () => {
    expect(redactSecrets("k=sk-123456 again sk-123456", ["sk-123456"])).toBe("k=[redacted] again [redacted]");
  });

  test("the full header value and the bare token leave no fragments", () => {
    expect(redactSecrets("got 'Bearer sk-xyz789' / sk-xyz789", ["Bearer sk-xyz789"])).toBe("got '[redacted]' / [redacted]");
  });

  test("a secret that contains another is replaced whole", () => {
    expect(redactSecrets("long=abcd1234 short=abcd", ["abcd", "abcd1234"])).toBe("long=[redacted] short=[redacted]");
  });

  test("regex metacharacters in a secret are taken literally", () => {
    expect(redactSecrets("key a.b*c+d? here; aXbbc", ["a.b*c+d?"])).toBe("key [redacted] here; aXbbc");
  });

  test("text without secrets, and an empty secret list, are returned unchanged", () => {
    expect(redactSecrets("nothing here", ["sk-zzzz"])).toBe("nothing here");
    expect(redactSecrets("Bearer sk-1", [])).toBe("Bearer sk-1");
  });
});

describe("createByteRedactor", () => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  test("no usable secret: no redactor at all (the stream path skips the work)", () => {
    expect(createByteRedactor([])).toBeUndefined();
    expect(createByteRedactor(["abc", ""])).toBeUndefined();
  });

  test("chunks without a secret come back as the same object, untouched", () => {
    const redact = createByteRedactor(["Bearer sk-live-1234"])!;
    const chunk = enc.encode('data: {"choices":[{"delta":{"content":"héllo 🎉"}}]}\n\n');
    expect(redact(chunk)).toBe(chunk);
  });

  test("a chunk echoing the key (full header value or bare token) is rewritten", () => {
    const redact = createByteRedactor(["Bearer sk-live-1234"])!;
    const chunk = enc.encode('data: {"error":{"message":"bad key sk-live-1234 (Bearer sk-live-1234) ü"}}\n\n');
    expect(dec.decode(redact(chunk))).toBe('data: {"error":{"message":"bad key [redacted] ([redacted]) ü"}}\n\n');
  });

  test("a subarray is read within its own bounds only", () => {
    const redact = createByteRedactor(["sk-live-1234"])!;
    const whole = enc.encode("sk-live-1234|data: clean\n\n|sk-live-1234");
    const middle = whole.subarray(13, whole.length - 13);
    expect(dec.decode(middle)).toBe("data: clean\n\n");
    expect(redact(middle)).toBe(middle);
    const withKey = whole.subarray(13);
    expect(dec.decode(redact(withKey))).toBe("data: clean\n\n|[redacted]");
  });
});
