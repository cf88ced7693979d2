/**
 * Upstream faults under real sockets, for both client protocols, relayed as is (passthrough)
 * and translated (adapted): a participant that never answers, goes silent mid-stream, trickles,
 * cuts an event in half, sends data that is not JSON, answers with a provider's HTTP error, or
 * resets the connection. Every time the client gets an answer in its own protocol (a 504 in
 * OpenAI's envelope before the first byte, the protocol's error event after it), the upstream
 * request is aborted, the hub keeps serving, and no timer is left behind.
 *
 * Deadlines are short (connect 200 ms, first byte 400 ms, idle 300 ms) and assertions keep wide
 * margins above them: a loaded 2-core machine may fire a timer late, never early.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MANY_AT_ONCE, startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, startFakeUpstream, waitFor, type FakeUpstream, type Handler } from "../helpers/fake-upstream.ts";
import { httpChunk, SSE_HEAD, startRawUpstream } from "../helpers/raw-upstream.ts";
import { countingTimers, type CountingTimers } from "../helpers/fake-timers.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";
import { decodeSse } from "../helpers/sse-read.ts";
import { blackholeSupported, startBlackhole } from "../helpers/blackhole.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";

const T = { connectMs: 200, firstByteMs: 400, idleMs: 300 };
/** How late a deadline may fire on a loaded machine before the test calls it broken. */
const LATE = 3_000;

type Protocol = "chat" | "responses";

let hub: TestHub;
let timers: CountingTimers;
const upstreams: Record<"both" | "chat" | "responses", FakeUpstream> = {} as never;
const rooms: Record<"both" | "chat" | "responses", string> = {} as never;

beforeAll(async () => {
  timers = countingTimers();
  hub = startTestHub({ timeouts: T, timers });
  upstreams.both = startFakeUpstream({ models: ["m"] });
  upstreams.chat = startFakeUpstream({ models: ["m"], responses: false });
  upstreams.responses = startFakeUpstream({ models: ["m"], chat: false });
  for (const kind of ["both", "chat", "responses"] as const) {
    rooms[kind] = await hub.createRoom({ name: kind });
    const res = await hub.join(rooms[kind], { id: `p-${kind}`, nickname: `${kind}-speaker`, model: "m", endpoint: upstreams[kind].url, ...MANY_AT_ONCE });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await hub.stop();
  for (const u of Object.values(upstreams)) await u.stop();
});

/** One way a request can reach a participant: the client's protocol and the participant's. */
interface Route {
  name: string;
  client: Protocol;
  upstream: Protocol;
  kind: "both" | "chat" | "responses";
}

const ROUTES: Route[] = [
  { name: "chat, passthrough", client: "chat", upstream: "chat", kind: "both" },
  { name: "Responses, passthrough", client: "responses", upstream: "responses", kind: "both" },
  { name: "Responses ← chat, adapted", client: "responses", upstream: "chat", kind: "chat" },
  { name: "chat ← Responses, adapted", client: "chat", upstream: "responses", kind: "responses" },
];

function send(route: Route, stream: boolean, signal?: AbortSignal, room = rooms[route.kind]): Promise<Response> {
  const body =
    route.client === "chat"
      ? { model: "*", stream, messages: [{ role: "user", content: "hi" }] }
      : { model: "*", stream, input: "hi", store: false };
  return fetch(`${hub.url}/rooms/${room}/v1/${route.client === "chat" ? "chat/completions" : "responses"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** The upstream's own events, in its protocol: a first one, a text delta, the end. */
const UP = {
  chat: {
    first: `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
    text: (t: string) => `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(t)}},"finish_reason":null}]}\n\n`,
    end: `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`,
    half: `data: {"id":"c1","object":"chat.compl`,
  },
  responses: {
    first: `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up","object":"response","created_at":1,"model":"m","status":"in_progress","output":[]}}\n\n`,
    text: (t: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":${JSON.stringify(t)}}\n\n`,
    end:
      `event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_up","object":"response","created_at":1,"model":"m","status":"completed",` +
      `"output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[]}]}],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}\n\n`,
    half: `event: response.output_text.delta\ndata: {"type":"response.output_te`,
  },
};

/** The error a client of this protocol sees at the end of a broken stream: `{code, message}`. */
function streamError(events: SseEvent[], client: Protocol): { code: string; message: string } {
  if (client === "chat") {
    const last = JSON.parse(events.at(-1)!.data);
    expect(last.error).toBeDefined();
    return last.error;
  }
  const err = events.find((e) => e.event === "error");
  expect(err).toBeDefined();
  return JSON.parse(err!.data);
}

/** Read one event at a time (the first events arrive before the upstream stalls). */
function eventReader(res: Response) {
  const reader = res.body!.getReader();
  const bytes: Uint8Array[] = [];
  return {
    async untilEvents(n: number): Promise<SseEvent[]> {
      for (;;) {
        const events = decodeSse(Buffer.concat(bytes));
        if (events.length >= n) return events;
        const { done, value } = await reader.read();
        if (done) return events;
        bytes.push(value);
      }
    },
    async rest(): Promise<{ events: SseEvent[]; text: string }> {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes.push(value);
      }
      const all = Buffer.concat(bytes);
      return { events: decodeSse(all), text: all.toString() };
    },
  };
}

const hang: Handler = (req) => new Promise<Response>((resolve) => req.signal.addEventListener("abort", () => resolve(new Response(null))));

async function stillServes(route: Route) {
  upstreams[route.kind].handle(() => new Response(UP[route.upstream].first + UP[route.upstream].text("ok") + UP[route.upstream].end, { headers: { "content-type": "text/event-stream" } }));
  const res = await send(route, true);
  expect(res.status).toBe(200);
  const events = decodeSse(new Uint8Array(await res.arrayBuffer()));
  expect(events.filter(isError)).toEqual([]);
}

/** An error event of either protocol (a Response object's `"error": null` is not one). */
function isError(e: SseEvent): boolean {
  if (e.event === "error" || e.event === "response.failed") return true;
  if (e.data === "[DONE]") return false;
  try {
    return !!JSON.parse(e.data).error;
  } catch {
    return false;
  }
}

describe("no answer before the first byte → 504 upstream_timeout in OpenAI's envelope", () => {
  for (const route of ROUTES) {
    for (const stream of [true, false]) {
      test(`${route.name}, ${stream ? "streaming" : "not streaming"}: accepts and never answers`, async () => {
        const up = upstreams[route.kind];
        up.handle(hang);
        const before = up.inference().length;
        const started = performance.now();
        const res = await send(route, stream);
        const took = performance.now() - started;
        expect(res.status).toBe(504);
        expect(res.headers.get("x-gambi-participant")).toBe(`p-${route.kind}`);
        const body = (await res.json()) as any;
        expect(body.error).toMatchObject({ type: "timeout_error", code: "upstream_timeout", param: null });
        expect(body.error.message).toContain(`"${route.kind}-speaker"`);
        expect(body.error.message).toContain("first-byte timeout");
        expect(took).toBeGreaterThanOrEqual(T.firstByteMs - 5);
        expect(took).toBeLessThan(T.firstByteMs + LATE);
        const record = up.inference()[before]!;
        expect(await waitFor(() => record.aborted, 2000)).toBe(true);
        await stillServes(route);
      });
    }
  }

  test("headers sent, no body chunk: a stream's first byte is its first chunk", async () => {
    const s = controlledStream();
    upstreams.both.handle(() => s.response());
    const started = performance.now();
    const res = await send(ROUTES[0]!, true);
    expect(res.status).toBe(504);
    expect(performance.now() - started).toBeGreaterThanOrEqual(T.firstByteMs - 5);
    expect(((await res.json()) as any).error.code).toBe("upstream_timeout");
    expect(await waitFor(() => s.cancelled, 2000)).toBe(true);
  });
});

describe("a host that never accepts the connection → 504 at the connect deadline, long before the first-byte one", () => {
  test.skipIf(!blackholeSupported)("chat and Responses, streaming and not", async () => {
    const hole = await startBlackhole();
    const probes = startFakeUpstream({ models: ["m"] });
    // Joining needs an endpoint that answers the probes: they go to a live fake, inference to the hole.
    const local = startTestHub({
      timeouts: { connectMs: 200, firstByteMs: 10_000, idleMs: 10_000 },
      fetch: (url, init) =>
        init.body === "{}" || String(init.body).includes("resp_gambi_state_probe") || url.endsWith("/models") ? fetch(url.replace(hole.url, probes.url), init) : fetch(url, init),
    });
    try {
      const room = await local.createRoom();
      expect((await local.join(room, { id: "gone", nickname: "asleep-laptop", model: "m", endpoint: hole.url })).status).toBe(201);
      for (const [path, body] of [
        ["chat/completions", { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] }],
        ["responses", { model: "*", stream: false, input: "hi" }],
      ] as const) {
        const started = performance.now();
        const res = await local.post(`/rooms/${room}/v1/${path}`, body);
        const took = performance.now() - started;
        expect(res.status).toBe(504);
        const err = ((await res.json()) as any).error;
        expect(err).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
        expect(err.message).toContain('"asleep-laptop"');
        expect(err.message).toContain("could not connect within 200 ms");
        expect(took).toBeGreaterThanOrEqual(190);
        expect(took).toBeLessThan(200 + LATE);
      }
      expect(probes.inference()).toHaveLength(0);
    } finally {
      await local.stop();
      await probes.stop();
      hole.close();
    }
  });
});

describe("silent mid-stream → the protocol's error event, the stream ends, the upstream is aborted", () => {
  for (const route of ROUTES) {
    test(route.name, async () => {
      const s = controlledStream();
      upstreams[route.kind].handle(() => s.response());
      s.send(UP[route.upstream].first + UP[route.upstream].text("partial"));
      const res = await send(route, true);
      expect(res.status).toBe(200);
      const reader = eventReader(res);
      await reader.untilEvents(1);
      const stalledAt = performance.now();
      const { events } = await reader.rest();
      const waited = performance.now() - stalledAt;
      const err = streamError(events, route.client);
      expect(err.code).toBe("upstream_timeout");
      expect(err.message).toContain(`"${route.kind}-speaker"`);
      expect(err.message).toContain("idle timeout");
      expect(waited).toBeGreaterThanOrEqual(T.idleMs - 50);
      expect(waited).toBeLessThan(T.idleMs + LATE);
      if (route.client === "responses") expect(events.at(-1)!.event).toBe(route.upstream === "chat" ? "response.failed" : "error");
      expect(await waitFor(() => s.cancelled, 2000)).toBe(true);
      await stillServes(route);
    });
  }
});

describe("non-streaming bodies: idle means silence, not a slow body", () => {
  const json = JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "late but whole" }, finish_reason: "stop" }],
  });
  /** Chunked (no Content-Length): whitespace every 60 ms (4× the idle timeout's worth by default), as OpenRouter keeps a slow answer alive; then `tail`. */
  const keptAlive = (tail: string | null, beats = Math.ceil((4 * T.idleMs) / 60)) => () => {
    let sent = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          if (sent < beats) {
            if (sent > 0) await Bun.sleep(60);
            sent++;
            return c.enqueue(new TextEncoder().encode("\n"));
          }
          if (tail === null) return new Promise<void>(() => {}); // then silence
          c.enqueue(new TextEncoder().encode(tail));
          c.close();
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  };

  for (const route of ROUTES.filter((r) => r.upstream === "chat")) {
    test(`${route.name}: keep-alive whitespace for 4× the idle timeout, then the JSON → 200`, async () => {
      upstreams[route.kind].handle(keptAlive(json));
      const res = await send(route, false);
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      if (route.client === "chat") expect(body.choices[0].message.content).toBe("late but whole");
      else expect(body.output[0].content[0].text).toBe("late but whole");
    });

    test(`${route.name}: a body that stops coming → 504 at the idle deadline`, async () => {
      upstreams[route.kind].handle(keptAlive(null, 2));
      const res = await send(route, false);
      expect(res.status).toBe(504);
      const err = ((await res.json()) as any).error;
      expect(err.code).toBe("upstream_timeout");
      expect(err.message).toContain("idle timeout");
    });
  }
});

describe("a trickle faster than the idle timeout is not idle", () => {
  for (const route of ROUTES.filter((r) => r.upstream === "chat")) {
    test(`${route.name}: one byte every 20 ms for 4× the idle timeout, then the rest`, async () => {
      const bytes = new TextEncoder().encode(UP.chat.first + UP.chat.text("slow") + UP.chat.end);
      const trickled = Math.ceil((4 * T.idleMs) / 20);
      upstreams[route.kind].handle(() => {
        let i = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(c) {
              if (i >= bytes.length) return c.close();
              if (i > 0) await Bun.sleep(20);
              const to = i < trickled ? i + 1 : bytes.length;
              c.enqueue(bytes.subarray(i, to));
              i = to;
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        );
      });
      const started = performance.now();
      const res = await send(route, true);
      expect(res.status).toBe(200);
      const events = decodeSse(new Uint8Array(await res.arrayBuffer()));
      expect(performance.now() - started).toBeGreaterThan(4 * T.idleMs);
      expect(events.filter(isError)).toEqual([]);
      if (route.client === "chat") {
        expect(events.map((e) => e.data).join("")).toContain('"slow"');
        expect(events.at(-1)!.data).toBe("[DONE]");
      } else {
        expect(events.at(-1)!.event).toBe("response.completed");
        expect(JSON.parse(events.at(-1)!.data).response.output[0].content[0].text).toBe("slow");
      }
    });
  }
});

describe("half an SSE event, then a clean close → the protocol's error event", () => {
  for (const route of ROUTES) {
    test(route.name, async () => {
      upstreams[route.kind].handle(
        () => new Response(UP[route.upstream].first + UP[route.upstream].text("before") + UP[route.upstream].half, { headers: { "content-type": "text/event-stream" } }),
      );
      const res = await send(route, true);
      expect(res.status).toBe(200);
      const { events, text } = await eventReader(res).rest();
      if (route.client === route.upstream) {
        // The whole events as sent, then only the error: the half event never reaches the
        // client, whose parser would glue it to the next line.
        const whole = UP[route.upstream].first + UP[route.upstream].text("before");
        expect(text.slice(0, whole.length)).toBe(whole);
        expect(decodeSse(Buffer.from(text.slice(whole.length)))).toHaveLength(1);
      }
      const err = streamError(events, route.client);
      expect(["upstream_truncated", "upstream_invalid_chunk"]).toContain(err.code);
      if (route.client === "chat") expect(events.map((e) => e.data).join("")).toContain("before");
      await stillServes(route);
    });
  }
});

describe("data that is not JSON", () => {
  const bad = "data: {this is not json\n\n";

  test("passthrough (both protocols): forwarded byte for byte, like every other event; the hub keeps serving", async () => {
    for (const route of ROUTES.filter((r) => r.client === r.upstream)) {
      const up = UP[route.upstream];
      const body = up.first + up.text("a") + bad + up.text("b") + up.end;
      upstreams.both.handle(() => new Response(body, { headers: { "content-type": "text/event-stream" } }));
      const res = await send(route, true);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
      await stillServes(route);
    }
  });

  test("Responses ← chat: the response fails with an error event (upstream_invalid_chunk), then response.failed", async () => {
    const route = ROUTES[2]!;
    upstreams.chat.handle(() => new Response(UP.chat.first + UP.chat.text("a") + bad + UP.chat.text("b") + UP.chat.end, { headers: { "content-type": "text/event-stream" } }));
    const res = await send(route, true);
    const events = decodeSse(new Uint8Array(await res.arrayBuffer()));
    expect(streamError(events, "responses").code).toBe("upstream_invalid_chunk");
    expect(events.at(-1)!.event).toBe("response.failed");
    await stillServes(route);
  });

  test("chat ← Responses: skipped like a keep-alive (docs/protocols.md); a stream that then ends early still errors", async () => {
    const route = ROUTES[3]!;
    const up = UP.responses;
    upstreams.responses.handle(() => new Response(up.first + up.text("a") + bad + up.end, { headers: { "content-type": "text/event-stream" } }));
    const whole = decodeSse(new Uint8Array(await (await send(route, true)).arrayBuffer()));
    expect(whole.at(-1)!.data).toBe("[DONE]");
    expect(whole.some((e) => e.data.includes('"error"'))).toBe(false);

    upstreams.responses.handle(() => new Response(up.first + up.text("a") + bad, { headers: { "content-type": "text/event-stream" } }));
    const cut = decodeSse(new Uint8Array(await (await send(route, true)).arrayBuffer()));
    expect(streamError(cut, "chat").code).toBe("upstream_truncated");
  });
});

describe("provider HTTP errors (test/fixtures/chat/*error*) → same status, OpenAI envelope, Retry-After kept", () => {
  const fixtures = ["openrouter-error-429.json", "ollama-error-model-not-found.json"].map((f) => ({
    name: f,
    body: readFileSync(join(FIXTURES_DIR, "chat", f), "utf8"),
  }));
  /**
   * A 429 cools its participant down for the wait it names (hub/pool/): the next request would
   * wait for it. Each 429 goes to a participant of its own (the same upstream), in a room of its own.
   */
  let fresh = 0;
  async function roomFor(route: Route, status: number): Promise<string> {
    if (status !== 429) return rooms[route.kind];
    const room = await hub.createRoom({ name: `429-${fresh}` });
    expect((await hub.join(room, { id: `p-429-${fresh++}`, nickname: `${route.kind}-speaker`, model: "m", endpoint: upstreams[route.kind].url })).status).toBe(201);
    return room;
  }
  for (const route of ROUTES) {
    for (const status of [429, 500, 503]) {
      test(`${route.name}: ${status}`, async () => {
        for (const fx of fixtures) {
          for (const stream of [true, false]) {
            upstreams[route.kind].handle(() => new Response(fx.body, { status, headers: { "content-type": "application/json", "retry-after": "7" } }));
            const res = await send(route, stream, undefined, await roomFor(route, status));
            expect(res.status).toBe(status);
            expect(res.headers.get("retry-after")).toBe("7");
            expect(res.headers.get("content-type")).toContain("application/json");
            const text = await res.text();
            // Already in the envelope ({"error": {"message": ...}}): passed on byte for byte.
            expect(text).toBe(fx.body);
            expect(typeof JSON.parse(text).error.message).toBe("string");
          }
        }
        // Not in the envelope (an HTML error page from a proxy): wrapped in it.
        upstreams[route.kind].handle(() => new Response("<html>upstream down</html>", { status, headers: { "content-type": "text/html", "retry-after": "3" } }));
        const res = await send(route, true, undefined, await roomFor(route, status));
        expect(res.status).toBe(status);
        expect(res.headers.get("retry-after")).toBe("3");
        const body = (await res.json()) as any;
        expect(body.error).toMatchObject({ code: `upstream_${status}`, param: null });
        expect(body.error.message).toContain(`"${route.kind}-speaker"`);
        expect(body.error.message).toContain("upstream down");
      });
    }
  }
});

describe("connection reset mid-stream → the protocol's error event", () => {
  test("Responses, passthrough (a raw socket: half a chunk, then a reset)", async () => {
    let socket: { write(s: string): unknown; terminate(): void } | undefined;
    const raw = startRawUpstream((s) => {
      s.write(SSE_HEAD + httpChunk(UP.responses.first));
      socket = s;
    });
    try {
      const room = await hub.createRoom();
      expect((await hub.join(room, { id: "raw", nickname: "raw-one", model: "m", endpoint: raw.url })).status).toBe(201);
      const res = await hub.post(`/rooms/${room}/v1/responses`, { model: "*", stream: true, input: "hi" });
      expect(res.status).toBe(200);
      const reader = eventReader(res);
      expect((await reader.untilEvents(1))[0]!.event).toBe("response.created");
      socket!.write('40\r\nevent: response.output_text.delta\ndata: {"ty');
      socket!.terminate();
      const { events } = await reader.rest();
      expect(events.at(-1)!.event).toBe("error");
      const { code, message } = streamError(events, "responses");
      expect(code).toBe("upstream_disconnected");
      expect(message).toContain("ECONNRESET");
      // Bun's hint to whoever wrote the fetch() call is nothing a client of the hub can act on.
      expect(message).not.toContain("verbose");
    } finally {
      raw.stop();
    }
  });

  for (const route of ROUTES.filter((r) => r.client !== r.upstream)) {
    test(route.name, async () => {
      const s = controlledStream();
      upstreams[route.kind].handle(() => s.response());
      s.send(UP[route.upstream].first + UP[route.upstream].text("partial"));
      const res = await send(route, true);
      const reader = eventReader(res);
      await reader.untilEvents(1);
      s.send(UP[route.upstream].half);
      s.die();
      const { events } = await reader.rest();
      expect(streamError(events, route.client).code).toBe("upstream_disconnected");
      await stillServes(route);
    });
  }
});

describe("bookkeeping", () => {
  test("a client that leaves mid-stream still clears its timer", async () => {
    const s = controlledStream();
    upstreams.both.handle(() => s.response());
    s.send(UP.chat.first);
    const abort = new AbortController();
    const res = await send(ROUTES[0]!, true, abort.signal);
    await eventReader(res).untilEvents(1);
    abort.abort();
    expect(await waitFor(() => s.cancelled, 2000)).toBe(true);
  });

  test("after every request above, no deadline timer is left", async () => {
    expect(timers.created).toBeGreaterThan(20);
    expect(await waitFor(() => timers.live === 0, 3000)).toBe(true);
    for (const kind of ["both", "chat", "responses"] as const) {
      const p = hub.hub.ctx.registry.find(rooms[kind])!.participants.get(`p-${kind}`)!;
      expect(await waitFor(() => hub.hub.ctx.registry.find(rooms[kind])!.scheduler.memberView(p.id)?.inFlight === 0, 2000)).toBe(true);
    }
  });
});
