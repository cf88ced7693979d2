/** BoundedMap: a size cap (oldest out first) and a TTL, both checked with an injected clock. */
import { describe, expect, test } from "bun:test";
import { BoundedMap } from "../../src/protocol/bounded-map.ts";

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("size cap", () => {
  test("evicts the oldest entries beyond the cap", () => {
    const m = new BoundedMap<string, number>(3, 60_000);
    for (const [i, k] of ["a", "b", "c", "d", "e"].entries()) m.set(k, i);
    expect(m.size).toBe(3);
    expect(m.get("a")).toBeUndefined();
    expect(m.get("b")).toBeUndefined();
    expect([m.get("c"), m.get("d"), m.get("e")]).toEqual([2, 3, 4]);
  });

  test("set on an existing key refreshes its place, so it is evicted last", () => {
    const m = new BoundedMap<string, number>(2, 60_000);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 10);
    m.set("c", 3);
    expect(m.get("a")).toBe(10);
    expect(m.get("b")).toBeUndefined();
    expect(m.get("c")).toBe(3);
    expect(m.size).toBe(2);
  });

  test("get does not refresh the order (eviction is by insertion, not by use)", () => {
    const m = new BoundedMap<string, number>(2, 60_000);
    m.set("a", 1);
    m.set("b", 2);
    expect(m.get("a")).toBe(1);
    m.set("c", 3);
    expect(m.get("a")).toBeUndefined();
    expect(m.get("b")).toBe(2);
  });

  test("a cap of one keeps only the newest; a cap of zero keeps nothing", () => {
    const one = new BoundedMap<string, number>(1, 60_000);
    one.set("a", 1);
    one.set("b", 2);
    expect(one.size).toBe(1);
    expect(one.get("b")).toBe(2);
    const zero = new BoundedMap<string, number>(0, 60_000);
    zero.set("a", 1);
    expect(zero.size).toBe(0);
    expect(zero.get("a")).toBeUndefined();
  });

  test("memory stays bounded under many inserts", () => {
    const m = new BoundedMap<number, number>(100, 60_000);
    for (let i = 0; i < 10_000; i++) m.set(i, i);
    expect(m.size).toBe(100);
    expect(m.get(9_899)).toBeUndefined();
    expect(m.get(9_900)).toBe(9_900);
    expect(m.get(9_999)).toBe(9_999);
  });
});

describe("TTL", () => {
  test("an entry lives for ttlMs and expires exactly at its deadline", () => {
    const c = clock();
    const m = new BoundedMap<string, string>(10, 500, c.now);
    m.set("k", "v");
    c.advance(499);
    expect(m.get("k")).toBe("v");
    c.advance(1);
    expect(m.get("k")).toBeUndefined();
  });

  test("get removes an expired entry", () => {
    const c = clock();
    const m = new BoundedMap<string, string>(10, 100, c.now);
    m.set("k", "v");
    c.advance(100);
    expect(m.size).toBe(1);
    expect(m.get("k")).toBeUndefined();
    expect(m.size).toBe(0);
  });

  test("set restarts the TTL", () => {
    const c = clock();
    const m = new BoundedMap<string, string>(10, 100, c.now);
    m.set("k", "v1");
    c.advance(80);
    m.set("k", "v2");
    c.advance(80);
    expect(m.get("k")).toBe("v2");
    c.advance(20);
    expect(m.get("k")).toBeUndefined();
  });

  test("values that are falsy are still returned", () => {
    const m = new BoundedMap<string, number | string | null>(10, 100, clock().now);
    m.set("zero", 0);
    m.set("empty", "");
    m.set("null", null);
    expect(m.get("zero")).toBe(0);
    expect(m.get("empty")).toBe("");
    expect(m.get("null")).toBeNull();
  });

  test("uses Date.now when no clock is given", () => {
    const m = new BoundedMap<string, number>(10, 60_000);
    m.set("k", 1);
    expect(m.get("k")).toBe(1);
    const expired = new BoundedMap<string, number>(10, -1);
    expired.set("k", 1);
    expect(expired.get("k")).toBeUndefined();
  });
});

describe("delete and prune", () => {
  test("delete reports whether the key was there", () => {
    const m = new BoundedMap<string, number>(10, 100);
    m.set("a", 1);
    expect(m.delete("a")).toBe(true);
    expect(m.delete("a")).toBe(false);
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(0);
  });

  test("prune drops exactly the expired entries", () => {
    const c = clock();
    const m = new BoundedMap<string, number>(10, 100, c.now);
    m.set("a", 1);
    c.advance(30);
    m.set("b", 2);
    c.advance(30);
    m.set("c", 3);
    c.advance(40); // now +100: a expires now, b at +130, c at +160
    m.prune();
    expect(m.size).toBe(2);
    c.advance(30);
    m.prune();
    expect(m.size).toBe(1);
    expect(m.get("c")).toBe(3);
    c.advance(30);
    m.prune();
    expect(m.size).toBe(0);
  });

  test("prune respects re-inserted keys (they move to the back with a new deadline)", () => {
    const c = clock();
    const m = new BoundedMap<string, number>(10, 100, c.now);
    m.set("a", 1);
    m.set("b", 2);
    c.advance(90);
    m.set("a", 11);
    c.advance(10);
    m.prune();
    expect(m.size).toBe(1);
    expect(m.get("a")).toBe(11);
    expect(m.get("b")).toBeUndefined();
  });

  test("prune on an empty or fresh map is a no-op", () => {
    const c = clock();
    const m = new BoundedMap<string, number>(10, 100, c.now);
    m.prune();
    m.set("a", 1);
    m.prune();
    expect(m.size).toBe(1);
    expect(m.get("a")).toBe(1);
  });
});
