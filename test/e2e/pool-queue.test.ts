/**
 * A room that pools its participants, as clients see it through real HTTP and SSE: capacity
 * never exceeded, a full queue (429 room_busy), its deadline (503 queue_timeout), a client that
 * leaves while it waits, a stream that waits (its 200, `: queued position=N` comments, then
 * its answer or its protocol's error event), fairness between callers. Deadlines and the
 * stream's comments run on the hub's injected timers (manualTimers): the test moves the clock.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { chatCompletion, sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { manualTimers, type ManualTimers } from "../helpers/fake-timers.ts";
import { decodeSse } from "../helpers/sse-read.ts";
import { readEvents } from "../helpers/events.ts";

const started: { stop(): Promise<void> | void }[] = [];
afterAll(async () => {
  for (const s of started.splice(0)) await s.stop();
});

function hubWith(deps: Parameters<typeof startTestHub>[0]): TestHub {
  const hub = startTestHub(deps);
  started.push(hub);
  return hub;
}
function fake(): FakeUpstream {
  const u = startFakeUpstream({ models: ["m"] });
  started.push(u);
  return u;
}

const chatStream = (text: string) => [
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`,
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`,
  "data: [DONE]\n\n",
];

/** A fake's requests held until the test lets them go, with how many it has at once. */
function holding(upstream: FakeUpstream) {
  const waiting: (() => void)[] = [];
  const state = { now: 0, peak: 0, held: () => waiting.length };
  upstream.handle(async (_req, body) => {
    state.now++;
    state.peak = Math.max(state.peak, state.now);
    await new Promise<void>((resolve) => waiting.push(resolve));
    state.now--;
    const json = JSON.parse(body);
    const text = String(json.messages?.at(-1)?.content ?? json.input ?? "");
    return json.stream ? sseResponse(chatStream(`re: ${text}`)) : chatCompletion("m", `re: ${text}`);
  });
  return { state, release: () => waiting.shift()?.() };
}

/** A room with one participant (one request at a time: the default on this machine). */
async function roomOfOne(hub: TestHub, upstream: FakeUpstream, id = "p1") {
  const code = await hub.createRoom();
  expect((await hub.join(code, { id, nickname: `nick-${id}`, model: "m", endpoint: upstream.url })).status).toBe(201);
  const room = hub.hub.ctx.registry.find(code)!;
  expect(room.scheduler.memberView(id)).toMatchObject({ maxConcurrency: 1, limit: 1, inFlight: 0 });
  return { code, room };
}

const chatBody = (content: string, stream = false) => ({ model: "*", stream, messages: [{ role: "user", content }] });
const ask = (hub: TestHub, code: string, content: string, opts: { stream?: boolean; bearer?: string; signal?: AbortSignal } = {}) =>
  fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}) },
    body: JSON.stringify(chatBody(content, opts.stream)),
    signal: opts.signal,
  });

/** A response body read in the background, as text, so a test can wait for what it should hold. */
function reading(res: Response) {
  const state = { text: "", done: false };
  const decoder = new TextDecoder();
  void (async () => {
    for await (const c of res.body as AsyncIterable<Uint8Array>) state.text += decoder.decode(c, { stream: true });
    state.done = true;
  })().catch(() => (state.done = true));
  return state;
}

describe("capacity", () => {
  test("many concurrent requests, streamed and not: no participant ever has more than its capacity, and all are served", async () => {
    const hub = hubWith({});
    const fakes = [fake(), fake()];
    const code = await hub.createRoom();
    const peaks = fakes.map((u, i) => {
      const s = { now: 0, peak: 0, served: 0 };
      u.handle(async (_req, body) => {
        s.now++;
        s.peak = Math.max(s.peak, s.now);
        await Bun.sleep(5 + ((i * 7) % 11));
        s.now--;
        s.served++;
        return JSON.parse(body).stream ? sseResponse(chatStream("ok")) : chatCompletion("m", "ok");
      });
      return s;
    });
    for (const [i, u] of fakes.entries()) expect((await hub.join(code, { id: `p${i}`, nickname: `n${i}`, model: "m", endpoint: u.url, maxConcurrency: 2 })).status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await ask(hub, code, `q${i}`, { stream: i % 2 === 0, bearer: `caller-${i % 5}` });
        const text = await res.text();
        return { status: res.status, ok: text.includes("ok") };
      }),
    );
    expect(results.filter((r) => r.status !== 200 || !r.ok)).toEqual([]);
    expect(peaks.map((p) => p.peak <= 2)).toEqual([true, true]);
    expect(peaks[0]!.served + peaks[1]!.served).toBe(40);
    // The fakes were kept busy: both reached their capacity at some point.
    expect(Math.max(...peaks.map((p) => p.peak))).toBe(2);
    const room = hub.hub.ctx.registry.find(code)!;
    expect(await waitFor(() => room.scheduler.memberView("p0")!.inFlight === 0 && room.scheduler.memberView("p1")!.inFlight === 0)).toBe(true);
  });
});

describe("the queue", () => {
  let timers: ManualTimers;
  let hub: TestHub;
  let upstream: FakeUpstream;
  const setup = async (deps: Parameters<typeof startTestHub>[0] = {}) => {
    timers = manualTimers();
    // No upstream deadlines: the clock moves for the queue, and a held request must not time out.
    hub = hubWith({ timers, queueSize: 2, queueTimeoutMs: 10_000, timeouts: { connectMs: 0, firstByteMs: 0, idleMs: 0 }, ...deps });
    upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    // One request holds the only slot.
    const holder = ask(hub, code, "holder");
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    return { code, room, gate, holder };
  };
  afterEach(() => timers?.advance(1_000_000));

  test("full: 429 room_busy at once, with Retry-After, saying who serves and how many wait", async () => {
    const { code, room, gate, holder } = await setup();
    const queued = [ask(hub, code, "a"), ask(hub, code, "b")];
    expect(await waitFor(() => room.scheduler.waiting === 2)).toBe(true);
    const res = await ask(hub, code, "c");
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const err = ((await res.json()) as any).error;
    expect(err).toMatchObject({ code: "room_busy", type: "rate_limit_error" });
    expect(err.message).toContain("1 participant serves any participant");
    expect(err.message).toContain("2 requests waiting");
    // The two that waited are served in turn.
    gate.release();
    expect((await holder).status).toBe(200);
    for (const q of queued) {
      expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
      gate.release();
      const r = await q;
      expect(r.status).toBe(200);
    }
    expect(upstream.inference().map((r) => JSON.parse(r.body).messages[0].content)).toEqual(["holder", "a", "b"]);
    expect(gate.state.peak).toBe(1);
  });

  test("its deadline: 503 queue_timeout with Retry-After, and the participant never sees the request", async () => {
    const { code, room, gate, holder } = await setup();
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    const waiting = ask(hub, code, "late");
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    timers.advance(9_999);
    expect(room.scheduler.waiting).toBe(1);
    timers.advance(1);
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const err = ((await res.json()) as any).error;
    expect(err).toMatchObject({ code: "queue_timeout", type: "service_unavailable" });
    expect(err.message).toContain("no slot came free in 10 s");
    expect(err.message).toContain("0 requests waiting");
    // On the room's events: no participant took it, and how long it waited.
    const failed = await events.next("llm.error");
    expect(failed.data).toMatchObject({ stage: "queue", status: 503, participantId: null, attempts: 0, metrics: { queueMs: 10_000 } });
    gate.release();
    expect((await holder).status).toBe(200);
    expect(upstream.inference()).toHaveLength(1);
    await events.close();
  });

  test("a client that leaves while it waits leaves the queue at once; no upstream request is made for it", async () => {
    const { code, room, gate, holder } = await setup();
    const abort = new AbortController();
    const leaving = ask(hub, code, "gone", { signal: abort.signal }).catch((e) => e);
    const staying = ask(hub, code, "stays");
    expect(await waitFor(() => room.scheduler.waiting === 2)).toBe(true);
    abort.abort();
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    expect((await leaving).name).toBe("AbortError");
    gate.release();
    expect((await holder).status).toBe(200);
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    gate.release();
    expect((await staying).status).toBe(200);
    expect(upstream.inference().map((r) => JSON.parse(r.body).messages[0].content)).toEqual(["holder", "stays"]);
    expect(room.scheduler.memberView("p1")!.inFlight).toBe(0);
  });

  test("a stream that waits a second gets its 200 and `: queued position=N` every 5 s, then its answer", async () => {
    const { code, room, gate, holder } = await setup();
    const pending = ask(hub, code, "streamed", { stream: true });
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    timers.advance(1000);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-gambi-request-id")).toMatch(/^req_/);
    const body = reading(res);
    expect(await waitFor(() => body.text === ": queued position=1\n\n")).toBe(true);
    timers.advance(4_999);
    timers.advance(1);
    expect(await waitFor(() => body.text === ": queued position=1\n\n: queued position=1\n\n")).toBe(true);
    // The slot frees: the participant's answer follows the comments, and no more comments come.
    gate.release();
    expect((await holder).status).toBe(200);
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    gate.release();
    expect(await waitFor(() => body.done)).toBe(true);
    timers.advance(10_000);
    const events = decodeSse(new TextEncoder().encode(body.text));
    expect(events.map((e) => e.data).at(-1)).toBe("[DONE]");
    expect(events.map((e) => e.data).join("")).toContain("re: streamed");
    expect(body.text.startsWith(": queued position=1\n\n: queued position=1\n\ndata: ")).toBe(true);
    // Only the waiting stream had timers: none is left.
    expect(timers.live).toBe(0);
  });

  test("a waiting stream that then times out ends with chat's error event, code queue_timeout", async () => {
    const { code, room, gate, holder } = await setup();
    const pending = ask(hub, code, "never", { stream: true });
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    timers.advance(1000);
    const body = reading(await pending);
    timers.advance(9000);
    expect(await waitFor(() => body.done)).toBe(true);
    const events = decodeSse(new TextEncoder().encode(body.text));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data).error).toMatchObject({ code: "queue_timeout", type: "service_unavailable" });
    expect(body.text.startsWith(": queued position=1\n\n")).toBe(true);
    gate.release();
    expect((await holder).status).toBe(200);
    expect(upstream.inference()).toHaveLength(1);
  });

  test("a waiting Responses stream whose participant then fails ends with `error` and `response.failed`", async () => {
    const { code, room, gate, holder } = await setup();
    const pending = fetch(`${hub.url}/rooms/${code}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "*", stream: true, input: "fails", store: false }),
    });
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    timers.advance(1000);
    const body = reading(await pending);
    expect(await waitFor(() => body.text.includes("queued position=1"))).toBe(true);
    // The participant now refuses everything: its error, in the client's protocol.
    upstream.handle(() => Response.json({ error: { message: "model crashed", type: "server_error", code: "model_crashed" } }, { status: 500 }));
    gate.release();
    expect((await holder).status).toBe(200);
    expect(await waitFor(() => body.done)).toBe(true);
    const events = decodeSse(new TextEncoder().encode(body.text));
    expect(events.map((e) => e.event)).toEqual(["error", "response.failed"]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "error", code: "model_crashed", message: expect.stringContaining("model crashed") });
    expect(JSON.parse(events[1]!.data).response).toMatchObject({ object: "response", status: "failed", error: { code: "model_crashed" } });
  });
});

describe("fairness", () => {
  test("one caller's backlog does not delay another caller's single request behind it", async () => {
    const hub = hubWith({});
    const upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    const holder = ask(hub, code, "holder", { bearer: "script-h" });
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const all: Promise<Response>[] = [];
    for (let i = 1; i <= 4; i++) {
      all.push(ask(hub, code, `a${i}`, { bearer: "script-a" }));
      expect(await waitFor(() => room.scheduler.waiting === i)).toBe(true);
    }
    all.push(ask(hub, code, "b1", { bearer: "script-b" }));
    expect(await waitFor(() => room.scheduler.waiting === 5)).toBe(true);
    gate.release();
    await holder;
    for (let i = 0; i < 5; i++) {
      expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
      gate.release();
    }
    for (const r of await Promise.all(all)) expect(r.status).toBe(200);
    // First come first served would have put b1 last; each caller takes its turn instead.
    expect(upstream.inference().map((r) => JSON.parse(r.body).messages[0].content)).toEqual(["holder", "a1", "b1", "a2", "a3", "a4"]);
    expect(gate.state.peak).toBe(1);
  });

  test("a caller whose requests took free slots at once has been served: one who waits behind them goes next", async () => {
    // Seen with two real llama.cpp servers: a script filled every slot of a fresh room at
    // once, queued more, and a person's request that arrived next still waited behind one more
    // of the script's, as if the script had never been served.
    const hub = hubWith({});
    const upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    const all: Promise<Response>[] = [ask(hub, code, "a0", { bearer: "script-a" })];
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    for (let i = 1; i <= 3; i++) {
      all.push(ask(hub, code, `a${i}`, { bearer: "script-a" }));
      expect(await waitFor(() => room.scheduler.waiting === i)).toBe(true);
    }
    all.push(ask(hub, code, "b1", { bearer: "person-b" }));
    expect(await waitFor(() => room.scheduler.waiting === 4)).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
      gate.release();
    }
    for (const r of await Promise.all(all)) expect(r.status).toBe(200);
    expect(upstream.inference().map((r) => JSON.parse(r.body).messages[0].content)).toEqual(["a0", "b1", "a1", "a2", "a3"]);
  });

  test("in a password-protected room everyone shares the password, so the caller is the address: one lane, in order", async () => {
    const hub = hubWith({});
    const upstream = fake();
    const gate = holding(upstream);
    const code = await hub.createRoom({ name: "locked", password: "room-secret-1" });
    expect((await hub.join(code, { id: "p1", nickname: "n", model: "m", endpoint: upstream.url, password: "room-secret-1" })).status).toBe(201);
    const room = hub.hub.ctx.registry.find(code)!;
    const holder = ask(hub, code, "holder", { bearer: "room-secret-1" });
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const all: Promise<Response>[] = [];
    for (const [i, content] of ["x1", "x2", "y1"].entries()) {
      all.push(ask(hub, code, content, { bearer: "room-secret-1" }));
      expect(await waitFor(() => room.scheduler.waiting === i + 1)).toBe(true);
    }
    expect(room.scheduler.view().callers).toBe(1);
    gate.release();
    await holder;
    for (let i = 0; i < 3; i++) {
      expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
      gate.release();
    }
    for (const r of await Promise.all(all)) expect(r.status).toBe(200);
    expect(upstream.inference().map((r) => JSON.parse(r.body).messages[0].content)).toEqual(["holder", "x1", "x2", "y1"]);
  });
});

describe("what listings show", () => {
  test("a participant's capacity and load, and the room's queue", async () => {
    const hub = hubWith({ queueSize: 7, queueTimeoutMs: 30_000 });
    const upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    const holder = ask(hub, code, "holder");
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const queued = ask(hub, code, "queued");
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    const listed = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any;
    expect(listed.participants[0]).toMatchObject({ id: "p1", maxConcurrency: 1, limit: 1, inFlight: 1, cooldownUntil: null });
    const shown = (await (await fetch(`${hub.url}/rooms/${code}`)).json()) as any;
    expect(shown.room.queue).toEqual({ waiting: 1, queueSize: 7, queueTimeoutMs: 30_000 });
    gate.release();
    await holder;
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    gate.release();
    expect((await queued).status).toBe(200);
  });
});

describe('pool: "off" (the bench\'s "before pooling" baseline, BENCH_POOL=off)', () => {
  test("no capacity limit, no queue, no failover, no cooldown", async () => {
    const hub = hubWith({ pool: "off" });
    const one = fake();
    const two = fake();
    const gate = holding(one);
    const held = holding(two);
    const code = await hub.createRoom();
    expect((await hub.join(code, { id: "p1", nickname: "n1", model: "m", endpoint: one.url })).status).toBe(201);
    expect((await hub.join(code, { id: "p2", nickname: "n2", model: "m", endpoint: two.url })).status).toBe(201);
    const room = hub.hub.ctx.registry.find(code)!;
    expect(room.scheduler.memberView("p1")!.maxConcurrency).toBe(1024);
    expect(room.scheduler.queueSize).toBe(0);
    const pinned = (content: string, model: string) =>
      fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...chatBody(content), model }) });

    // Three at once on a participant on this machine, which the pool would give one slot.
    const three = [pinned("1", "p1"), pinned("2", "p1"), pinned("3", "p1")];
    expect(await waitFor(() => gate.state.held() === 3)).toBe(true);
    for (let i = 0; i < 3; i++) gate.release();
    for (const res of await Promise.all(three)) expect(res.status).toBe(200);

    // A 429 asking for a minute: relayed, no cooldown, the next request goes to it at once.
    one.handle(() => Response.json({ error: { message: "slow down" } }, { status: 429, headers: { "retry-after": "60" } }));
    for (let i = 0; i < 2; i++) {
      const res = await pinned("x", "p1");
      expect([res.status, await res.text()]).toEqual([429, '{"error":{"message":"slow down"}}']);
    }
    expect(room.scheduler.memberView("p1")!.cooldownUntil).toBeNull();

    // p2 busy, so `*` goes to p1, the least loaded; its 503 comes back: one attempt, no failover.
    const busy = pinned("hold", "p2");
    expect(await waitFor(() => held.state.held() === 1)).toBe(true);
    one.handle(() => Response.json({ error: { message: "down" } }, { status: 503 }));
    const res = await ask(hub, code, "any");
    expect([res.status, res.headers.get("x-gambi-participant"), res.headers.get("x-gambi-attempts")]).toEqual([503, "p1", "1"]);
    held.release();
    expect((await busy).status).toBe(200);
  });
});

describe("a queue that closes", () => {
  test("the room is deleted while requests wait: 404 room_not_found, and a waiting stream's error event says so", async () => {
    const hub = hubWith({});
    const upstream = fake();
    const gate = holding(upstream);
    const created = await hub.post("/rooms", { name: "short-lived" });
    const { room: made, hostId } = (await created.json()) as { room: { code: string }; hostId: string };
    const code = made.code;
    expect((await hub.join(code, { id: "p1", nickname: "n", model: "m", endpoint: upstream.url })).status).toBe(201);
    const room = hub.hub.ctx.registry.find(code)!;
    const holder = ask(hub, code, "holder");
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const waiting = ask(hub, code, "waits");
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    expect((await fetch(`${hub.url}/rooms/${code}`, { method: "DELETE", headers: { authorization: `Bearer ${hostId}` } })).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("room_not_found");
    gate.release();
    await holder;
    expect(upstream.inference()).toHaveLength(1);
  });

  test("the hub drains: whoever waits gets 503 hub_shutting_down at once, while the request in flight finishes", async () => {
    const hub = startTestHub({});
    const upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    const holder = ask(hub, code, "holder");
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const waiting = ask(hub, code, "waits");
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    const stopped = hub.shutdown(5_000);
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe("hub_shutting_down");
    gate.release();
    expect((await holder).status).toBe(200);
    expect(await stopped).toEqual({ cut: 0 });
    expect(upstream.inference()).toHaveLength(1);
  });
});

describe("a waiting stream's client leaves", () => {
  test("after its 200 and comments: it leaves the queue, its timer goes, no upstream request is made", async () => {
    const timers = manualTimers();
    const hub = hubWith({ timers, timeouts: { connectMs: 0, firstByteMs: 0, idleMs: 0 } });
    const upstream = fake();
    const gate = holding(upstream);
    const { code, room } = await roomOfOne(hub, upstream);
    const holder = ask(hub, code, "holder");
    expect(await waitFor(() => gate.state.held() === 1)).toBe(true);
    const abort = new AbortController();
    const pending = ask(hub, code, "leaves", { stream: true, signal: abort.signal });
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    timers.advance(1000);
    const res = await pending;
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(": queued position=1\n\n");
    abort.abort();
    expect(await waitFor(() => room.scheduler.waiting === 0)).toBe(true);
    gate.release();
    expect((await holder).status).toBe(200);
    expect(await waitFor(() => timers.live === 0)).toBe(true);
    expect(upstream.inference()).toHaveLength(1);
    expect(room.scheduler.memberView("p1")!.inFlight).toBe(0);
  });
});
