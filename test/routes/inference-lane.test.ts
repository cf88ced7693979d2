/**
 * The two inference routes are served from Bun routes of their own (src/hub/inference/lane.ts)
 * with an Elysia fallback: the exact path, a trailing slash and in-process `app.handle()` all
 * reach the participant, and bad bodies get the same 400s Elysia's schema validation gave.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createConsola } from "consola";
import { createHub } from "../../src/hub/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

let hub: TestHub;
let upstream: FakeUpstream;
let code: string;
const answer = { id: "c1", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "lane ok" }, finish_reason: "stop" }] };

beforeAll(async () => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle(() => Response.json(answer));
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "p", nickname: "p", model: "m", endpoint: upstream.url })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const chat = { model: "*", messages: [{ role: "user", content: "hi" }] };

test("the exact path and a trailing slash both reach the participant", async () => {
  for (const path of [`/rooms/${code}/v1/chat/completions`, `/rooms/${code}/v1/chat/completions/`, `/rooms/${code.toLowerCase()}/v1/chat/completions`]) {
    const res = await hub.post(path, chat);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe("p");
    expect(((await res.json()) as any).choices[0].message.content).toBe("lane ok");
  }
});

test("in process, app.handle() reaches the same handler through Elysia", async () => {
  const inProcess = createHub({ logger: createConsola({ level: -999 }) });
  const room = inProcess.ctx.registry.create("r", null, {});
  const post = (path: string, body: unknown) =>
    inProcess.app.handle(new Request(`http://hub.test${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
  expect((await post(`/rooms/${room.code}/join`, { id: "p", nickname: "p", model: "m", endpoint: upstream.url })).status).toBe(201);
  const res = await post(`/rooms/${room.code}/v1/chat/completions`, chat);
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).choices[0].message.content).toBe("lane ok");
  const bad = await post(`/rooms/${room.code}/v1/chat/completions`, { model: "*" });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as any).error).toMatchObject({ code: "invalid_request", param: "messages", message: `invalid body: "messages": Property 'messages' is missing` });
  inProcess.close();
});

test.each([
  ["chat/completions", { messages: [] }, "model", `invalid body: "model": Property 'model' is missing`],
  ["chat/completions", { model: "*", messages: "hi" }, "messages", `invalid body: "messages": Expected array`],
  ["chat/completions", { model: 5, messages: [] }, "model", `invalid body: "model": Expected property 'model' to be string but found: 5`],
  ["responses", { model: "*", stream: "yes" }, "stream", `invalid body: "stream": Expected boolean`],
  ["responses", { model: "" }, "model", `invalid body: "model": Expected string length greater or equal to 1`],
  ["responses", { model: "x".repeat(322) }, "model", `invalid body: "model": Expected string length less or equal to 321`],
  ["responses", [1], null, "invalid body: Expected object"],
  ["responses", null, null, "invalid body: Expected object"],
] as const)("POST /v1/%s with %j → 400 saying what is wrong", async (route, body, param, message) => {
  const res = await hub.post(`/rooms/${code}/v1/${route}`, body);
  expect(res.status).toBe(400);
  expect(((await res.json()) as any).error).toEqual({ message, type: "invalid_request_error", code: "invalid_request", param });
});

test("no body, a non-JSON content type, or JSON that does not parse", async () => {
  const send = (body: string | undefined, contentType: string) => fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": contentType }, body });
  expect(((await (await send(undefined, "application/json")).json()) as any).error.message).toBe("invalid body: Expected object");
  expect(((await (await send(JSON.stringify(chat), "text/plain")).json()) as any).error.message).toBe("invalid body: Expected object");
  const broken = await send("{model", "application/json");
  expect(broken.status).toBe(400);
  expect(((await broken.json()) as any).error.code).toBe("invalid_json");
});
