/**
 * What the tunnel's route does with sockets a real joiner would never open, or frames it would
 * never send (docs/tunnel.md, "Error cases"): each gets a `refuse` frame where the hub can say
 * why, a close code and a reason; the hub goes on serving everyone else, and nobody's frames
 * reach another participant's requests.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeBody, encodeFrame } from "../../src/protocol/tunnel/codec.ts";
import { MAX_FRAME_BYTES } from "../../src/protocol/tunnel/frames.ts";
import { chatCompletion, controlledStream, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { joinThroughTunnel, rawTunnel, tunnelHeaders } from "../helpers/tunnel.ts";

let hub: TestHub;
let upstream: FakeUpstream;
let code: string;

beforeAll(async () => {
  // Fast pings, so that liveness shows within a test.
  hub = startTestHub({ tunnel: { pingMs: 100, silentAfterMs: 500 } });
  upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle(() => chatCompletion("m"));
  code = await hub.createRoom();
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

/** A tunnelled participant joined over HTTP, not connected yet: its id and token. */
async function joined(id: string): Promise<{ id: string; token: string }> {
  const res = await hub.join(code, { id, nickname: id, model: "m", transport: "tunnel" });
  expect(res.status).toBe(201);
  return { id, token: hub.tokens.get(`${code}/${id}`)! };
}

const hello = { type: "hello", major: 1, minor: 0, gambi: "test" } as const;

test("a plain GET is told the route is a WebSocket (426, in the envelope)", async () => {
  const res = await fetch(`${hub.url}/rooms/${code}/tunnel`);
  expect(res.status).toBe(426);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("websocket_required");
});

test("a join that sends its endpoint or its keys with transport tunnel is refused: they stay with the joiner", async () => {
  for (const extra of [{ endpoint: "http://127.0.0.1:1" }, { authHeaders: { authorization: "Bearer sk-nope" } }]) {
    const res = await hub.join(code, { nickname: "x", model: "m", transport: "tunnel", ...extra });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.message).toContain("on its own machine");
    expect(body.error.message).not.toContain("sk-nope");
  }
});

test("sockets without a valid token, for nobody, or for a direct participant: refused with a reason and a close code", async () => {
  const p = await joined("refused-1");
  const direct = await hub.join(code, { id: "direct-1", nickname: "d", model: "m", endpoint: upstream.url });
  expect(direct.status).toBe(201);
  const cases: [Record<string, string>, string, number, string?][] = [
    [{ "x-gambi-participant": p.id }, "participant_token_required", 4401],
    [tunnelHeaders(p.id, "not-the-token"), "invalid_participant_token", 4401],
    [{ authorization: `Bearer ${p.token}` }, "invalid_request", 4400],
    [tunnelHeaders("nobody", p.token), "participant_not_found", 4404],
    [tunnelHeaders("direct-1", hub.tokens.get(`${code}/direct-1`)!), "participant_not_tunnelled", 4409],
  ];
  for (const [headers, why, close] of cases) {
    const t = rawTunnel(hub.url, code, headers);
    const refuse = await t.next("refuse");
    expect(refuse).toMatchObject({ code: why });
    const closed = await t.closed;
    expect(closed.code).toBe(close);
    expect(closed.reason.length).toBeGreaterThan(10);
    expect(closed.reason).not.toContain(p.token);
  }
  const gone = rawTunnel(hub.url, "NOROOM", tunnelHeaders(p.id, p.token));
  expect(await gone.next("refuse")).toMatchObject({ code: "room_not_found" });
  expect((await gone.closed).code).toBe(4404);
  await hub.leave(code, "direct-1");
  await hub.leave(code, p.id);
});

test("another major version is refused, both versions named", async () => {
  const p = await joined("future-1");
  const t = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  t.send({ type: "hello", major: 2, minor: 1, gambi: "9.9.9" });
  const refuse = (await t.next("refuse")) as { code: string; message: string };
  expect(refuse.code).toBe("tunnel_version_unsupported");
  expect(refuse.message).toContain("2.1");
  expect(refuse.message).toContain("1.0");
  expect((await t.closed).code).toBe(4426);
  await hub.leave(code, p.id);
});

test("malformed, text, oversized frames and frames for requests never opened: closed with a reason; the hub serves on", async () => {
  const sends: [string, (t: ReturnType<typeof rawTunnel>) => void, number, RegExp][] = [
    ["garbage", (t) => t.sendBytes(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6])), 4400, /unknown frame type|truncated|shorter/],
    ["text", (t) => t.sendBytes("hello?"), 4400, /text messages/],
    ["oversized", (t) => t.sendBytes(encodeBody(1, new Uint8Array(MAX_FRAME_BYTES + 10))), 4413, /over the limit/],
    ["a head for a request never opened", (t) => t.send({ type: "head", id: 4242, status: 200, statusText: "OK", headers: [] }), 4400, /never opened/],
    ["a frame only the hub sends", (t) => t.send({ type: "credit", id: 1, bytes: 10 }), 4400, /does not send credit/],
    ["a second hello", (t) => t.send(hello), 4400, /second hello/],
  ];
  for (const [what, send, close, reason] of sends) {
    const p = await joined(`bad-${sends.findIndex((s) => s[0] === what)}`);
    const t = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
    t.send(hello);
    await t.next("hello-ok");
    send(t);
    const closed = await t.closed;
    expect({ what, code: closed.code }).toEqual({ what, code: close });
    expect(closed.reason).toMatch(reason);
    await hub.leave(code, p.id);
  }
  // Way over the limit: Bun itself closes it (1009, message too big).
  const p = await joined("huge-1");
  const huge = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  huge.send(hello);
  await huge.next("hello-ok");
  huge.sendBytes(encodeBody(1, new Uint8Array(3 * MAX_FRAME_BYTES)));
  expect((await huge.closed).code).toBe(1009);
  await hub.leave(code, p.id);
  expect(hub.logs.filter((l) => l.startsWith("error"))).toEqual([]);
});

test("a second socket for the same participant: the newer wins, the older is closed with the reason", async () => {
  const p = await joined("twice-1");
  const older = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  older.send(hello);
  await older.next("hello-ok");
  const newer = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  newer.send(hello);
  await newer.next("hello-ok");
  const closed = await older.closed;
  expect(closed.code).toBe(4001);
  expect(closed.reason).toContain("newer tunnel");
  expect(newer.ws.readyState).toBe(WebSocket.OPEN);
  newer.ws.close();
  await hub.leave(code, p.id);
});

test("liveness: a socket with no hello, or that stops answering pings, is closed within the silence limit; its participant goes offline", async () => {
  const quiet = await joined("mute-1");
  const mute = rawTunnel(hub.url, code, tunnelHeaders(quiet.id, quiet.token));
  const noHello = await mute.closed;
  expect(noHello.code).toBe(4408);
  expect(noHello.reason).toContain("no hello");

  const p = await joined("deaf-1");
  const t = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  t.send(hello);
  await t.next("hello-ok");
  await t.next("ping");
  const t0 = performance.now();
  const closed = await t.closed;
  expect(closed.code).toBe(4408);
  expect(closed.reason).toContain("no answer to pings");
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(hub.hub.ctx.registry.find(code)!.participants.get(p.id)!.status).toBe("offline");
  await hub.leave(code, p.id);
  await hub.leave(code, quiet.id);
});

test("a socket's frames never reach another participant's requests", async () => {
  const stream = controlledStream();
  upstream.handle(() => stream.response());
  const good = await joinThroughTunnel(hub.url, code, { endpoint: upstream.url, models: ["m"] });
  const before = upstream.inference().length;
  const pending = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: good.session.id, stream: true, messages: [{ role: "user", content: "x" }] }) });
  expect(await waitFor(() => upstream.inference().length > before, 3000)).toBe(true);

  // An intruder with a participant of its own sends frames for every id the good socket could be using.
  const p = await joined("intruder-1");
  const t = rawTunnel(hub.url, code, tunnelHeaders(p.id, p.token));
  t.send(hello);
  await t.next("hello-ok");
  for (let id = 1; id <= 4; id++) t.send({ type: "head", id, status: 200, statusText: "OK", headers: [["content-type", "text/event-stream"]] });
  for (let id = 1; id <= 4; id++) t.send({ type: "body", id, bytes: new TextEncoder().encode("data: INJECTED\n\n") });
  t.send({ type: "head", id: 99, status: 200, statusText: "OK", headers: [] });
  expect((await t.closed).code).toBe(4400);

  stream.send('data: {"choices":[{"index":0,"delta":{"content":"genuine"}}]}\n\n');
  stream.send("data: [DONE]\n\n");
  stream.end();
  const body = await (await pending).text();
  expect(body).toContain("genuine");
  expect(body).not.toContain("INJECTED");
  await good.stop();
  await hub.leave(code, p.id);
});
