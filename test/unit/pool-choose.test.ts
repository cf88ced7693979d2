/**
 * pool/choose.ts and pool/speed.ts: which free participant gets a request. Tie-breaks in
 * order: load relative to capacity, observed speed (within 10 %), native protocol, random
 * (injected, so each branch is checked exactly).
 */
import { describe, expect, test } from "bun:test";
import { choose, type Choice } from "../../src/hub/pool/choose.ts";
import { REFERENCE_TOKENS, Speed, SPEED_STALE_MS } from "../../src/hub/pool/speed.ts";

interface C extends Choice {
  id: string;
}
const c = (id: string, over: Partial<Choice> = {}): C => ({ id, inFlight: 0, limit: 1, score: undefined, native: true, ...over });
const first = () => 0;
const last = () => 0.999999;
const pickId = (list: C[], random = first) => choose(list, random)?.id;

describe("speed.ts", () => {
  test("EWMA of TTFT and tokens/s; the score is the expected time for a reference answer", () => {
    const s = new Speed();
    expect(s.score(0)).toBeUndefined();
    s.add({ ttftMs: 200, tokensPerSecond: 50 }, 0);
    expect(s.score(0)).toBeCloseTo(200 + (REFERENCE_TOKENS * 1000) / 50);
    s.add({ ttftMs: 600, tokensPerSecond: 100 }, 0, 0.25);
    expect(s.ttftMs).toBeCloseTo(300);
    expect(s.tokensPerSecond).toBeCloseTo(62.5);
    expect(s.samples).toBe(2);
  });

  test("a missing or absurd measure leaves its average alone", () => {
    const s = new Speed();
    s.add({ ttftMs: 100 }, 0);
    s.add({ tokensPerSecond: 0, ttftMs: Number.NaN }, 0);
    s.add({}, 0);
    expect([s.ttftMs, s.tokensPerSecond, s.samples]).toEqual([100, undefined, 1]);
    expect(s.score(0)).toBe(100);
  });

  test("a measurement with no new sample for SPEED_STALE_MS counts as none; the next sample starts it again", () => {
    const s = new Speed();
    s.add({ ttftMs: 100 }, 1_000);
    expect(s.score(1_000 + SPEED_STALE_MS)).toBe(100);
    expect(s.score(1_001 + SPEED_STALE_MS)).toBeUndefined();
    // A sample without a usable measure refreshes nothing.
    s.add({}, 2_000 + SPEED_STALE_MS);
    expect(s.score(2_000 + SPEED_STALE_MS)).toBeUndefined();
    // And it starts the average again: the stale one is not mixed in.
    s.add({ ttftMs: 300 }, 3_000 + SPEED_STALE_MS);
    expect(s.score(3_000 + SPEED_STALE_MS)).toBe(300);
  });
});

describe("choose: the tie-break order", () => {
  test("nothing, or one", () => {
    expect(choose([], first)).toBeUndefined();
    expect(pickId([c("a", { inFlight: 9, limit: 10, native: false })])).toBe("a");
  });

  test("1. least loaded relative to capacity, before speed and protocol", () => {
    // b: 1 of 4 (25 %) beats a: 1 of 2 (50 %), though a is faster and native.
    const list = [c("a", { inFlight: 1, limit: 2, score: 100 }), c("b", { inFlight: 1, limit: 4, score: 900, native: false })];
    expect(pickId(list)).toBe("b");
    expect(pickId(list, last)).toBe("b");
    // 2 of 8 and 1 of 4 are the same load: both stay in the race.
    const equal = [c("x", { inFlight: 2, limit: 8, score: 500 }), c("y", { inFlight: 1, limit: 4, score: 100 })];
    expect(pickId(equal)).toBe("y");
  });

  test("2. then the fastest for the model; within 10 % counts as as fast", () => {
    const list = [c("slow", { score: 2000 }), c("fast", { score: 1000 }), c("close", { score: 1090 })];
    expect(pickId(list, first)).toBe("fast");
    expect(pickId(list, last)).toBe("close");
    expect(pickId([c("slow", { score: 2000 }), c("fast", { score: 1000 })], last)).toBe("fast");
  });

  test("a participant never measured ranks first among equals (so it gets measured)", () => {
    expect(pickId([c("known", { score: 50 }), c("new")], last)).toBe("new");
    expect(pickId([c("known", { score: 50 }), c("new", { inFlight: 1, limit: 2 })])).toBe("known");
  });

  test("3. then native protocol, before random", () => {
    const list = [c("translated", { native: false }), c("native", { native: true }), c("translated2", { native: false })];
    expect(pickId(list, first)).toBe("native");
    expect(pickId(list, last)).toBe("native");
    // Speed comes before protocol: a clearly faster translated participant wins.
    expect(pickId([c("n", { native: true, score: 3000 }), c("t", { native: false, score: 1000 })])).toBe("t");
  });

  test("4. then random, spread over all the tied", () => {
    const list = [c("a"), c("b"), c("c")];
    expect([0, 0.34, 0.67, 0.999999].map((r) => pickId(list, () => r))).toEqual(["a", "b", "c", "c"]);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(pickId(list, Math.random)!);
    expect(seen.size).toBe(3);
  });
});
