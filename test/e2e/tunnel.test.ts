/**
 * The participant tunnel end to end (docs/tunnel.md): real hubs on port 0, fake upstreams on
 * port 0, the joiner as `gambi join --tunnel` runs it (join/session.ts), real WebSockets, real
 * HTTP and SSE. A tunnelled participant serves chat and Responses, streaming or not, passthrough
 * or adapted, with a key only its joiner holds; the hub never dials its endpoint; cancels,
 * dropped sockets, a stalled client and a hub restart behave as they should.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConsola } from "consola";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { startHub } from "../../src/hub/index.ts";
import type { Fetch } from "../../src/proxy/upstream.ts";
import { captured, captureEventStream, fetchAll, filesUnder, findLeaks } from "../helpers/capture.ts";
import { chatCompletion, controlledStream, sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { prng } from "../helpers/prng.ts";
import { joinThroughTunnel, rawTunnel, tunnelHeaders, type TunnelJoiner } from "../helpers/tunnel.ts";
import { TUNNEL_MAJOR, TUNNEL_MINOR } from "../../src/protocol/tunnel/frames.ts";

const CANARY = "sk-tunnel-canary-5f0e1d2c3b4a";
const KEY = { authorization: `Bearer ${CANARY}` };
const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!.bytes;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Every way the hub could reach a participant by itself, counted: its fetch, and its connect check. */
const dialled: string[] = [];
const recordingFetch: Fetch = (url) => {
  dialled.push(url);
  return Promise.reject(new Error("the hub dialled a participant"));
};

describe("a tunnelled participant serves", () => {
  let hub: TestHub;
  let dataDir: string;
  let both: FakeUpstream;
  let chatOnly: FakeUpstream;
  let a: TunnelJoiner;
  let b: TunnelJoiner;
  let code: string;
  const into = captured();
  let events: Awaited<ReturnType<typeof captureEventStream>>;

  beforeAll(async () => {
    dataDir = tempDir("tunnel-canary");
    hub = startTestHub({ dataDir, fetch: recordingFetch, connectCheck: async (base) => (dialled.push(`connect ${base}`), true) });
    both = startFakeUpstream({ models: ["model-a"], requireHeader: { name: "authorization", value: KEY.authorization } });
    both.handle((req, body) => {
      const stream = JSON.parse(body).stream === true;
      const responses = new URL(req.url).pathname.endsWith("/responses");
      if (stream) return sseResponse(splitEvents(fixture(responses ? "responses/openai-text.sse" : "chat/openai-text-usage.sse")));
      return new Response(fixture(responses ? "responses/openai-text.json" : "chat/openai-text.json"), { headers: { "content-type": "application/json" } });
    });
    chatOnly = startFakeUpstream({ models: ["model-b"], responses: false, requireHeader: { name: "authorization", value: KEY.authorization } });
    chatOnly.handle((_req, body) => (JSON.parse(body).stream ? sseResponse(splitEvents(fixture("chat/openai-text-usage.sse"))) : chatCompletion("model-b", "adapted hello")));
    code = await hub.createRoom();
    events = await captureEventStream(into, `${hub.url}/rooms/${code}/events`);
    a = await joinThroughTunnel(hub.url, code, { endpoint: both.url, models: ["model-a"], authHeaders: KEY, maxConcurrency: 8 });
    b = await joinThroughTunnel(hub.url, code, { endpoint: chatOnly.url, models: ["model-b"], authHeaders: KEY, maxConcurrency: 8 });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await hub.stop();
    await both.stop();
    await chatOnly.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("the join answer, and the room's view: transport tunnel, no endpoint, no auth, probed through the tunnel", async () => {
    expect(a.joined).toMatchObject({ transport: "tunnel", endpoint: null, hasAuth: false, status: "online", capabilities: { responses: true, chatCompletions: true }, maxConcurrency: 8 });
    expect(b.joined).toMatchObject({ capabilities: { responses: false, chatCompletions: true } });
    const listed = await fetchAll(into, `${hub.url}/rooms/${code}/participants`);
    for (const p of listed.json().participants) expect(p).toMatchObject({ transport: "tunnel", endpoint: null, hasAuth: false });
  });

  test("chat, streamed: the fixture's bytes, byte for byte", async () => {
    const res = await fetchAll(into, `${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "model-a", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }));
    expect(res.status).toBe(200);
    expect(res.text).toBe(text(fixture("chat/openai-text-usage.sse")));
  });

  test("chat, whole", async () => {
    const res = await fetchAll(into, `${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "model-a", messages: [{ role: "user", content: "hi" }] }));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(JSON.parse(text(fixture("chat/openai-text.json"))));
  });

  test("Responses, streamed and whole, passed through", async () => {
    const streamed = await fetchAll(into, `${hub.url}/rooms/${code}/v1/responses`, json({ model: "model-a", stream: true, input: "hi" }));
    expect(streamed.status).toBe(200);
    expect(streamed.text).toBe(text(fixture("responses/openai-text.sse")));
    const whole = await fetchAll(into, `${hub.url}/rooms/${code}/v1/responses`, json({ model: "model-a", input: "hi" }));
    expect(whole.status).toBe(200);
    expect(whole.json().object).toBe("response");
  });

  test("Responses from a chat-only participant, adapted, streamed and whole", async () => {
    const streamed = await fetchAll(into, `${hub.url}/rooms/${code}/v1/responses`, json({ model: "model-b", stream: true, input: "hi" }));
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain("event: response.completed");
    const whole = await fetchAll(into, `${hub.url}/rooms/${code}/v1/responses`, json({ model: "model-b", input: "hi" }));
    expect(whole.status).toBe(200);
    expect(whole.json().output[0].content[0].text).toBe("adapted hello");
    // The hub keeps this one (chat-only): a follow-up finds it.
    const follow = await fetchAll(into, `${hub.url}/rooms/${code}/v1/responses/${whole.json().id}`);
    expect(follow.status).toBe(200);
  });

  test("an upstream's refusal that echoes the key reaches the client without it", async () => {
    const res = await fetchAll(into, `${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "model-a", messages: [{ role: "user", content: "echo" }] }));
    expect(res.status).toBe(200);
    both.handle(() => Response.json({ error: { message: `Incorrect API key provided: ${CANARY}`, type: "invalid_request_error", code: "invalid_api_key" } }, { status: 400 }));
    const refused = await fetchAll(into, `${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "model-a", messages: [{ role: "user", content: "echo" }] }));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("[redacted]");
  });

  test("the key and the endpoint's address are in nothing the hub sent, logged or wrote; the hub dialled no one", async () => {
    await events.stop();
    const everything = [
      ...into.texts,
      ...hub.logs.map((l) => ({ where: "hub log", text: l })),
      ...filesUnder(dataDir).map((f) => ({ where: f.path, text: f.text })),
    ];
    expect(everything.length).toBeGreaterThan(10);
    expect(findLeaks(everything, [CANARY, `:${both.port}`, `:${chatOnly.port}`])).toEqual([]);
    // The joiner did send the key, to its own endpoint.
    expect(both.requests.length).toBeGreaterThan(5);
    expect(both.requests.every((r) => r.headers.authorization === KEY.authorization)).toBe(true);
    expect(dialled).toEqual([]);
    // And what it logged itself stays clean too.
    expect(findLeaks([...a.lines, ...b.lines].map((l) => ({ where: "joiner", text: l })), [CANARY])).toEqual([]);
  });
});

describe("a tunnelled stream", () => {
  let hub: TestHub;
  let upstream: FakeUpstream;
  let code: string;
  beforeAll(async () => {
    hub = startTestHub();
    upstream = startFakeUpstream({ models: ["m"] });
    code = await hub.createRoom();
  });
  afterAll(async () => {
    await hub.stop();
    await upstream.stop();
  });

  test("a client that hangs up aborts the upstream request through the tunnel within 1 s", async () => {
    const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"] });
    const stream = controlledStream();
    upstream.handle(() => stream.response());
    const abort = new AbortController();
    const pending = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { ...json({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }), signal: abort.signal });
    expect(await waitFor(() => upstream.inference().length > 0 && !upstream.inference().at(-1)!.aborted, 3000)).toBe(true);
    stream.send('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    const reader = (await pending).body!.getReader();
    await reader.read();
    const record = upstream.inference().at(-1)!;
    expect(record.aborted).toBe(false);
    const t0 = performance.now();
    abort.abort();
    expect(await waitFor(() => record.aborted, 1000)).toBe(true);
    console.log(`tunnel: client abort reached the upstream in ${(performance.now() - t0).toFixed(1)} ms`);
    await j.stop();
  });

  test("a socket that dies mid-stream ends the client's stream with the protocol's error event; the joiner reconnects as itself", async () => {
    const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"] });
    const stream = controlledStream();
    upstream.handle(() => stream.response());
    const before = upstream.inference().length;
    const pending = fetch(`${hub.url}/rooms/${code}/v1/responses`, json({ model: "m", stream: true, input: "x" }));
    expect(await waitFor(() => upstream.inference().length > before, 3000)).toBe(true);
    stream.send(`event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: { id: "resp_1", object: "response", status: "in_progress", output: [] } })}\n\n`);
    const reader = (await pending).body!.getReader();
    const first = await reader.read();
    expect(text(first.value!)).toContain("response.created");
    const t0 = performance.now();
    j.sockets.at(-1)!.close(4000, "the test kills it");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += text(r.value);
    expect(rest).toContain("event: error");
    expect(rest).toContain("upstream_disconnected");
    console.log(`tunnel: a dead socket ended the client's stream in ${(performance.now() - t0).toFixed(1)} ms`);
    // The joiner opens another socket with its token (no new join) and serves again.
    expect(await waitFor(() => j.sockets.length >= 2 && hub.hub.ctx.registry.find(code)!.participants.get(j.session.id)?.status === "online", 5000)).toBe(true);
    upstream.handle(() => chatCompletion("m"));
    const again = await fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "m", messages: [{ role: "user", content: "x" }] }));
    expect(again.status).toBe(200);
    expect(hub.logs.filter((l) => l.includes(`re-joined room ${code}: tunneller (${j.session.id})`))).toEqual([]);
    await j.stop();
  });

  test("a socket that drops before the first byte: the request fails over to another participant", async () => {
    // Whichever of the two gets the request first keeps it hanging; any later request is answered.
    let first = true;
    const handler = (name: string) => () => {
      if (!first) return chatCompletion("shared", `from ${name}`);
      first = false;
      return new Promise<Response>(() => {});
    };
    const ups = [startFakeUpstream({ models: ["shared"] }), startFakeUpstream({ models: ["shared"] })];
    ups[0]!.handle(handler("zero"));
    ups[1]!.handle(handler("one"));
    const joiners = [];
    for (const [i, up] of ups.entries()) joiners.push(await joinThroughTunnel(hub.url, code, { endpoint: up.url, models: ["shared"], nickname: `t${i}` }));
    const pending = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "shared", messages: [{ role: "user", content: "x" }] }));
    expect(await waitFor(() => ups.some((u) => u.inference().length === 1), 3000)).toBe(true);
    const hit = ups[0]!.inference().length === 1 ? 0 : 1;
    joiners[hit]!.sockets.at(-1)!.close(4000, "gone before the first byte");
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe(joiners[1 - hit]!.session.id);
    expect(res.headers.get("x-gambi-attempts")).toBe("2");
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`from ${hit === 0 ? "one" : "zero"}`);
    // The joiner aborted its own upstream request when its socket went.
    expect(await waitFor(() => ups[hit]!.inference()[0]!.aborted, 2000)).toBe(true);
    for (const j of joiners) await j.stop();
    for (const u of ups) await u.stop();
  });

  test("a model the endpoint does not list is refused by the probe through the tunnel, and the joiner is told why", async () => {
    const err = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["not-there"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "model_not_found", status: 400 });
    expect((err as Error).message).toContain('model "not-there" is not served');
    // Not left behind in the room.
    expect([...hub.hub.ctx.registry.find(code)!.participants.values()].some((p) => p.models.includes("not-there"))).toBe(false);
  });

  test("a joiner whose tunnel another socket takes over (4001) stops instead of taking it back", async () => {
    const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"], firstRetryMs: 20 });
    const { id, token } = j.opened[0]!;
    const other = rawTunnel(hub.url, code, tunnelHeaders(id, token));
    other.send({ type: "hello", major: TUNNEL_MAJOR, minor: TUNNEL_MINOR, gambi: "test" });
    await other.next("hello-ok");
    expect(await waitFor(() => j.sockets[0]!.readyState === WebSocket.CLOSED, 3000)).toBe(true);
    expect(await waitFor(() => j.lines.some((l) => l.includes("another tunnel took over")), 3000)).toBe(true);
    // Many times its first retry later, it has opened no other socket: the newer one keeps the participant.
    await Bun.sleep(400);
    expect(j.sockets.length).toBe(1);
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    expect(hub.hub.ctx.registry.find(code)!.participants.get(id)!.tunnel!.link.connected).toBe(true);
    other.ws.close();
    await j.stop();
  });

  test("an endpoint that refuses the joiner's key: the probe through the tunnel says the key is the joiner's to fix", async () => {
    const locked = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: "Bearer right" } });
    try {
      const err = await joinThroughTunnel(hub.url, code, { endpoint: locked.url, models: ["m"], authHeaders: { authorization: "Bearer wrong-key-123" } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "endpoint_credentials_rejected", status: 400 });
      const message = (err as Error).message;
      expect(message).toContain("the joiner adds from its own auth headers");
      expect(message).toContain("gambi join --header");
      expect(message).not.toContain("no auth headers were given");
      expect(message).not.toContain("tunnel://");
      expect(message).not.toContain("wrong-key-123");
    } finally {
      await locked.stop();
    }
  });

  test("two streams on one socket, one client stalled: the other completes; the stalled one holds about a window", async () => {
    const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"], maxConcurrency: 4 });
    const event = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "x".repeat(1000) } }] })}\n\n`;
    const eventBytes = new TextEncoder().encode(event);
    let stalledPulled = 0;
    upstream.handle((_req, body) => {
      if (body.includes("stall")) {
        // Endless, produced only as it is read.
        return new Response(new ReadableStream<Uint8Array>({ pull: (c) => (c.enqueue(eventBytes), void (stalledPulled += eventBytes.length)) }, { highWaterMark: 0 }), { headers: { "content-type": "text/event-stream" } });
      }
      const events = Array.from({ length: 2000 }, () => eventBytes);
      return sseResponse([...events, "data: [DONE]\n\n"]);
    });
    const ask = (what: string) => fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "m", stream: true, messages: [{ role: "user", content: what }] }));
    const readAll = async (res: Response) => {
      let n = 0;
      const reader = res.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
      return n;
    };
    const t0 = performance.now();
    const alone = await readAll(await ask("fast"));
    const aloneMs = performance.now() - t0;

    const stalled = await ask("stall");
    const stalledReader = stalled.body!.getReader();
    await stalledReader.read(); // one chunk, then never again
    // Once the stalled stream has filled what lies between its upstream and its client, it costs nothing.
    let last = -1;
    for (const deadline = performance.now() + 5000; stalledPulled !== last && performance.now() < deadline; await Bun.sleep(100)) last = stalledPulled;
    const t1 = performance.now();
    const beside = await readAll(await ask("fast"));
    const besideMs = performance.now() - t1;
    expect(beside).toBe(alone);
    // Not slowed by the stalled one (loosely: two shared cores make timings noisy).
    expect(besideMs).toBeLessThan(5 * aloneMs + 200);
    expect(beside).toBeGreaterThan(2_000_000);
    // What the stalled upstream produced stays bounded: a window in the tunnel plus the socket buffers on the way to the client.
    await Bun.sleep(300);
    const held = stalledPulled;
    await Bun.sleep(300);
    expect(stalledPulled).toBe(held);
    // (Loopback sockets and fetch buffers hold about 6 MiB per HTTP hop; there are two.)
    expect(held).toBeLessThan(64 * 1024 * 1024);
    // Of which the tunnel holds at most its window: the hub's side of the socket.
    const session = hub.hub.ctx.registry.find(code)!.participants.get(j.session.id)!.tunnel!.link.session!;
    expect(session.buffered).toBeLessThanOrEqual(session.window);
    console.log(`tunnel: 2 MB stream alone ${aloneMs.toFixed(0)} ms, beside a stalled stream ${besideMs.toFixed(0)} ms; the stalled upstream produced ${(held / 1024).toFixed(0)} KiB and stopped, ${(session.buffered / 1024).toFixed(0)} KiB of it in the hub's side of the tunnel`);
    await stalledReader.cancel();
    await j.stop();
  });
});

test("hub restart: the joiner reconnects, joins again, and serves", async () => {
  const quiet = () => createConsola({ level: -999 });
  const dataDir = tempDir("tunnel-restart");
  const upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle(() => chatCompletion("m", "after the restart"));
  const hub1 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir, random: prng(3), logger: quiet() } });
  const code = ((await (await fetch(`${hub1.url}/rooms`, json({ name: "r" }))).json()) as { room: { code: string } }).room.code;
  const j = await joinThroughTunnel(hub1.url, code, { endpoint: upstream.url, models: ["m"], firstRetryMs: 50 });
  await hub1.stop();
  const hub2 = startHub({ port: hub1.port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir, logger: quiet() } });
  const ask = () => fetch(`${hub2.url}/rooms/${code}/v1/chat/completions`, json({ model: "m", messages: [{ role: "user", content: "x" }] })).then((r) => r.status);
  expect(await waitFor(() => hub2.hub.ctx.registry.find(code)?.participants.get(j.session.id)?.status === "online", 10_000)).toBe(true);
  expect(await ask()).toBe(200);
  expect(j.lines.join("\n")).toContain("joining again");
  await j.stop();
  expect(hub2.hub.ctx.registry.find(code)!.participants.size).toBe(0);
  await hub2.stop();
  await upstream.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("over TLS: wss:// with --ca", async () => {
  const FIXTURES = resolve(import.meta.dir, "../fixtures/tls");
  const ca = await Bun.file(resolve(FIXTURES, "hub-cert.pem")).text();
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, tls: { cert: ca, key: await Bun.file(resolve(FIXTURES, "hub-key.pem")).text() }, deps: { logger: createConsola({ level: -999 }) } });
  const upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle(() => chatCompletion("m", "secure"));
  const room = await fetch(`${hub.url}/rooms`, { ...json({ name: "tls" }), tls: { ca } } as RequestInit);
  const code = ((await room.json()) as { room: { code: string } }).room.code;
  const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"], ca });
  expect(j.sockets[0]!.url.startsWith("wss://")).toBe(true);
  const res = await fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { ...json({ model: "m", messages: [{ role: "user", content: "x" }] }), tls: { ca } } as RequestInit);
  expect(res.status).toBe(200);
  await j.stop();
  await hub.stop();
  await upstream.stop();
});

test("a graceful hub shutdown lets a tunnelled stream finish, then closes the tunnel (1001)", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const stream = controlledStream();
  upstream.handle(() => stream.response());
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: createConsola({ level: -999 }) } });
  const code = ((await (await fetch(`${hub.url}/rooms`, json({ name: "r" }))).json()) as { room: { code: string } }).room.code;
  const j = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"], firstRetryMs: 10_000 });
  const closed = new Promise<number>((resolve) => j.sockets[0]!.addEventListener("close", (e) => resolve((e as CloseEvent).code)));
  const pending = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, json({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }));
  expect(await waitFor(() => upstream.inference().length === 1, 3000)).toBe(true);
  stream.send('data: {"choices":[{"index":0,"delta":{"content":"first"}}]}\n\n');
  const res = await pending;
  const t0 = performance.now();
  const stopping = hub.shutdown(5000);
  await Bun.sleep(100);
  stream.send('data: {"choices":[{"index":0,"delta":{"content":"last"}}]}\n\n');
  stream.send("data: [DONE]\n\n");
  stream.end();
  const body = await res.text();
  expect(body).toContain("last");
  expect(body).toContain("[DONE]");
  expect(await stopping).toEqual({ cut: 0 });
  expect(performance.now() - t0).toBeLessThan(3000);
  expect(await closed).toBe(1001);
  await j.stop();
  await upstream.stop();
});
