import { describe, expect, test } from "bun:test";
import { ResponseStore, type StoredResponse } from "../../src/hub/responses/response-store.ts";
import { listInputItems } from "../../src/hub/responses/stored.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

function turn(id: string, previousId?: string, over: Partial<StoredResponse> = {}): StoredResponse {
  return {
    id,
    participantId: "p",
    model: "m",
    previousId,
    input: [{ id: `in_${id}`, type: "message", role: "user", content: [{ type: "input_text", text: `q ${id}` }] }],
    response: { id, status: "completed", output: [{ id: `out_${id}`, type: "message", role: "assistant", content: [{ type: "output_text", text: `a ${id}` }] }] },
    ...over,
  };
}

describe("ResponseStore", () => {
  test("history walks the chain oldest first: each turn's input, then its output", () => {
    const s = new ResponseStore();
    s.set("R", turn("r1"));
    s.set("R", turn("r2", "r1"));
    s.set("R", turn("r3", "r2"));
    const h = s.history("R", "r3");
    expect("items" in h && h.items.map((i) => i.id)).toEqual(["in_r1", "out_r1", "in_r2", "out_r2", "in_r3", "out_r3"]);
    expect(s.history("OTHER", "r3")).toEqual({ missing: "r3" });
  });

  test("an expired or evicted link is reported, not skipped", () => {
    let now = 0;
    const s = new ResponseStore({ maxPerRoom: 2, ttlMs: 1000 }, () => now);
    s.set("R", turn("r1"));
    s.set("R", turn("r2", "r1"));
    s.set("R", turn("r3", "r2")); // evicts r1 (cap 2)
    expect(s.history("R", "r3")).toEqual({ missing: "r1" });
    now = 5000;
    expect(s.get("R", "r3")).toBeUndefined();
    s.prune();
    expect(s.size).toBe(0);
  });

  test("rooms are separate, and one room's volume does not evict another's", () => {
    const s = new ResponseStore({ maxPerRoom: 1, ttlMs: 1000 });
    s.set("A", turn("a1"));
    s.set("B", turn("b1"));
    s.set("B", turn("b2"));
    expect(s.get("A", "a1")).toBeDefined();
    expect(s.get("B", "a1")).toBeUndefined();
    expect(s.size).toBe(2);
  });

  test("a cycle in the links cannot loop forever", () => {
    const s = new ResponseStore();
    s.set("R", turn("x", "y"));
    s.set("R", turn("y", "x"));
    expect(s.history("R", "x")).toEqual({ missing: "x" });
  });

  test("findItem finds input and output items, newest response first", () => {
    const s = new ResponseStore();
    s.set("R", turn("r1"));
    s.set("R", turn("r2", "r1"));
    expect(s.findItem("R", "out_r1")).toMatchObject({ role: "assistant" });
    expect(s.findItem("R", "in_r2")).toMatchObject({ role: "user" });
    expect(s.findItem("R", "nope")).toBeUndefined();
    expect(s.findItem("Z", "in_r2")).toBeUndefined();
  });
});

describe("input_items pagination", () => {
  const items = ["a", "b", "c", "d", "e"].map((id) => ({ id }));
  const q = (s: string) => new URLSearchParams(s);
  test("defaults: newest first, 20 at most", () => {
    expect(listInputItems(items, q(""))).toEqual({ object: "list", data: [...items].reverse(), first_id: "e", last_id: "a", has_more: false });
  });
  test("limit, order and after", () => {
    expect(listInputItems(items, q("order=asc&limit=2"))).toMatchObject({ data: [{ id: "a" }, { id: "b" }], has_more: true });
    expect(listInputItems(items, q("order=asc&limit=2&after=b"))).toMatchObject({ data: [{ id: "c" }, { id: "d" }], first_id: "c", last_id: "d", has_more: true });
    expect(listInputItems(items, q("order=asc&after=e"))).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });
  test("bad parameters are 400s naming them", () => {
    for (const [query, param] of [["limit=0", "limit"], ["limit=101", "limit"], ["limit=x", "limit"], ["order=up", "order"], ["after=zz", "after"]] as const) {
      let caught: unknown;
      try {
        listInputItems(items, q(query));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(GambiError);
      expect((caught as GambiError).status).toBe(400);
      expect((caught as GambiError).param).toBe(param);
    }
  });
});
