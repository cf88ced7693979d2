/**
 * pool/scheduler.ts on a virtual clock (manualTimers): capacity, the queue, fairness, cooldowns,
 * AIMD, eligibility (models, pins, exclude, health), the two busy answers, abort, and the timer
 * discipline (none when a slot is free). Deterministic: random sources are injected.
 */
import { describe, expect, test } from "bun:test";
import { AccessError } from "../../src/hub/access/limiter.ts";
import { RoomScheduler, type AcquireRequest, type Lease, type PoolMember, type SchedulerOptions, type Waiting } from "../../src/hub/pool/scheduler.ts";
import { SPEED_STALE_MS } from "../../src/hub/pool/speed.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { manualTimers, type ManualTimers } from "../helpers/fake-timers.ts";
import { prng } from "../helpers/prng.ts";

const WALL0 = Date.parse("2025-03-01T12:00:00Z");
const both = { responses: true, chatCompletions: true };
const first = () => 0;

function setup(opts: Partial<SchedulerOptions> = {}) {
  const timers = manualTimers();
  const pool = new RoomScheduler({ timers, wallNow: () => WALL0 + timers.now(), random: first, room: "K7QX2M", ...opts });
  return { timers, pool };
}

const member = (id: string, over: Partial<PoolMember> = {}): PoolMember => ({ id, models: ["llama3"], capabilities: both, maxConcurrency: 1, ...over });
const req = (over: Partial<AcquireRequest> = {}): AcquireRequest => ({ want: { kind: "model", model: "llama3" }, protocol: "chat", caller: "c1", ...over });
const model = (m: string) => ({ kind: "model", model: m }) as const;

function now(x: Lease | Waiting): Lease {
  if (x.waiting) throw new Error("expected a lease at once, got a waiter");
  return x;
}
function queued(x: Lease | Waiting) {
  if (!x.waiting) throw new Error(`expected to wait, got a lease on ${x.member.id}`);
  const seen: { lease?: Lease; error?: unknown; waiting: Waiting } = { waiting: x };
  x.granted.then(
    (l) => (seen.lease = l),
    (e) => (seen.error = e),
  );
  return seen;
}
const flush = () => new Promise<void>((r) => setImmediate(r));

function rejection(fn: () => unknown): GambiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GambiError);
    return err as GambiError;
  }
  throw new Error("did not throw");
}

describe("capacity", () => {
  test("a free slot is leased at once; a full participant makes the next request wait", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 2 }));
    const a = now(pool.acquire(req()));
    now(pool.acquire(req()));
    expect(a.member.id).toBe("p1");
    expect([a.model, a.waitedMs]).toEqual(["llama3", 0]);
    queued(pool.acquire(req()));
    expect(pool.memberView("p1")).toMatchObject({ maxConcurrency: 2, limit: 2, inFlight: 2, cooldownUntil: null });
    expect(pool.view().waiting).toBe(1);
  });

  test("never exceeded, whatever the order of arrivals, results and time (random runs)", async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const random = prng(seed);
      const { timers, pool } = setup({ random, queueTimeoutMs: 5000, queueSize: 20 });
      const members = [member("p1", { maxConcurrency: 1 }), member("p2", { maxConcurrency: 3, models: ["llama3", "qwen"] }), member("p3", { maxConcurrency: 2, models: ["qwen"] })];
      for (const m of members) pool.upsert(m);
      const held: Lease[] = [];
      const check = () => {
        for (const m of members) {
          const v = pool.memberView(m.id)!;
          expect(v.inFlight).toBeLessThanOrEqual(v.maxConcurrency);
        }
      };
      for (let step = 0; step < 400; step++) {
        const r = random();
        if (r < 0.45) {
          const want = random() < 0.5 ? model("llama3") : random() < 0.5 ? model("qwen") : ({ kind: "any" } as const);
          try {
            const got = pool.acquire(req({ want, caller: `c${Math.floor(random() * 4)}` }));
            if (got.waiting) got.granted.then((l) => held.push(l), () => {});
            else held.push(got);
          } catch (err) {
            expect((err as GambiError).code).toBe("room_busy");
          }
        } else if (r < 0.85 && held.length > 0) {
          const lease = held.splice(Math.floor(random() * held.length), 1)[0]!;
          const o = random();
          lease.release(o < 0.1 ? { kind: "rate_limited", headers: new Headers(o < 0.05 ? { "retry-after": "1" } : {}) } : o < 0.15 ? { kind: "fault" } : { kind: "success", ttftMs: 100 * o });
        } else timers.advance(Math.floor(random() * 700));
        check();
        await flush();
        check();
      }
      // Everything still held released, everything still waiting granted or timed out: nothing left over.
      for (let i = 0; i < 50 && (held.length > 0 || pool.view().waiting > 0); i++) {
        for (const l of held.splice(0)) l.release({ kind: "success" });
        timers.advance(1000);
        await flush();
      }
      expect(pool.view().waiting).toBe(0);
      for (const m of members) expect(pool.memberView(m.id)!.inFlight).toBe(0);
    }
  });

  test("several models on one participant share its capacity", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { models: ["llama3", "qwen"], maxConcurrency: 2 }));
    expect(now(pool.acquire(req({ want: model("llama3") }))).model).toBe("llama3");
    expect(now(pool.acquire(req({ want: model("qwen") }))).model).toBe("qwen");
    queued(pool.acquire(req({ want: model("qwen") })));
    queued(pool.acquire(req({ want: { kind: "any" } })));
    expect(pool.memberView("p1")!.inFlight).toBe(2);
  });

  test("`*` and a pin get the participant's first model", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { models: ["qwen", "llama3"], maxConcurrency: 5 }));
    expect(now(pool.acquire(req({ want: { kind: "any" } }))).model).toBe("qwen");
    expect(now(pool.acquire(req({ want: pool.want("p1") }))).model).toBe("qwen");
    expect(now(pool.acquire(req({ want: pool.want("llama3") }))).model).toBe("llama3");
  });
});

describe("the queue", () => {
  test("a released slot goes to the next waiter at once, in order", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    const a = now(pool.acquire(req()));
    const b = queued(pool.acquire(req()));
    const c = queued(pool.acquire(req()));
    expect([b.waiting.position(), c.waiting.position()]).toEqual([1, 2]);
    a.release({ kind: "success" });
    // Handed over synchronously: the slot is b's before anyone else can ask.
    expect(pool.memberView("p1")!.inFlight).toBe(1);
    expect(pool.view().waiting).toBe(1);
    expect(b.waiting.position()).toBe(0);
    await flush();
    expect(b.lease?.member.id).toBe("p1");
    expect(c.lease).toBeUndefined();
    b.lease!.release({ kind: "ended" });
    await flush();
    expect(c.lease?.member.id).toBe("p1");
  });

  test("a waiter's lease says how long it waited", async () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1"));
    const a = now(pool.acquire(req()));
    const b = queued(pool.acquire(req()));
    timers.advance(1234);
    a.release({ kind: "success" });
    await flush();
    expect(b.lease!.waitedMs).toBe(1234);
  });

  test("a request that finds a free slot takes it even while others wait for other models", () => {
    const { pool } = setup();
    pool.upsert(member("pa", { models: ["a"] }));
    pool.upsert(member("pb", { models: ["b"] }));
    now(pool.acquire(req({ want: model("a") })));
    queued(pool.acquire(req({ want: model("a") })));
    expect(now(pool.acquire(req({ want: model("b") }))).member.id).toBe("pb");
  });

  test("no head-of-line blocking across models, in one caller's lane or across callers", async () => {
    const { pool } = setup();
    pool.upsert(member("pa", { models: ["a"] }));
    pool.upsert(member("pb", { models: ["b"] }));
    now(pool.acquire(req({ want: model("a") })));
    const holdB = now(pool.acquire(req({ want: model("b") })));
    const waitA = queued(pool.acquire(req({ want: model("a"), caller: "x" })));
    const waitB = queued(pool.acquire(req({ want: model("b"), caller: "x" })));
    const waitB2 = queued(pool.acquire(req({ want: model("b"), caller: "y" })));
    holdB.release({ kind: "success" });
    await flush();
    expect(waitB.lease?.member.id).toBe("pb");
    expect(waitA.lease).toBeUndefined();
    waitB.lease!.release({ kind: "success" });
    await flush();
    expect(waitB2.lease?.member.id).toBe("pb");
    expect(waitA.lease).toBeUndefined();
  });

  test("a pinned waiter waits for its participant only, and gets it", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    const onP2 = now(pool.acquire(req({ want: pool.want("p2") })));
    const pinned = queued(pool.acquire(req({ want: pool.want("p2") })));
    // p1 is free, yet the pinned waiter stays; a model request takes p1.
    expect(now(pool.acquire(req())).member.id).toBe("p1");
    expect(pinned.lease).toBeUndefined();
    onP2.release({ kind: "success" });
    await flush();
    expect(pinned.lease?.member.id).toBe("p2");
  });

  test("a model waiter does not take a slot only a pinned waiter ahead of it may use... but does take a slot it may use", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    const h1 = now(pool.acquire(req()));
    const h2 = now(pool.acquire(req()));
    const pinned = queued(pool.acquire(req({ want: pool.want("p2"), caller: "a" })));
    const any = queued(pool.acquire(req({ caller: "b" })));
    h1.release({ kind: "success" }); // p1 frees: the pinned waiter cannot use it, the model waiter can
    await flush();
    expect(any.lease?.member.id).toBe("p1");
    expect(pinned.lease).toBeUndefined();
    h2.release({ kind: "success" });
    await flush();
    expect(pinned.lease?.member.id).toBe("p2");
  });
});

/** A room served at a fixed pace: each lease is released `serviceMs` after it was granted. */
async function simulate(opts: { slots: number; serviceMs: number; arrivals: { at: number; caller: string; count: number }[]; untilMs: number; stepMs?: number }) {
  const { timers, pool } = setup({ queueSize: 1000, queueTimeoutMs: 0 });
  pool.upsert(member("p1", { maxConcurrency: opts.slots }));
  const grants: { caller: string; at: number; waitedMs: number }[] = [];
  // Granted at arrival + waitedMs (exact, whatever the step); released serviceMs later.
  const serve = (caller: string, arrivedAt: number, lease: Lease) => {
    const at = arrivedAt + lease.waitedMs;
    grants.push({ caller, at, waitedMs: lease.waitedMs });
    timers.setTimeout(() => lease.release({ kind: "success" }), Math.max(0, at + opts.serviceMs - timers.now()));
  };
  const arrivals = [...opts.arrivals].sort((a, b) => a.at - b.at);
  const step = opts.stepMs ?? 10;
  for (let t = 0; t <= opts.untilMs; t += step) {
    while (arrivals.length > 0 && arrivals[0]!.at <= t) {
      const a = arrivals.shift()!;
      for (let i = 0; i < a.count; i++) {
        const got = pool.acquire(req({ caller: a.caller }));
        if (got.waiting) got.granted.then((l) => serve(a.caller, t, l));
        else serve(a.caller, t, got);
      }
    }
    await flush();
    timers.advance(step);
  }
  return grants;
}

function jain(shares: number[]): number {
  const sum = shares.reduce((a, b) => a + b, 0);
  const squares = shares.reduce((a, b) => a + b * b, 0);
  return (sum * sum) / (shares.length * squares);
}

describe("fairness across callers", () => {
  test("a caller with 100 queued does not delay four others' single requests behind them", async () => {
    // 4 slots, 1 s per request; the heavy caller queues 100 at t=0, four light callers one each at t=2.5 s.
    const grants = await simulate({
      slots: 4,
      serviceMs: 1000,
      arrivals: [{ at: 0, caller: "heavy", count: 100 }, ...["l1", "l2", "l3", "l4"].map((caller) => ({ at: 2500, caller, count: 1 }))],
      untilMs: 5000,
    });
    const light = grants.filter((g) => g.caller !== "heavy");
    expect(light).toHaveLength(4);
    // Each gets one of the next slots to free (at 3 s): a wait of 0.5 s, not the ~24 s a FIFO would give.
    for (const g of light) expect(g.waitedMs).toBeLessThanOrEqual(500);
    expect(grants.filter((g) => g.caller === "heavy" && g.at <= 3000)).toHaveLength(12);
  });

  test("Jain's index of the shares while everyone is backlogged is ≥ 0.95 (heavy 100 vs four callers of 10)", async () => {
    const grants = await simulate({
      slots: 3,
      serviceMs: 1000,
      arrivals: [{ at: 0, caller: "heavy", count: 100 }, ...["l1", "l2", "l3", "l4"].map((caller, i) => ({ at: 1500 + 100 * i, caller, count: 10 }))],
      untilMs: 30_000,
    });
    // The light callers are backlogged from their arrival until their last grant; measure there.
    const from = 2000;
    const until = Math.min(...["l1", "l2", "l3", "l4"].map((c) => Math.max(...grants.filter((g) => g.caller === c).map((g) => g.at))));
    const inWindow = grants.filter((g) => g.at >= from && g.at <= until);
    const shares = ["heavy", "l1", "l2", "l3", "l4"].map((c) => inWindow.filter((g) => g.caller === c).length);
    const index = jain(shares);
    expect(index).toBeGreaterThanOrEqual(0.95);
    // And the light callers' mean wait is about their share of the room, not the heavy backlog's length.
    const lightWaits = grants.filter((g) => g.caller !== "heavy").map((g) => g.waitedMs);
    const meanLightWait = lightWaits.reduce((a, b) => a + b, 0) / lightWaits.length;
    expect(meanLightWait).toBeLessThan(20_000);
    console.log(`fairness: shares ${JSON.stringify(shares)} over ${from}–${until} ms, Jain ${index.toFixed(3)}, light callers' mean wait ${Math.round(meanLightWait)} ms`);
  });
});

describe("cooldowns after a 429", () => {
  const cases: [string, Record<string, string>, number][] = [
    ["Retry-After seconds", { "retry-after": "7" }, 7000],
    ["Retry-After HTTP-date", { "retry-after": new Date(WALL0 + 10_000 + 4000).toUTCString() }, 4000],
    ["x-ratelimit-reset-tokens", { "x-ratelimit-reset-tokens": "1.5s", "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-requests": "6m0s" }, 1500],
    ["x-ratelimit-reset-requests", { "x-ratelimit-reset-requests": "250ms" }, 250],
    ["OpenRouter X-RateLimit-Reset", { "x-ratelimit-reset": String(WALL0 + 10_000 + 3000) }, 3000],
  ];

  test.each(cases)("%s: routing skips the participant for exactly that long", async (_name, headers, ms) => {
    const { timers, pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    timers.advance(10_000);
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers(headers) });
    expect(pool.memberView("p1")!.cooldownUntil).toBe(WALL0 + 10_000 + ms);
    const w = queued(pool.acquire(req()));
    timers.advance(ms - 1);
    await flush();
    expect(w.lease).toBeUndefined();
    timers.advance(1); // the room's wake-up timer: the cooldown is over, the waiter goes
    await flush();
    expect(w.lease?.member.id).toBe("p1");
    expect(pool.memberView("p1")!.cooldownUntil).toBeNull();
  });

  test("without a hint: 1 s, then 2 s, … and a success resets the backoff", () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    const cooling = () => pool.memberView("p1")!.cooldownUntil! - WALL0 - timers.now();
    now(pool.acquire(req())).release({ kind: "rate_limited" });
    expect(cooling()).toBe(1000);
    timers.advance(1000);
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers() });
    expect(cooling()).toBe(2000);
    timers.advance(2000);
    now(pool.acquire(req())).release({ kind: "rate_limited" });
    expect(cooling()).toBe(4000);
    timers.advance(4000);
    now(pool.acquire(req())).release({ kind: "success" });
    now(pool.acquire(req())).release({ kind: "rate_limited" });
    expect(cooling()).toBe(1000);
  });

  test("onCooldown tells the hub: the wait, whether the upstream named it, the new limit", () => {
    const told: unknown[] = [];
    const { pool } = setup({ onCooldown: (m, info) => told.push({ id: m.id, ...info }) });
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "2" }) });
    expect(told).toEqual([{ id: "p1", cooldownMs: 2000, hinted: true, limit: 2 }]);
  });

  test("a cooling participant is skipped while another can serve", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    pool.upsert(member("p2", { maxConcurrency: 4 }));
    now(pool.acquire(req({ want: pool.want("p1") }))).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "30" }) });
    for (let i = 0; i < 4; i++) expect(now(pool.acquire(req())).member.id).toBe("p2");
    queued(pool.acquire(req())); // p2 full, p1 idle but cooling: wait
  });

  test("every participant cooling past the queue's deadline: room_busy now, with the cooldown as Retry-After", () => {
    const { pool } = setup({ queueTimeoutMs: 60_000 });
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "90" }) });
    const err = rejection(() => pool.acquire(req()));
    expect([err.status, err.code]).toEqual([429, "room_busy"]);
    expect(err.message).toContain("rate-limited");
    expect((err as AccessError).headers["retry-after"]).toBe("90");
  });
});

describe("AIMD through leases", () => {
  test("a 429 halves the effective limit; successes bring it back; a burst counts once", async () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    const burst = [1, 2, 3, 4].map(() => now(pool.acquire(req())));
    for (const l of burst) l.release({ kind: "rate_limited", headers: new Headers({ "retry-after": "0" }) });
    expect(pool.memberView("p1")!.limit).toBe(2);
    timers.advance(1);
    now(pool.acquire(req()));
    now(pool.acquire(req()));
    queued(pool.acquire(req()));
    expect(pool.memberView("p1")!.inFlight).toBe(2);
    const { pool: again } = setup();
    again.upsert(member("p1", { maxConcurrency: 4 }));
    now(again.acquire(req())).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "0" }) });
    expect(again.memberView("p1")!.limit).toBe(2);
    for (let i = 0; i < 3; i++) now(again.acquire(req())).release({ kind: "success" });
    expect(again.memberView("p1")!.limit).toBe(3);
  });

  test("a limit that grows on release hands the new slot to a waiter", async () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 2 }));
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "0" }) }); // limit 1
    const a = now(pool.acquire(req()));
    const b = queued(pool.acquire(req()));
    a.release({ kind: "success" }); // limit 2 again, and a's slot free
    await flush();
    expect(b.lease).toBeDefined();
    expect(pool.memberView("p1")).toMatchObject({ limit: 2, inFlight: 1 });
  });
});

describe("a room too busy", () => {
  test("queue full → room_busy 429 with Retry-After, naming who serves and how many wait", () => {
    const { pool } = setup({ queueSize: 2 });
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    now(pool.acquire(req()));
    now(pool.acquire(req()));
    queued(pool.acquire(req()));
    queued(pool.acquire(req()));
    const err = rejection(() => pool.acquire(req()));
    expect(err).toBeInstanceOf(AccessError);
    expect([err.status, err.code, err.type]).toEqual([429, "room_busy", "rate_limit_error"]);
    expect(err.message).toContain('2 participants serve model "llama3"');
    expect(err.message).toContain("2 requests waiting");
    expect(err.message).toContain("K7QX2M");
    const res = err.toResponse();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  test("a full queue turns away the newest waiter of the longest lane to let another caller in", async () => {
    const { pool } = setup({ queueSize: 3 });
    pool.upsert(member("p1"));
    now(pool.acquire(req({ caller: "heavy" })));
    const h = [1, 2, 3].map(() => queued(pool.acquire(req({ caller: "heavy" }))));
    const light = queued(pool.acquire(req({ caller: "light" })));
    await flush();
    expect((h[2]!.error as GambiError).code).toBe("room_busy");
    expect(h[0]!.error ?? h[1]!.error).toBeUndefined();
    expect(light.error).toBeUndefined();
    expect(() => pool.acquire(req({ caller: "heavy" }))).toThrow(GambiError);
  });

  test("queueSize 0: no queue at all", () => {
    const { pool } = setup({ queueSize: 0 });
    pool.upsert(member("p1"));
    now(pool.acquire(req()));
    expect(rejection(() => pool.acquire(req())).code).toBe("room_busy");
  });

  test("deadline → queue_timeout 503 with Retry-After; its timer is the only one, and is gone after", async () => {
    const { timers, pool } = setup({ queueTimeoutMs: 120_000 });
    pool.upsert(member("p1"));
    now(pool.acquire(req()));
    const w = queued(pool.acquire(req()));
    expect(timers.live).toBe(1);
    timers.advance(119_999);
    await flush();
    expect(w.error).toBeUndefined();
    timers.advance(1);
    await flush();
    const err = w.error as AccessError;
    expect([err.status, err.code, err.type]).toEqual([503, "queue_timeout", "service_unavailable"]);
    expect(err.message).toContain("120 s");
    expect(err.message).toContain('1 participant serves model "llama3", 0 requests waiting');
    expect(Number(err.toResponse().headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(pool.view().waiting).toBe(0);
    expect(timers.live).toBe(0);
  });

  test("Retry-After follows the room's pace: how long leases are held, how many wait, how many slots", () => {
    const { timers, pool } = setup({ queueSize: 4 });
    pool.upsert(member("p1", { maxConcurrency: 2 }));
    const a = now(pool.acquire(req()));
    timers.advance(10_000);
    a.release({ kind: "success" }); // leases last ~10 s
    now(pool.acquire(req()));
    now(pool.acquire(req()));
    for (let i = 0; i < 4; i++) queued(pool.acquire(req()));
    const err = rejection(() => pool.acquire(req())) as AccessError;
    // (4 waiting + this one) × 10 s / 2 slots = 25 s
    expect(err.headers["retry-after"]).toBe("25");
  });
});

describe("abort", () => {
  test("a waiter whose client leaves is out at once, rejected with the signal's reason, and never gets a lease", async () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1"));
    const held = now(pool.acquire(req()));
    const ac = new AbortController();
    const gone = queued(pool.acquire(req({ signal: ac.signal, caller: "a" })));
    const next = queued(pool.acquire(req({ caller: "b" })));
    ac.abort(new DOMException("client left", "AbortError"));
    expect(pool.view().waiting).toBe(1);
    expect(gone.waiting.position()).toBe(0);
    expect(timers.live).toBe(1); // its deadline timer is cleared; next's remains
    await flush();
    expect((gone.error as DOMException).name).toBe("AbortError");
    held.release({ kind: "success" });
    await flush();
    expect(gone.lease).toBeUndefined();
    expect(next.lease?.member.id).toBe("p1");
  });

  test("an already aborted request is refused before anything", () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    expect(() => pool.acquire(req({ signal: AbortSignal.abort() }))).toThrow();
    expect(pool.memberView("p1")!.inFlight).toBe(0);
  });

  test("granted, then the client leaves: the abort listener is gone, the lease stands until released", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    const held = now(pool.acquire(req()));
    const ac = new AbortController();
    const w = queued(pool.acquire(req({ signal: ac.signal })));
    held.release({ kind: "success" });
    await flush();
    ac.abort();
    await flush();
    expect(w.error).toBeUndefined();
    expect(pool.memberView("p1")!.inFlight).toBe(1);
    w.lease!.release({ kind: "ended" });
    expect(pool.memberView("p1")!.inFlight).toBe(0);
  });
});

describe("failover: exclude", () => {
  test("an excluded participant is never chosen, even idle", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 8 }));
    pool.upsert(member("p2", { maxConcurrency: 1 }));
    expect(now(pool.acquire(req({ exclude: new Set(["p1"]) }))).member.id).toBe("p2");
    // p2 busy, p1 idle but excluded: wait for p2.
    queued(pool.acquire(req({ exclude: new Set(["p1"]) })));
    expect(pool.alternatives(model("llama3"), new Set(["p1"]))).toBe(1);
  });

  test("a waiter with an exclude set is not handed the excluded participant when it frees", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    const on1 = now(pool.acquire(req()));
    const on2 = now(pool.acquire(req()));
    const retry = queued(pool.acquire(req({ exclude: new Set(["p1"]), caller: "a" })));
    const plain = queued(pool.acquire(req({ caller: "b" })));
    on1.release({ kind: "fault" });
    await flush();
    expect(plain.lease?.member.id).toBe("p1");
    expect(retry.lease).toBeUndefined();
    on2.release({ kind: "success" });
    await flush();
    expect(retry.lease?.member.id).toBe("p2");
  });

  test("everyone tried: 503 no_participant_available, and alternatives() says so beforehand", () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    const tried = new Set(["p1", "p2"]);
    expect(pool.alternatives(model("llama3"), tried)).toBe(0);
    const err = rejection(() => pool.acquire(req({ exclude: tried })));
    expect([err.status, err.code]).toEqual([503, "no_participant_available"]);
    expect(err.message).toContain("tried");
  });
});

describe("who may serve", () => {
  test("nobody matches → 404 model_not_found; matches but offline → 503", () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    expect(rejection(() => pool.acquire(req({ want: pool.want("mistral") }))).status).toBe(404);
    pool.setStatus("p1", { online: false });
    const err = rejection(() => pool.acquire(req()));
    expect([err.status, err.code]).toEqual([503, "no_participant_available"]);
    expect(rejection(() => setup().pool.acquire(req({ want: { kind: "any" } }))).code).toBe("no_participant_available");
  });

  test("want(): `*`, `any`, `model:<name>`, an id, else a model name", () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    expect([pool.want(" * "), pool.want("any"), pool.want("model:p1"), pool.want("p1"), pool.want("llama3")]).toEqual([
      { kind: "any" },
      { kind: "any" },
      { kind: "model", model: "p1" },
      { kind: "participant", id: "p1" },
      { kind: "model", model: "llama3" },
    ]);
  });

  test("unhealthy ones serve only when no healthy one matches; a busy healthy one is waited for", async () => {
    const { pool } = setup();
    pool.upsert(member("good"));
    pool.upsert(member("sick"));
    pool.setStatus("sick", { healthy: false });
    const held = now(pool.acquire(req()));
    expect(held.member.id).toBe("good");
    const w = queued(pool.acquire(req()));
    pool.setStatus("good", { healthy: false }); // now nobody healthy: the unhealthy idle one may serve
    await flush();
    expect(w.lease?.member.id).toBe("sick");
  });

  test("a waiter whose every candidate goes offline is told at once", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    pool.upsert(member("p2", { models: ["qwen"] }));
    now(pool.acquire(req()));
    const w = queued(pool.acquire(req()));
    now(pool.acquire(req({ want: model("qwen") })));
    const other = queued(pool.acquire(req({ want: pool.want("p2") })));
    pool.setStatus("p1", { online: false });
    await flush();
    expect((w.error as GambiError).code).toBe("no_participant_available");
    expect(other.error).toBeUndefined();
  });

  test("a participant that joins serves the waiters at once", async () => {
    const { pool } = setup();
    pool.upsert(member("p1"));
    now(pool.acquire(req()));
    const w = queued(pool.acquire(req()));
    pool.upsert(member("p2"));
    await flush();
    expect(w.lease?.member.id).toBe("p2");
  });

  test("a re-join keeps counters and cooldown; a removed participant's lease still releases", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 2 }));
    const a = now(pool.acquire(req()));
    pool.upsert(member("p1", { maxConcurrency: 3 }));
    expect(pool.memberView("p1")).toMatchObject({ maxConcurrency: 3, limit: 3, inFlight: 1 });
    pool.remove("p1");
    expect(pool.memberView("p1")).toBeUndefined();
    a.release({ kind: "success" });
    a.release({ kind: "success" }); // a second release is ignored
    expect(a.released).toBe(true);
  });

  test("observed speed steers the choice among equally loaded participants", () => {
    const { pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    pool.upsert(member("p2", { maxConcurrency: 4 }));
    now(pool.acquire(req({ want: pool.want("p1") }))).release({ kind: "success", ttftMs: 900, tokensPerSecond: 10 });
    now(pool.acquire(req({ want: pool.want("p2") }))).release({ kind: "success", ttftMs: 100, tokensPerSecond: 80 });
    expect(now(pool.acquire(req())).member.id).toBe("p2");
    // Now p2 has 1 of 4 in flight and p1 none: load first.
    expect(now(pool.acquire(req())).member.id).toBe("p1");
  });

  test("one judged slower is tried again once its measurement is stale, so a slow first answer (a model loading) is not a verdict for ever", () => {
    const { timers, pool } = setup({ random: prng(11) });
    pool.upsert(member("p1"));
    pool.upsert(member("p2"));
    now(pool.acquire(req({ want: pool.want("p1") }))).release({ kind: "success", ttftMs: 9000, tokensPerSecond: 5 });
    now(pool.acquire(req({ want: pool.want("p2") }))).release({ kind: "success", ttftMs: 100, tokensPerSecond: 80 });
    // Requests one at a time: each goes to the faster, which stays measured.
    for (let i = 0; i < 4; i++) {
      timers.advance(SPEED_STALE_MS / 5);
      const lease = now(pool.acquire(req()));
      expect(lease.member.id).toBe("p2");
      lease.release({ kind: "success", ttftMs: 100, tokensPerSecond: 80 });
    }
    // p1's one measurement is stale now: the next lone request measures it again; fast now, it is in the race.
    timers.advance(SPEED_STALE_MS / 4);
    const retry = now(pool.acquire(req()));
    expect(retry.member.id).toBe("p1");
    retry.release({ kind: "success", ttftMs: 90, tokensPerSecond: 90 });
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const lease = now(pool.acquire(req()));
      seen.add(lease.member.id);
      lease.release({ kind: "success", ttftMs: 95, tokensPerSecond: 85 });
    }
    expect(seen).toEqual(new Set(["p1", "p2"]));
  });

  test("the native protocol wins a tie", () => {
    const { pool } = setup({ random: () => 0.999 });
    pool.upsert(member("chat", { capabilities: { responses: false, chatCompletions: true } }));
    pool.upsert(member("resp", { capabilities: { responses: true, chatCompletions: false } }));
    expect(now(pool.acquire(req({ protocol: "chat" }))).member.id).toBe("chat");
    expect(now(pool.acquire(req({ protocol: "responses" }))).member.id).toBe("resp");
  });
});

describe("timers and views", () => {
  test("no timer at all while slots are free", () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1", { maxConcurrency: 2 }));
    for (let i = 0; i < 100; i++) {
      const a = now(pool.acquire(req()));
      now(pool.acquire(req())).release({ kind: "success", ttftMs: 5 });
      a.release({ kind: i % 10 === 0 ? "fault" : "ended" });
    }
    expect(timers.created).toBe(0);
  });

  test("the view: capacity, effective limit, in flight, cooldown (wall clock), the queue", () => {
    const { timers, pool } = setup({ queueSize: 9, queueTimeoutMs: 10_000 });
    pool.upsert(member("p1", { maxConcurrency: 4 }));
    timers.advance(500);
    now(pool.acquire(req())).release({ kind: "rate_limited", headers: new Headers({ "retry-after": "3" }) });
    queued(pool.acquire(req({ caller: "x" })));
    expect(pool.view()).toEqual({
      waiting: 1,
      callers: 1,
      queueSize: 9,
      queueTimeoutMs: 10_000,
      participants: [{ id: "p1", maxConcurrency: 4, limit: 2, inFlight: 0, cooldownUntil: WALL0 + 3500 }],
    });
  });

  test("close rejects every waiter and every later request", async () => {
    const { timers, pool } = setup();
    pool.upsert(member("p1"));
    now(pool.acquire(req()));
    const w = queued(pool.acquire(req()));
    const gone = new GambiError(404, "room deleted", { code: "room_not_found" });
    pool.close(gone);
    await flush();
    expect(w.error).toBe(gone);
    expect(timers.live).toBe(0);
    expect(() => pool.acquire(req())).toThrow(gone);
  });
});

describe("several models per participant (what select.ts did before the scheduler served requests)", () => {
  function room() {
    const { pool } = setup({ random: first });
    pool.upsert(member("alice", { models: ["llama3", "qwen2.5:0.5b"], maxConcurrency: 4 }));
    pool.upsert(member("bob", { models: ["qwen2.5:0.5b"], maxConcurrency: 4 }));
    pool.upsert(member("carol", { models: ["gpt-4o-mini", "llama3"], maxConcurrency: 4 }));
    return pool;
  }
  const leaseFor = (pool: RoomScheduler, spec: string) => now(pool.acquire(req({ want: pool.want(spec) })));

  test("a model name finds every participant serving it, whichever of its models it is, and the lease carries that model", () => {
    const pool = room();
    const l = leaseFor(pool, "qwen2.5:0.5b");
    expect([l.member.id, l.model]).toEqual(["alice", "qwen2.5:0.5b"]);
    const c = leaseFor(pool, "gpt-4o-mini");
    expect([c.member.id, c.model]).toEqual(["carol", "gpt-4o-mini"]);
    expect(pool.alternatives(pool.want("llama3"))).toBe(2);
    expect(pool.alternatives(pool.want("model:qwen2.5:0.5b"))).toBe(2);
  });

  test("`*` and a participant's id get its first model", () => {
    const pool = room();
    expect(leaseFor(pool, "carol").model).toBe("gpt-4o-mini");
    expect(leaseFor(pool, "*").model).toBe("llama3");
  });

  test("<participant id>/<model> pins that pair; a model it does not serve, or an unknown id, is no match (404)", () => {
    const pool = room();
    expect(pool.want("carol/llama3")).toEqual({ kind: "participant", id: "carol", model: "llama3" });
    const l = leaseFor(pool, "carol/llama3");
    expect([l.member.id, l.model]).toEqual(["carol", "llama3"]);
    expect(leaseFor(pool, "alice/qwen2.5:0.5b").model).toBe("qwen2.5:0.5b");
    for (const spec of ["bob/llama3", "dave/llama3"]) expect(rejection(() => pool.acquire(req({ want: pool.want(spec) }))).code).toBe("model_not_found");
  });

  test("a model whose name has a slash is a model first, a pin only when nobody serves it", () => {
    const { pool } = setup();
    pool.upsert(member("openai", { models: ["gpt-4o"] }));
    pool.upsert(member("router", { models: ["openai/gpt-4o"] }));
    expect(pool.want("openai/gpt-4o")).toEqual({ kind: "model", model: "openai/gpt-4o" });
    pool.remove("router");
    expect(pool.want("openai/gpt-4o")).toEqual({ kind: "participant", id: "openai", model: "gpt-4o" });
  });

  test("a pin that names its model waits for that participant and is leased that model", async () => {
    const { pool } = setup();
    pool.upsert(member("a", { models: ["x", "y"], maxConcurrency: 1 }));
    const held = now(pool.acquire(req({ want: pool.want("a") })));
    const w = queued(pool.acquire(req({ want: pool.want("a/y") })));
    held.release({ kind: "success" });
    await flush();
    expect([w.lease?.member.id, w.lease?.model]).toEqual(["a", "y"]);
  });
});

describe("embeddings: the models that embed, apart from the ones that chat", () => {
  const embedders = () => {
    const s = setup();
    s.pool.upsert(member("chat", { models: ["llama3"] }));
    s.pool.upsert(member("emb", { models: [], embeddingModels: ["nomic", "bge"] }));
    s.pool.upsert(member("both", { models: ["tiny"], embeddingModels: ["tiny"] }));
    return s;
  };
  const embedReq = (spec: string, pool: RoomScheduler) => req({ want: pool.want(spec, true), protocol: "embeddings" });

  test("want(spec, true) reads the embedding models: a model, *, a pin, a pinned pair; a chat model stays a model nobody embeds", () => {
    const { pool } = embedders();
    expect(pool.want("nomic", true)).toEqual({ kind: "model", model: "nomic", embed: true });
    expect(pool.want("*", true)).toEqual({ kind: "any", embed: true });
    expect(pool.want("emb", true)).toEqual({ kind: "participant", id: "emb", embed: true });
    expect(pool.want("emb/bge", true)).toEqual({ kind: "participant", id: "emb", model: "bge", embed: true });
    expect(pool.want("chat/llama3", true)).toEqual({ kind: "model", model: "chat/llama3", embed: true });
    expect(pool.want("nomic")).toEqual({ kind: "model", model: "nomic" });
    expect([pool.serves("llama3", false), pool.serves("llama3", true), pool.serves("tiny", true)]).toEqual([true, false, true]);
    expect(pool.embeddingModels()).toEqual(["nomic", "bge", "tiny"]);
  });

  test("leases: a pin gets the participant's first embedding model; * only participants that embed; chat * never one that only embeds", () => {
    const { pool } = embedders();
    const pinned = now(pool.acquire(embedReq("emb", pool)));
    expect([pinned.member.id, pinned.model]).toEqual(["emb", "nomic"]);
    pinned.release({ kind: "success" });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const l = now(pool.acquire(embedReq("*", pool)));
      seen.add(`${l.member.id}:${l.model}`);
      l.release({ kind: "success" });
    }
    expect([...seen].every((s) => s === "emb:nomic" || s === "both:tiny")).toBe(true);
    for (let i = 0; i < 6; i++) {
      const l = now(pool.acquire(req({ want: pool.want("*") })));
      expect(l.member.id).not.toBe("emb");
      l.release({ kind: "success" });
    }
  });

  test("nobody embeds the model, or the pinned participant embeds nothing: 404 at once (dispatch says 400 for a chat model)", () => {
    const { pool } = embedders();
    expect(rejection(() => pool.acquire(embedReq("llama3", pool))).status).toBe(404);
    expect(rejection(() => pool.acquire(embedReq("chat", pool))).status).toBe(404);
    expect(rejection(() => pool.acquire(req({ want: pool.want("emb") }))).status).toBe(404);
  });

  test("a waiting embeddings request gets only a participant that embeds", async () => {
    const { pool } = embedders();
    const held = now(pool.acquire(embedReq("nomic", pool)));
    const chatLease = now(pool.acquire(req({ want: pool.want("*") })));
    const w = queued(pool.acquire(embedReq("nomic", pool)));
    chatLease.release({ kind: "success" });
    await flush();
    expect(w.lease).toBeUndefined();
    held.release({ kind: "success" });
    await flush();
    expect(w.lease?.member.id).toBe("emb");
    expect(pool.alternatives(pool.want("nomic", true))).toBe(1);
  });
});

describe("lookup: a participant for a request that takes no slot (count_tokens)", () => {
  const messages = { chatCompletions: false, responses: false, messages: true };
  test("online, fitting, healthy first, then in joining order; the model it serves the request as; no capacity taken", () => {
    const { pool } = setup();
    pool.upsert(member("chat", { models: ["claude"] }));
    pool.upsert(member("m1", { models: ["claude", "haiku"], capabilities: messages }));
    pool.upsert(member("m2", { models: ["claude"], capabilities: messages }));
    const fits = (m: PoolMember) => m.capabilities.messages === true;
    expect(pool.lookup(pool.want("claude"), fits)).toMatchObject({ member: { id: "m1" }, model: "claude" });
    expect(pool.lookup(pool.want("*"), fits)).toMatchObject({ member: { id: "m1" }, model: "claude" });
    expect(pool.lookup(pool.want("m1/haiku"), fits)).toMatchObject({ member: { id: "m1" }, model: "haiku" });
    pool.setStatus("m1", { healthy: false });
    expect(pool.lookup(pool.want("claude"), fits)?.member.id).toBe("m2");
    pool.setStatus("m2", { online: false });
    expect(pool.lookup(pool.want("claude"), fits)?.member.id).toBe("m1");
    pool.setStatus("m1", { online: false });
    expect(pool.lookup(pool.want("claude"), fits)).toBeUndefined();
    expect(pool.lookup(pool.want("nobody"), fits)).toBeUndefined();
    // A full participant is still found: a count takes no slot.
    pool.setStatus("m1", { online: true, healthy: true });
    now(pool.acquire(req({ want: model("claude"), exclude: new Set(["chat", "m2"]) })));
    expect(pool.lookup(pool.want("claude"), fits)?.member.id).toBe("m1");
    expect(pool.memberView("m1")!.inFlight).toBe(1);
  });
});
