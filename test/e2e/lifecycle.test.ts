/** Responses lifecycle routes go back to the participant that created the response, with its auth. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

let hub: TestHub;
let a: FakeUpstream;
let b: FakeUpstream;
let code: string;

beforeAll(async () => {
  hub = startTestHub();
  a = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: "Bearer key-a" } });
  b = startFakeUpstream({ models: ["m"] });
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "pa", nickname: "a", model: "m", endpoint: a.url, authHeaders: { Authorization: "Bearer key-a" } })).status).toBe(201);
  expect((await hub.join(code, { id: "pb", nickname: "b", model: "m", endpoint: b.url })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await a.stop();
  await b.stop();
});

function lifecycleHandler(upstream: FakeUpstream) {
  upstream.handle((req, body, record) => {
    const url = new URL(req.url);
    if (url.pathname === "/v1/responses") return Response.json({ id: "resp_nonstream_1", object: "response", status: "completed", output: [] });
    return Response.json({ seen: { method: req.method, path: record.path, body } });
  });
}

test("a non-streamed response id routes GET, input_items, cancel and DELETE to its creator", async () => {
  lifecycleHandler(a);
  const created = await hub.post(`/rooms/${code}/v1/responses`, { model: "pa", input: "hi" });
  expect(((await created.json()) as any).id).toBe("resp_nonstream_1");

  const get = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nonstream_1`);
  expect(get.status).toBe(200);
  expect(get.headers.get("x-gambi-participant")).toBe("pa");
  expect(((await get.json()) as any).seen).toMatchObject({ method: "GET", path: "/v1/responses/resp_nonstream_1" });

  const items = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nonstream_1/input_items?limit=5&order=asc`);
  expect(((await items.json()) as any).seen.path).toBe("/v1/responses/resp_nonstream_1/input_items?limit=5&order=asc");

  const cancel = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nonstream_1/cancel`, { method: "POST" });
  expect(((await cancel.json()) as any).seen).toMatchObject({ method: "POST", path: "/v1/responses/resp_nonstream_1/cancel" });

  // The participant's own auth header went with every lifecycle call (the fake rejects without it).
  for (const r of a.requests.filter((r) => r.path.startsWith("/v1/responses/"))) expect(r.headers.authorization).toBe("Bearer key-a");

  const del = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nonstream_1`, { method: "DELETE" });
  expect(del.status).toBe(200);
  const after = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nonstream_1`);
  expect(after.status).toBe(404);
  expect(((await after.json()) as any).error.code).toBe("response_not_found");
});

test("a streamed response id (from response.created) is remembered too", async () => {
  const fixture = loadFixtures().find((f) => f.name === "responses/openai-text.sse")!;
  const id = /"id":"(resp_[^"]+)"/.exec(new TextDecoder().decode(fixture.bytes))![1]!;
  b.handle((req, _body, record) => (new URL(req.url).pathname === "/v1/responses" ? sseResponse(splitEvents(fixture.bytes)) : Response.json({ seen: record.path })));
  const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "pb", input: "hi", stream: true });
  await res.text();
  const get = await fetch(`${hub.url}/rooms/${code}/v1/responses/${id}`);
  expect(get.headers.get("x-gambi-participant")).toBe("pb");
  expect(((await get.json()) as any).seen).toBe(`/v1/responses/${id}`);
});

test("unknown id → 404; a response whose creator left → 404 saying so", async () => {
  expect((await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_never`)).status).toBe(404);
  const room = await hub.createRoom();
  const c = startFakeUpstream({ models: ["m"] });
  lifecycleHandler(c);
  await hub.join(room, { id: "pc", nickname: "c", model: "m", endpoint: c.url });
  await hub.post(`/rooms/${room}/v1/responses`, { model: "pc", input: "hi" });
  expect((await hub.leave(room, "pc")).status).toBe(200);
  const res = await fetch(`${hub.url}/rooms/${room}/v1/responses/resp_nonstream_1`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error.code).toBe("response_owner_gone");
  await c.stop();
});

test("response ids are scoped to their room", async () => {
  lifecycleHandler(a);
  await hub.post(`/rooms/${code}/v1/responses`, { model: "pa", input: "hi" });
  const other = await hub.createRoom();
  expect((await fetch(`${hub.url}/rooms/${other}/v1/responses/resp_nonstream_1`)).status).toBe(404);
});
