/**
 * Failover before the first byte, through real sockets: each way a participant can fail before
 * answering (refused, reset, the connect and first-byte deadlines, 429, 500, 502, 503, 504, a
 * stream whose first event is an error, 401) sends the request to another participant, and
 * every retry shows (`llm.retry`, `x-gambi-attempts`, `attempts` in `llm.complete`). What must
 * not fail over does not: a stream already under way, a request pinned to its participant,
 * 400/404/422, more attempts than `maxAttempts`. A 429's Retry-After keeps requests away from
 * its participant for as long as it asked (on the hub's manual clock).
 *
 * Each case gets a room of its own where the failing participant is tried first: the good one
 * has served a request (pinned to it) and been measured, and the scheduler ranks a participant
 * never measured first among equally loaded ones (hub/pool/choose.ts), so the bad one, which
 * never succeeds, stays first whatever the random draw.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { chatCompletion, sseResponse, startFakeUpstream, waitFor, type FakeUpstream, type Handler } from "../helpers/fake-upstream.ts";
import { httpChunk, SSE_HEAD, startRawUpstream } from "../helpers/raw-upstream.ts";
import { blackholeSupported, startBlackhole, type Blackhole } from "../helpers/blackhole.ts";
import { manualTimers } from "../helpers/fake-timers.ts";
import { readEvents, type ParsedEvent } from "../helpers/events.ts";
import { decodeSse } from "../helpers/sse-read.ts";

const T = { connectMs: 300, firstByteMs: 600, idleMs: 3000 };

let hub: TestHub;
let good: FakeUpstream;
let probes: FakeUpstream;
let hole: Blackhole | undefined;
const stops: (() => unknown)[] = [];

const isProbe = (url: string, init: RequestInit) => init.body === "{}" || String(init.body).includes("resp_gambi_state_probe") || url.endsWith("/models");

beforeAll(async () => {
  probes = startFakeUpstream({ models: ["m"] });
  if (blackholeSupported) hole = await startBlackhole();
  hub = startTestHub({
    timeouts: T,
    // Joining a host that never accepts needs the probes answered: they go to a live fake.
    fetch: (url, init) => (hole && url.startsWith(hole.url) && isProbe(url, init) ? fetch(url.replace(hole.url, probes.url), init) : fetch(url, init)),
  });
  good = startFakeUpstream({ models: ["m"] });
  // It takes a moment, as a model does: its measured speed is then a real one (the hub's clock counts milliseconds).
  good.handle(async (_req, body) => {
    await Bun.sleep(15);
    return JSON.parse(body).stream ? sseResponse(chatStream("from good")) : chatCompletion("m", "from good");
  });
});
afterAll(async () => {
  await hub.stop();
  await good.stop();
  await probes.stop();
  hole?.close();
  for (const s of stops) await s();
});

function chatStream(text: string): string[] {
  return [
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`,
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n`,
    "data: [DONE]\n\n",
  ];
}

function badFake(handler: Handler): FakeUpstream {
  const u = startFakeUpstream({ models: ["m"] });
  u.handle(handler);
  stops.push(() => u.stop());
  return u;
}

/**
 * One request pinned to the good participant, so it is measured and the unmeasured ones rank
 * before it: streamed, since a stream is always observed (a whole chat body is parsed only when
 * someone watches the room's events).
 */
async function measureGood(h: TestHub, code: string) {
  const warm = await chat(code, { stream: true, model: "good" }, h);
  expect(warm.status).toBe(200);
  await warm.text();
}

/** A room with `bad` (tried first) and the good participant, with its events read from then on. */
async function pair(badEndpoint: string, h = hub, goodEndpoint = good.url) {
  const code = await h.createRoom();
  expect((await h.join(code, { id: "bad", nickname: "flaky", model: "m", endpoint: badEndpoint })).status).toBe(201);
  expect((await h.join(code, { id: "good", nickname: "steady", model: "m", endpoint: goodEndpoint })).status).toBe(201);
  await measureGood(h, code);
  const events = readEvents(`${h.url}/rooms/${code}/events`);
  await events.next("connected");
  stops.push(() => events.close());
  return { code, events };
}

const chat = (code: string, opts: { stream?: boolean; model?: string } = {}, h = hub) =>
  fetch(`${h.url}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: opts.model ?? "*", stream: opts.stream ?? true, messages: [{ role: "user", content: "hi" }] }),
  });

const textOf = async (res: Response, stream: boolean) =>
  stream
    ? decodeSse(new Uint8Array(await res.arrayBuffer()))
        .filter((e) => e.data.startsWith("{"))
        .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? "")
        .join("")
    : ((await res.json()) as any).choices[0].message.content;

/** The request was answered by the good participant after one failed attempt on the bad one, for `reason`. */
async function expectFailedOver(res: Response, events: { next(type: string): Promise<ParsedEvent> }, reason: string, stream: boolean) {
  expect(res.status).toBe(200);
  expect(res.headers.get("x-gambi-participant")).toBe("good");
  expect(res.headers.get("x-gambi-attempts")).toBe("2");
  expect(await textOf(res, stream)).toBe("from good");
  const first = await events.next("llm.request");
  expect(first.data).toMatchObject({ participantId: "bad", attempt: 1 });
  const retry = await events.next("llm.retry");
  expect(retry.data).toMatchObject({ requestId: first.data.requestId, from: "bad", to: "good", reason, attempt: 2 });
  expect(typeof retry.data.error).toBe("string");
  const second = await events.next("llm.request");
  expect(second.data).toMatchObject({ requestId: first.data.requestId, participantId: "good", attempt: 2 });
  const done = await events.next("llm.complete");
  expect(done.data).toMatchObject({ requestId: first.data.requestId, participantId: "good", attempts: 2, metrics: { queueMs: 0 } });
}

describe("fails over before the first byte", () => {
  for (const stream of [true, false]) {
    const mode = stream ? "stream" : "not streamed";

    test(`connection refused (${mode})`, async () => {
      const gone = startFakeUpstream({ models: ["m"] });
      const { code, events } = await pair(gone.url);
      await gone.stop();
      await expectFailedOver(await chat(code, { stream }), events, "unreachable", stream);
    });

    test(`connection reset before any answer (${mode})`, async () => {
      const raw = startRawUpstream((socket) => socket.terminate());
      stops.push(() => raw.stop());
      const { code, events } = await pair(raw.url);
      await expectFailedOver(await chat(code, { stream }), events, "unreachable", stream);
    });

    test(`the first-byte deadline (${mode})`, async () => {
      const silent = badFake(() => new Promise<Response>(() => {}));
      const { code, events } = await pair(silent.url);
      const started = performance.now();
      await expectFailedOver(await chat(code, { stream }), events, "timeout", stream);
      expect(performance.now() - started).toBeGreaterThanOrEqual(T.firstByteMs - 10);
      expect(await waitFor(() => silent.inference().every((r) => r.aborted))).toBe(true);
    });

    for (const status of [429, 500, 502, 503, 504]) {
      test(`HTTP ${status} (${mode})`, async () => {
        const failing = badFake(() => Response.json({ error: { message: `status ${status}`, type: "server_error" } }, { status }));
        const { code, events } = await pair(failing.url);
        await expectFailedOver(await chat(code, { stream }), events, status === 429 ? "rate_limited" : `http_${status}`, stream);
        expect(failing.inference()).toHaveLength(1);
      });
    }
  }

  test("connection reset after the headers, before the first byte (stream)", async () => {
    const raw = startRawUpstream((socket) => {
      socket.write(SSE_HEAD);
      socket.terminate();
    });
    stops.push(() => raw.stop());
    const { code, events } = await pair(raw.url);
    await expectFailedOver(await chat(code), events, "disconnected", true);
  });

  test.skipIf(!blackholeSupported)("the connect deadline: a host that never accepts", async () => {
    const { code, events } = await pair(hole!.url);
    await expectFailedOver(await chat(code), events, "timeout", true);
  });

  test("a stream whose first event is an error", async () => {
    const failing = badFake(() => sseResponse([`data: {"error":{"message":"the model is overloaded","type":"server_error","code":"overloaded"}}\n\n`]));
    const { code, events } = await pair(failing.url);
    await expectFailedOver(await chat(code), events, "stream_error", true);
  });

  test("401: no retry on it, marked unhealthy (participant.unhealthy and .updated), the request and the next go elsewhere", async () => {
    const revoked = badFake(() => Response.json({ error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } }, { status: 401 }));
    const { code, events } = await pair(revoked.url);
    const health = readEvents(`${hub.url}/rooms/${code}/events`);
    await health.next("connected");
    stops.push(() => health.close());
    const res = await chat(code);
    await expectFailedOver(res, events, "credentials", true);
    const unhealthy = await health.next("participant.unhealthy");
    expect(unhealthy.data).toMatchObject({ participant: { id: "bad", health: "unhealthy" }, reason: "credentials rejected (HTTP 401)" });
    const updated = await health.next("participant.updated");
    expect(updated.data).toMatchObject({ participant: { id: "bad", health: "unhealthy" }, reason: "credentials_rejected", status: 401 });
    const next = await chat(code);
    expect(next.headers.get("x-gambi-participant")).toBe("good");
    expect(next.headers.get("x-gambi-attempts")).toBe("1");
    await next.text();
    expect(revoked.inference()).toHaveLength(1);
  });

  test("at most maxAttempts participants (3), each tried once: the last one's answer stands", async () => {
    const failing = badFake(() => Response.json({ error: { message: "busy", type: "server_error" } }, { status: 503 }));
    const code = await hub.createRoom();
    for (const id of ["b1", "b2", "b3"]) expect((await hub.join(code, { id, nickname: id, model: "m", endpoint: failing.url })).status).toBe(201);
    expect((await hub.join(code, { id: "good", nickname: "steady", model: "m", endpoint: good.url })).status).toBe(201);
    await measureGood(hub, code);
    const before = good.inference().length;
    const res = await chat(code);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-gambi-participant")).toMatch(/^b[123]$/);
    expect(res.headers.get("x-gambi-attempts")).toBe("3");
    expect(((await res.json()) as any).error.message).toBe("busy");
    expect(failing.inference()).toHaveLength(3);
    expect(good.inference()).toHaveLength(before);
  });
});

describe("does not fail over", () => {
  test("after the first byte went to the client: the protocol's error event, as before", async () => {
    // The upstream dies once the client has its answer's head, i.e. once the hub has its first bytes.
    let headReached!: () => void;
    const dieAfter = new Promise<void>((resolve) => (headReached = resolve));
    const dying = badFake(() => sseResponse(chatStream("partial").slice(0, 2), { then: "die", dieAfter }));
    const { code, events } = await pair(dying.url);
    const before = good.inference().length;
    const res = await chat(code);
    headReached();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-attempts")).toBe("1");
    const got = decodeSse(new Uint8Array(await res.arrayBuffer()));
    expect(JSON.parse(got.at(-1)!.data).error.code).toBe("upstream_disconnected");
    expect(good.inference()).toHaveLength(before);
    expect((await events.next("llm.error")).data).toMatchObject({ participantId: "bad", stage: "stream", attempts: 1 });
  });

  test("a request pinned to its participant by id", async () => {
    const failing = badFake(() => Response.json({ error: { message: "down", type: "server_error" } }, { status: 503 }));
    const { code } = await pair(failing.url);
    const before = good.inference().length;
    const res = await chat(code, { model: "bad" });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-gambi-attempts")).toBe("1");
    expect(good.inference()).toHaveLength(before);
  });

  for (const status of [400, 404, 422]) {
    test(`HTTP ${status}: the client's request is at fault, relayed as it came`, async () => {
      const refusing = badFake(() => Response.json({ error: { message: `nope ${status}`, type: "invalid_request_error", code: "bad_thing" } }, { status }));
      const { code } = await pair(refusing.url);
      const before = good.inference().length;
      const res = await chat(code);
      expect(res.status).toBe(status);
      expect(res.headers.get("x-gambi-attempts")).toBe("1");
      expect(((await res.json()) as any).error).toMatchObject({ message: `nope ${status}`, code: "bad_thing" });
      expect(good.inference()).toHaveLength(before);
    });
  }

  test("a stream whose first event is an error, with nobody else to try: relayed as it came (200 and the event)", async () => {
    const failing = badFake(() => sseResponse([`data: {"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}\n\n`]));
    const code = await hub.createRoom();
    expect((await hub.join(code, { id: "alone", nickname: "alone", model: "m", endpoint: failing.url })).status).toBe(201);
    const res = await chat(code);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`data: {"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}\n\n`);
  });
});

describe("conversations", () => {
  const responsesText = (res: any) => res.output.flatMap((i: any) => (i.type === "message" ? i.content.map((c: any) => c.text) : [])).join("");

  test("a conversation the hub keeps goes back to its owner, and to another participant of its model when the owner fails", async () => {
    const owner = startFakeUpstream({ models: ["m"], responses: false });
    const other = startFakeUpstream({ models: ["m"], responses: false });
    stops.push(() => owner.stop(), () => other.stop());
    owner.handle(() => chatCompletion("m", "first answer"));
    other.handle(() => chatCompletion("m", "taken over"));
    const code = await hub.createRoom();
    expect((await hub.join(code, { id: "owner", nickname: "owner", model: "m", endpoint: owner.url })).status).toBe(201);
    expect((await hub.join(code, { id: "other", nickname: "other", model: "m", endpoint: other.url })).status).toBe(201);
    const post = (body: unknown) => hub.post(`/rooms/${code}/v1/responses`, body);
    const first = (await (await post({ model: "owner", input: "remember 7" })).json()) as any;
    expect(responsesText(first)).toBe("first answer");
    owner.handle(() => Response.json({ error: { message: "crashed", type: "server_error" } }, { status: 500 }));
    const kept = hub.hub.ctx.responseStore.size;
    const res = await post({ model: "*", previous_response_id: first.id, input: "what number?" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe("other");
    expect(res.headers.get("x-gambi-attempts")).toBe("2");
    const second = (await res.json()) as any;
    expect(responsesText(second)).toBe("taken over");
    // The failed attempt on the owner kept nothing: one more response, the one answered.
    expect(hub.hub.ctx.responseStore.size).toBe(kept + 1);
    expect(hub.hub.ctx.responseStore.get(code, second.id)).toBeDefined();
    // The other participant got the whole conversation.
    const sent = JSON.parse(other.inference().at(-1)!.body).messages.map((m: any) => m.content);
    expect(sent).toEqual(["remember 7", "first answer", "what number?"]);
  });

  test("a conversation only its participant holds never goes elsewhere", async () => {
    const keeper = startFakeUpstream({ models: ["m"], chat: false });
    const stranger = startFakeUpstream({ models: ["m"], chat: false });
    stops.push(() => keeper.stop(), () => stranger.stop());
    keeper.handle(() => Response.json({ id: "resp_kept_1", object: "response", status: "completed", model: "m", output: [] }));
    stranger.handle(() => Response.json({ id: "resp_x", object: "response", status: "completed", model: "m", output: [] }));
    const code = await hub.createRoom();
    expect((await hub.join(code, { id: "keeper", nickname: "keeper", model: "m", endpoint: keeper.url })).status).toBe(201);
    expect((await hub.join(code, { id: "stranger", nickname: "stranger", model: "m", endpoint: stranger.url })).status).toBe(201);
    expect((await hub.post(`/rooms/${code}/v1/responses`, { model: "keeper", input: "hi" })).status).toBe(200);
    keeper.handle(() => Response.json({ error: { message: "down", type: "server_error" } }, { status: 503 }));
    const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", previous_response_id: "resp_kept_1", input: "again" });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-gambi-attempts")).toBe("1");
    expect(stranger.inference()).toHaveLength(0);
  });
});

describe("a 429's Retry-After", () => {
  test("keeps requests away from its participant for as long as it asked, and says so once on the room's events", async () => {
    const timers = manualTimers();
    const local = startTestHub({ timers, timeouts: { connectMs: 0, firstByteMs: 0, idleMs: 0 } });
    stops.push(() => local.stop());
    let limited = true;
    const bad = badFake(() => (limited ? Response.json({ error: { message: "slow down", type: "rate_limit_error" } }, { status: 429, headers: { "retry-after": "30" } }) : chatCompletion("m", "from bad")));
    const { code, events } = await pair(bad.url, local);
    const first = await chat(code, { stream: false }, local);
    expect(first.headers.get("x-gambi-participant")).toBe("good");
    await first.text();
    const updated = await events.next("participant.updated");
    const cooldownUntil = updated.data.participant.cooldownUntil;
    expect(updated.data).toMatchObject({ reason: "rate_limited", cooldownMs: 30_000, participant: { id: "bad" } });
    expect(cooldownUntil).toBeGreaterThan(Date.now() + 25_000);
    limited = false;
    // 29.9 s on the hub's clock: every request goes to the good one, though the bad one is unmeasured (first among equals).
    for (let i = 0; i < 4; i++) {
      timers.advance(7_000);
      const res = await chat(code, { stream: false }, local);
      expect(res.headers.get("x-gambi-participant")).toBe("good");
      await res.text();
    }
    expect(bad.inference()).toHaveLength(1);
    timers.advance(2_000);
    const after = await chat(code, { stream: false }, local);
    expect(after.headers.get("x-gambi-participant")).toBe("bad");
    expect(await textOf(after, false)).toBe("from bad");
    // One event for the one 429.
    expect(events.all.filter((e) => e.type === "participant.updated")).toHaveLength(0);
  });
});

describe("a request that fails on its own participant and then has nobody else", () => {
  test("the failure is answered as it came, with the events saying what happened", async () => {
    const failing = badFake(() => Response.json({ error: { message: "down", type: "server_error" } }, { status: 502 }));
    const code = await hub.createRoom();
    expect((await hub.join(code, { id: "only", nickname: "only", model: "m", endpoint: failing.url })).status).toBe(201);
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    stops.push(() => events.close());
    const res = await chat(code, { stream: false });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-gambi-attempts")).toBe("1");
    const err = await events.next("llm.error");
    expect(err.data).toMatchObject({ participantId: "only", status: 502, stage: "upstream", attempts: 1, metrics: { queueMs: 0 } });
    expect(events.all.some((e) => e.type === "llm.retry")).toBe(false);
  });
});
