/**
 * The streaming proxy under real sockets: no buffering, concurrency, client aborts reaching
 * the upstream, upstream failures before and after the first byte, HTTP errors passed on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MANY_AT_ONCE, startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { httpChunk, SSE_HEAD, startRawUpstream } from "../helpers/raw-upstream.ts";

let hub: TestHub;
let upstream: FakeUpstream;
let code: string;

beforeAll(async () => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"] });
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "p", nickname: "streamer", model: "m", endpoint: upstream.url, ...MANY_AT_ONCE })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const chunk = (text: string) => `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: text } }] })}\n\n`;

function chat(signal?: AbortSignal, room = code) {
  return fetch(`${hub.url}/rooms/${room}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "*", stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal,
  });
}

/** Reads SSE events from a response one at a time. */
function eventReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new SseDecoder();
  const queue: SseEvent[] = [];
  return {
    async next(): Promise<SseEvent | undefined> {
      while (queue.length === 0) {
        const { done, value } = await reader.read();
        if (done) {
          queue.push(...decoder.end());
          return queue.shift();
        }
        queue.push(...decoder.push(value));
      }
      return queue.shift();
    },
    async rest(): Promise<SseEvent[]> {
      const out: SseEvent[] = [];
      for (let e = await this.next(); e; e = await this.next()) out.push(e);
      return out;
    },
  };
}

describe("no buffering", () => {
  test("each upstream event reaches the client before the next one is even sent", async () => {
    const s = controlledStream();
    upstream.handle(() => s.response());
    s.send(chunk("one"));
    const res = await chat();
    const events = eventReader(res);
    expect(JSON.parse((await events.next())!.data).choices[0].delta.content).toBe("one");
    s.send(": keep-alive comment\n\n");
    s.send(chunk("two"));
    expect(JSON.parse((await events.next())!.data).choices[0].delta.content).toBe("two");
    s.send("data: [DONE]\n\n");
    s.end();
    expect((await events.next())!.data).toBe("[DONE]");
    expect(await events.next()).toBeUndefined();
  });

  test("two concurrent streams are interleaved, not serialised", async () => {
    const a = controlledStream();
    const b = controlledStream();
    const queue = [a, b];
    upstream.handle(() => queue.shift()!.response());
    a.send(chunk("a1"));
    const ra = eventReader(await chat());
    b.send(chunk("b1"));
    const rb = eventReader(await chat());
    expect(JSON.parse((await rb.next())!.data).choices[0].delta.content).toBe("b1");
    expect(JSON.parse((await ra.next())!.data).choices[0].delta.content).toBe("a1");
    b.send(chunk("b2"));
    expect(JSON.parse((await rb.next())!.data).choices[0].delta.content).toBe("b2");
    a.send(chunk("a2"));
    expect(JSON.parse((await ra.next())!.data).choices[0].delta.content).toBe("a2");
    a.end();
    b.end();
    expect(await ra.rest()).toEqual([]);
    expect(await rb.rest()).toEqual([]);
  });
});

describe("client disconnects", () => {
  test("aborting the client aborts the upstream request within 1 s", async () => {
    const s = controlledStream();
    upstream.handle(() => s.response());
    s.send(chunk("first"));
    const abort = new AbortController();
    const res = await chat(abort.signal);
    const events = eventReader(res);
    await events.next();
    const record = upstream.inference().at(-1)!;
    expect(record.aborted).toBe(false);
    abort.abort();
    expect(await waitFor(() => record.aborted && s.cancelled, 1000)).toBe(true);
    // The hub no longer counts the request as in flight (routing prefers the least busy).
    const participant = hub.hub.ctx.registry.find(code)!.participants.get("p")!;
    expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.scheduler.memberView(participant.id)?.inFlight === 0, 1000)).toBe(true);
  });

  test("aborting before the first byte also aborts the upstream", async () => {
    const s = controlledStream();
    upstream.handle(() => s.response());
    const abort = new AbortController();
    const pending = chat(abort.signal).catch((e) => e);
    expect(await waitFor(() => upstream.inference().length > 0 && !upstream.inference().at(-1)!.aborted)).toBe(true);
    const record = upstream.inference().at(-1)!;
    abort.abort();
    await pending;
    expect(await waitFor(() => record.aborted, 1000)).toBe(true);
  });
});

describe("upstream failures", () => {
  test("dies mid-stream → the client gets the events so far, then an error event, then the end", async () => {
    const s = controlledStream();
    upstream.handle(() => s.response());
    s.send(chunk("partial answer"));
    const events = eventReader(await chat());
    expect(JSON.parse((await events.next())!.data).choices[0].delta.content).toBe("partial answer");
    s.send('data: {"id":"c","choices":[{"delta":{"content":"half an ev'); // cut mid-event
    s.die();
    const rest = await events.rest();
    expect(rest).toHaveLength(1);
    const err = JSON.parse(rest[0]!.data);
    expect(err.error.code).toBe("upstream_disconnected");
    expect(err.error.message).toContain("streamer");
  });

  test("dies mid-stream on the Responses API → an `error` event", async () => {
    const s = controlledStream();
    upstream.handle(() => s.response());
    // A conformant first event: the passthrough path (a repaired stream's break: responses-repair-relay.test.ts).
    s.send(`event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_x","output":[]}}\n\n`);
    const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", stream: true, input: "hi" });
    const events = eventReader(res);
    expect((await events.next())!.event).toBe("response.created");
    s.die();
    const [err, ...after] = await events.rest();
    expect(err!.event).toBe("error");
    expect(JSON.parse(err!.data)).toMatchObject({ type: "error", code: "upstream_disconnected" });
    expect(after).toEqual([]);
  });

  test("headers sent, then the connection drops before the first byte → 502 in OpenAI's shape", async () => {
    const raw = startRawUpstream((socket) => {
      socket.write(SSE_HEAD);
      socket.end();
    });
    const room = await hub.createRoom();
    expect((await hub.join(room, { id: "raw", nickname: "raw", model: "m", endpoint: raw.url })).status).toBe(201);
    const res = await hub.post(`/rooms/${room}/v1/chat/completions`, { model: "*", stream: true, messages: [] });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error).toMatchObject({ type: "upstream_error", code: "upstream_disconnected" });
    raw.stop();
  });

  test("a connection reset mid-chunk ends the client's stream with an error event", async () => {
    let upstreamSocket: { write(s: string): unknown; terminate(): void } | undefined;
    const raw = startRawUpstream((socket) => {
      socket.write(SSE_HEAD + httpChunk(chunk("hello")));
      upstreamSocket = socket;
    });
    const room = await hub.createRoom();
    expect((await hub.join(room, { id: "raw2", nickname: "raw2", model: "m", endpoint: raw.url })).status).toBe(201);
    const res = await hub.post(`/rooms/${room}/v1/chat/completions`, { model: "*", stream: true, messages: [] });
    expect(res.status).toBe(200);
    const events = eventReader(res);
    expect(JSON.parse((await events.next())!.data).choices[0].delta.content).toBe("hello");
    // Half a chunk (and half an event), then a reset.
    upstreamSocket!.write('40\r\ndata: {"trunc');
    upstreamSocket!.terminate();
    const rest = await events.rest();
    expect(rest).toHaveLength(1);
    expect(JSON.parse(rest[0]!.data).error.code).toBe("upstream_disconnected");
    raw.stop();
  });

  test("an upstream HTTP error keeps its status and OpenAI-shaped body", async () => {
    const body = '{"error":{"message":"Rate limited","type":"rate_limit_error","code":"rate_limit","param":null}}';
    upstream.handle(() => new Response(body, { status: 429, headers: { "content-type": "application/json", "retry-after": "7" } }));
    // In a room of its own: the 429 leaves its participant cooling down for 7 s (hub/pool/), which the next test's would wait out.
    const room = await hub.createRoom();
    expect((await hub.join(room, { id: "p429", nickname: "limited", model: "m", endpoint: upstream.url })).status).toBe(201);
    const res = await chat(undefined, room);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.text()).toBe(body);
  });

  test("a non-JSON upstream error is wrapped in the envelope", async () => {
    upstream.handle(() => new Response("<html>Bad Gateway</html>", { status: 503, headers: { "content-type": "text/html" } }));
    const res = await chat();
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: "upstream_503", type: "service_unavailable" });
    expect(body.error.message).toContain("Bad Gateway");
  });

  test("an unreachable participant → 502 naming the participant", async () => {
    const gone = startFakeUpstream({ models: ["m"] });
    const room = await hub.createRoom();
    await hub.join(room, { id: "ghost", nickname: "ghosty", model: "m", endpoint: gone.url, authHeaders: { Authorization: "Bearer sk-ghost-secret-000" } });
    await gone.stop();
    const res = await hub.post(`/rooms/${room}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("ghosty");
    expect(text).not.toContain("sk-ghost-secret");
  });
});
