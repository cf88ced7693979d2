/**
 * pool/fair-queue.ts on its own: the order slots are handed out in (least recently served
 * caller first, FIFO within a caller), waiters passed over keeping their turn, removal, the
 * waiter a full queue turns away, and the position estimate.
 */
import { describe, expect, test } from "bun:test";
import { FairQueue } from "../../src/hub/pool/fair-queue.ts";
import { prng } from "../helpers/prng.ts";

interface Item {
  name: string;
  model: string;
}
const all = () => true;
const item = (name: string, model = "a"): Item => ({ name, model });

function drain(q: FairQueue<Item>, eligible: (i: Item) => boolean = all): string[] {
  const out: string[] = [];
  for (let i = q.take(eligible); i; i = q.take(eligible)) out.push(i.name);
  return out;
}

describe("order", () => {
  test("FIFO within a caller", () => {
    const q = new FairQueue<Item>();
    for (const n of ["1", "2", "3"]) q.push("x", item(n));
    expect(drain(q)).toEqual(["1", "2", "3"]);
    expect([q.size, q.callers]).toEqual([0, 0]);
  });

  test("round robin across backlogged callers", () => {
    const q = new FairQueue<Item>();
    for (let i = 1; i <= 4; i++) q.push("heavy", item(`h${i}`));
    q.push("l1", item("l1"));
    q.push("l2", item("l2"));
    // Never-served callers in arrival order, then whoever was served longest ago.
    expect(drain(q)).toEqual(["h1", "l1", "l2", "h2", "h3", "h4"]);
  });

  test("served(): a request that never waited counts as its caller's turn, with a lane or without", () => {
    const q = new FairQueue<Item>();
    q.served("heavy");
    for (let i = 1; i <= 2; i++) q.push("heavy", item(`h${i}`));
    q.push("light", item("l1"));
    expect(drain(q)).toEqual(["l1", "h1", "h2"]);
    for (let i = 1; i <= 2; i++) q.push("heavy", item(`h${i}`));
    q.push("light", item("l1"));
    // heavy was served last above; light then gets a free slot at once (another model, say).
    q.served("light");
    expect(drain(q)).toEqual(["h1", "l1", "h2"]);
  });

  test("a newcomer goes before callers already served", () => {
    const q = new FairQueue<Item>();
    for (let i = 1; i <= 3; i++) q.push("heavy", item(`h${i}`));
    expect(q.take(all)!.name).toBe("h1");
    q.push("light", item("l"));
    expect(drain(q)).toEqual(["l", "h2", "h3"]);
  });

  test("a caller whose lane emptied keeps its place: coming back does not make it new", () => {
    const q = new FairQueue<Item>();
    q.push("a", item("a1"));
    q.push("b", item("b1"));
    q.push("b", item("b2"));
    expect(q.take(all)!.name).toBe("a1"); // a served, its lane gone
    expect(q.take(all)!.name).toBe("b1"); // b served after a
    q.push("a", item("a2")); // a was served before b: a goes first again
    expect(drain(q)).toEqual(["a2", "b2"]);
    q.push("b", item("b3")); // b arrives first, but was served last (b2 after a2)
    q.push("a", item("a3"));
    expect(drain(q)).toEqual(["a3", "b3"]);
  });

  test("only so many callers are remembered; the forgotten come back as new", () => {
    const q = new FairQueue<Item>(2);
    for (const c of ["a", "b", "c"]) {
      q.push(c, item(c));
      q.take(all);
    }
    q.push("z", item("z")); // new
    q.push("b", item("b")); // remembered, served after a (forgotten)
    q.push("a", item("a")); // forgotten: as new as z
    expect(drain(q)).toEqual(["z", "a", "b"]);
  });
});

describe("eligibility", () => {
  test("waiters that may not take a slot are passed over, in their lane and across lanes, and keep their turn", () => {
    const q = new FairQueue<Item>();
    q.push("x", item("xA1", "A"));
    q.push("x", item("xB1", "B"));
    q.push("y", item("yA1", "A"));
    q.push("z", item("zB1", "B"));
    expect(q.take((i) => i.model === "B")!.name).toBe("xB1"); // no head-of-line blocking inside x's lane
    expect(q.take((i) => i.model === "B")!.name).toBe("zB1");
    // x was served (B) after y was queued: y's A waiter comes before x's.
    expect(drain(q, (i) => i.model === "A")).toEqual(["yA1", "xA1"]);
  });

  test("nothing eligible: nothing taken, nothing reordered", () => {
    const q = new FairQueue<Item>();
    q.push("x", item("x1", "A"));
    q.push("y", item("y1", "A"));
    expect(q.take((i) => i.model === "B")).toBeUndefined();
    expect(drain(q)).toEqual(["x1", "y1"]);
  });
});

describe("removal and bounds", () => {
  test("remove takes one entry out, once", () => {
    const q = new FairQueue<Item>();
    q.push("x", item("1"));
    const two = q.push("x", item("2"));
    q.push("y", item("y"));
    expect(q.remove(two)).toBe(true);
    expect(q.remove(two)).toBe(false);
    expect([q.size, q.waitingFor("x")]).toEqual([2, 1]);
    expect(drain(q)).toEqual(["1", "y"]);
  });

  test("victimFor: the newest of the longest lane, if longer than the newcomer's would be", () => {
    const q = new FairQueue<Item>();
    for (let i = 1; i <= 3; i++) q.push("heavy", item(`h${i}`));
    q.push("light", item("l1"));
    expect(q.victimFor("new")!.item.name).toBe("h3");
    expect(q.victimFor("light")!.item.name).toBe("h3"); // light would have 2, heavy has 3
    q.push("light", item("l2"));
    expect(q.victimFor("light")).toBeUndefined(); // light would have 3: no better off
    expect(q.victimFor("heavy")).toBeUndefined();
    expect(new FairQueue<Item>().victimFor("x")).toBeUndefined();
  });
});

describe("position", () => {
  test("how many go before it when every waiter may take every slot", () => {
    const q = new FairQueue<Item>();
    const h = [1, 2, 3, 4].map((i) => q.push("heavy", item(`h${i}`)));
    const l = q.push("light", item("l1"));
    expect(h.map((e) => q.position(e))).toEqual([1, 3, 4, 5]);
    expect(q.position(l)).toBe(2);
    q.remove(l);
    expect(q.position(l)).toBe(0);
  });

  test("matches the real order of a random queue", () => {
    const random = prng(13);
    for (let round = 0; round < 50; round++) {
      const q = new FairQueue<Item>();
      const entries = [];
      for (let i = 0; i < 30; i++) {
        const caller = `c${Math.floor(random() * 5)}`;
        entries.push(q.push(caller, item(`${i}`)));
        if (random() < 0.2) q.take(all);
      }
      const queued = entries.filter((e) => q.position(e) > 0);
      const predicted = new Map(queued.map((e) => [e.item.name, q.position(e)]));
      drain(q).forEach((name, index) => expect(predicted.get(name)).toBe(index + 1));
    }
  });
});
