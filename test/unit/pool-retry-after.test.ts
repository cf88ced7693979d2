/**
 * pool/retry-after.ts: the wait a 429 asks for, in every form providers send it. The wall
 * clock is passed in, so HTTP dates and epoch stamps are exact.
 */
import { describe, expect, test } from "bun:test";
import { cooldownHint, parseDuration, parseReset, parseRetryAfter } from "../../src/hub/pool/retry-after.ts";

const NOW = Date.parse("2025-03-01T12:00:00Z");
const h = (init: Record<string, string>) => new Headers(init);

describe("Retry-After", () => {
  test("delta-seconds, fractions too", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter("1.5", NOW)).toBe(1500);
  });

  test("HTTP-date in its three forms, as GMT whatever the hub's zone", () => {
    expect(parseRetryAfter("Sat, 01 Mar 2025 12:00:30 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Saturday, 01-Mar-25 12:01:00 GMT", NOW)).toBe(60_000);
    expect(parseRetryAfter("Sat Mar  1 12:00:05 2025", NOW)).toBe(5000);
  });

  test("a date already past is 0; nonsense and negatives are absent", () => {
    expect(parseRetryAfter("Sat, 01 Mar 2025 11:00:00 GMT", NOW)).toBe(0);
    for (const bad of ["", "soon", "-1", "1e3", "12abc", undefined, null]) expect(parseRetryAfter(bad, NOW)).toBeUndefined();
  });
});

describe("durations (x-ratelimit-reset-*)", () => {
  test.each([
    ["6m0s", 360_000],
    ["2m59.56s", 179_560],
    ["1.5s", 1500],
    ["250ms", 250],
    ["1h2m3s", 3_723_000],
    ["7.66s", 7660],
    ["900us", 1],
    ["12", 12_000],
    ["0.5", 500],
  ])("%p → %p ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test("anything else is absent", () => {
    for (const bad of ["", "s", "6x", "1.s", "-2s", "1s 2s", "soon"]) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe("x-ratelimit-reset (no suffix)", () => {
  test("an epoch in ms (OpenRouter) or in seconds, seconds, a duration, a date", () => {
    expect(parseReset(String(NOW + 42_000), NOW)).toBe(42_000);
    expect(parseReset(String(NOW / 1000 + 7), NOW)).toBe(7000);
    expect(parseReset("30", NOW)).toBe(30_000);
    expect(parseReset("1m", NOW)).toBe(60_000);
    expect(parseReset("Sat, 01 Mar 2025 12:00:10 GMT", NOW)).toBe(10_000);
    expect(parseReset(String(NOW - 5000), NOW)).toBe(0);
  });
});

describe("cooldownHint: which header wins", () => {
  test("retry-after-ms, then Retry-After", () => {
    expect(cooldownHint(h({ "retry-after-ms": "1234", "retry-after": "9" }), NOW)).toBe(1234);
    expect(cooldownHint(h({ "retry-after": "9", "x-ratelimit-reset-requests": "1m" }), NOW)).toBe(9000);
    expect(cooldownHint(h({ "retry-after": "Sat, 01 Mar 2025 12:00:03 GMT" }), NOW)).toBe(3000);
  });

  test("the reset of the limit that ran out (remaining 0)", () => {
    const tokens = h({ "x-ratelimit-reset-requests": "2m59.56s", "x-ratelimit-remaining-requests": "14370", "x-ratelimit-reset-tokens": "7.66s", "x-ratelimit-remaining-tokens": "0" });
    expect(cooldownHint(tokens, NOW)).toBe(7660);
    const requests = h({ "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-tokens": "250ms", "x-ratelimit-remaining-tokens": "900" });
    expect(cooldownHint(requests, NOW)).toBe(360_000);
    const both = h({ "x-ratelimit-reset-requests": "6s", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-tokens": "20s", "x-ratelimit-remaining-tokens": "0" });
    expect(cooldownHint(both, NOW)).toBe(20_000);
  });

  test("neither says it ran out: the sooner reset", () => {
    expect(cooldownHint(h({ "x-ratelimit-reset-requests": "6s", "x-ratelimit-reset-tokens": "1.5s" }), NOW)).toBe(1500);
    expect(cooldownHint(h({ "x-ratelimit-reset-tokens": "250ms" }), NOW)).toBe(250);
  });

  test("OpenRouter's epoch-ms X-RateLimit-Reset", () => {
    expect(cooldownHint(h({ "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(NOW + 15_000) }), NOW)).toBe(15_000);
  });

  test("no hint at all, or only unreadable ones", () => {
    expect(cooldownHint(h({}), NOW)).toBeUndefined();
    expect(cooldownHint(h({ "retry-after": "later", "x-ratelimit-reset-tokens": "soon" }), NOW)).toBeUndefined();
  });
});
