/**
 * pool/capacity.ts: one participant's limit (AIMD), cooldown and backoff, on a clock the test
 * passes in; and the default maxConcurrency per kind of endpoint.
 */
import { describe, expect, test } from "bun:test";
import { Capacity, clampConcurrency } from "../../src/hub/pool/capacity.ts";

describe("the effective limit (AIMD)", () => {
  test("starts at max; a 429 halves it, never below 1", () => {
    const c = new Capacity(8);
    expect([c.max, c.limit]).toEqual([8, 8]);
    c.rateLimited(0, 0, c.epoch);
    expect(c.limit).toBe(4);
    c.rateLimited(0, 0, c.epoch);
    c.rateLimited(0, 0, c.epoch);
    expect(c.limit).toBe(1);
    c.rateLimited(0, 0, c.epoch);
    expect(c.limit).toBe(1);
  });

  test("successes add about one per window's worth, never above max", () => {
    const c = new Capacity(8);
    c.rateLimited(0, 0, c.epoch); // window 4
    for (let i = 0; i < 4; i++) c.succeeded(); // 4 + 1/4 + 1/4.25 + … ≈ 4.94
    expect(c.limit).toBe(4);
    c.succeeded();
    expect(c.limit).toBe(5);
    for (let i = 0; i < 100; i++) c.succeeded();
    expect(c.limit).toBe(8);
  });

  test("429s of requests sent before the last decrease lower nothing more (one burst, one decrease)", () => {
    const c = new Capacity(16);
    const sentIn = c.epoch; // eight requests sent together, all answered 429
    for (let i = 0; i < 8; i++) c.rateLimited(0, 0, sentIn);
    expect(c.limit).toBe(8);
    c.rateLimited(0, 0, c.epoch); // one sent after: a new signal
    expect(c.limit).toBe(4);
  });

  test("free: below the limit and not cooling down", () => {
    const c = new Capacity(2);
    c.inFlight = 2;
    expect(c.free(0)).toBe(false);
    c.inFlight = 1;
    expect(c.free(0)).toBe(true);
    c.rateLimited(0, 5000, c.epoch); // limit 1 now, and cooling
    expect(c.free(4999)).toBe(false);
    c.inFlight = 0;
    expect(c.free(4999)).toBe(false);
    expect(c.free(5000)).toBe(true);
  });

  test("a re-join's new max: a full window follows it, a reduced one stays reduced", () => {
    const c = new Capacity(4);
    c.setMax(10);
    expect(c.limit).toBe(10);
    c.rateLimited(0, 0, c.epoch); // 5
    c.setMax(20);
    expect([c.max, c.limit]).toEqual([20, 5]);
    c.setMax(3);
    expect([c.max, c.limit]).toEqual([3, 3]);
  });
});

describe("cooldowns", () => {
  test("a hint is honoured as given, capped at maxCooldownMs", () => {
    const c = new Capacity(4, { baseBackoffMs: 1000, maxBackoffMs: 60_000, maxCooldownMs: 300_000, decrease: 0.5 });
    expect(c.rateLimited(1000, 7660, c.epoch)).toBe(7660);
    expect(c.cooldownUntil).toBe(8660);
    expect(c.rateLimited(1000, 86_400_000, c.epoch)).toBe(300_000);
  });

  test("a shorter hint never shortens a cooldown under way", () => {
    const c = new Capacity(4);
    c.rateLimited(0, 10_000, c.epoch);
    c.rateLimited(1000, 2000, c.epoch);
    expect(c.cooldownUntil).toBe(10_000);
  });

  test("no hint: 1 s, 2 s, 4 s … capped at 60 s, and a success resets it", () => {
    const c = new Capacity(4);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) waits.push(c.rateLimited(0, undefined, c.epoch));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    c.succeeded();
    expect(c.rateLimited(0, undefined, c.epoch)).toBe(1000);
  });

  test("a burst of 429s without hint doubles the backoff once", () => {
    const c = new Capacity(4);
    const sentIn = c.epoch;
    expect([c.rateLimited(0, undefined, sentIn), c.rateLimited(0, undefined, sentIn), c.rateLimited(0, undefined, sentIn)]).toEqual([1000, 2000, 2000]);
    expect(c.rateLimited(0, undefined, c.epoch)).toBe(2000);
    expect(c.rateLimited(0, undefined, c.epoch)).toBe(4000);
  });
});

describe("bounds", () => {
  test("maxConcurrency is 1 to 1024", () => {
    expect([0, 1, 3.7, 1024, 1025, -5].map(clampConcurrency)).toEqual([1, 1, 3, 1024, 1024, 1]);
    expect(new Capacity(0).max).toBe(1);
  });
});
