/**
 * The canary: a participant's auth header value must never leave the hub towards a client —
 * not in a response body or header, an SSE event, an error message or a log line — across a
 * whole scenario of joins, probe failures, inference, lifecycle calls and upstream errors
 * (including an upstream that echoes the key back).
 */
import { afterAll, expect, test } from "bun:test";
import { startTestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

const TOKEN = "sk-canary-7f3a9c2e5b1d4f6a8c0e";
const CANARY = `Bearer ${TOKEN}`;

const hub = startTestHub();
// A llama.cpp-like endpoint: the join probe also asks its /props (with the key) for its slots.
const upstream = startFakeUpstream({ models: ["m", "m2"], ownedBy: "llamacpp", props: { total_slots: 2 }, requireHeader: { name: "authorization", value: CANARY } });
const seen: string[] = [];
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(hub.url + path, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
  const text = await res.text();
  res.headers.forEach((v, k) => seen.push(`${k}: ${v}`));
  seen.push(text);
  return new Response(text, { status: res.status, headers: res.headers });
}
const post = (path: string, body: unknown) => call(path, { method: "POST", body: JSON.stringify(body) });

test("the canary never reaches a client or a log", async () => {
  const code = ((await (await post("/rooms", { name: "canary" })).json()) as any).room.code;
  // The room's event stream, captured raw for the whole scenario.
  const stopEvents = new AbortController();
  const events = await fetch(`${hub.url}/rooms/${code}/events`, { signal: stopEvents.signal });
  const eventBytes: string[] = [];
  const reading = (async () => {
    const reader = events.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) eventBytes.push(new TextDecoder().decode(r.value));
  })().catch(() => undefined);

  const fixture = loadFixtures().find((f) => f.name === "chat/openai-text-usage.sse")!;
  const responsesFixture = loadFixtures().find((f) => f.name === "responses/openai-text.sse")!;
  const respId = /"id":"(resp_[^"]+)"/.exec(new TextDecoder().decode(responsesFixture.bytes))![1]!;
  upstream.handle((req, body) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/v1/responses/")) return Response.json({ id: respId, object: "response" });
    const parsed = JSON.parse(body);
    const msg = parsed.input ?? parsed.messages?.at(-1)?.content;
    if (msg === "echo-http") return Response.json({ error: { message: `Incorrect API key provided: ${CANARY}` } }, { status: 401 });
    if (msg === "echo-text") return new Response(`bad key ${TOKEN}`, { status: 403 });
    if (msg === "echo-stream") return sseResponse([`data: {"choices":[{"delta":{"content":"hi"}}]}\n\n`, `data: {"error":{"message":"key ${TOKEN} revoked"}}\n\n`]);
    if (path === "/v1/responses") return sseResponse(splitEvents(responsesFixture.bytes));
    return parsed.stream ? sseResponse(splitEvents(fixture.bytes)) : Response.json({ id: "c", object: "chat.completion", choices: [], echo: "no secret here" });
  });

  // Probe failure with a wrong key, then a good join.
  expect((await post(`/rooms/${code}/join`, { nickname: "x", model: "m", endpoint: upstream.url, authHeaders: { Authorization: `${CANARY}-wrong` } })).status).toBe(400);
  const joined = await post(`/rooms/${code}/join`, { id: "pc", nickname: "canary", model: "m", endpoint: upstream.url, authHeaders: { Authorization: CANARY } });
  expect(joined.status).toBe(201);
  const participantToken = ((await joined.json()) as any).participantToken as string;
  const owned = { authorization: `Bearer ${participantToken}` };
  // Re-join (update) with the same secret, as its owner: two models now, and a declared capacity.
  const rejoin = { id: "pc", nickname: "canary", models: ["m", "m2"], maxConcurrency: 3, endpoint: upstream.url, authHeaders: { Authorization: CANARY } };
  expect((await call(`/rooms/${code}/join`, { method: "POST", headers: owned, body: JSON.stringify(rejoin) })).status).toBe(201);

  for (const path of ["/health", "/rooms", `/rooms/${code}`, `/rooms/${code}/participants`, `/rooms/${code}/v1/models`]) {
    expect((await call(path)).status).toBe(200);
  }

  const chat = (content: string, stream = false) => post(`/rooms/${code}/v1/chat/completions`, { model: "*", stream, messages: [{ role: "user", content }] });
  expect((await chat("hello", true)).status).toBe(200);
  expect((await chat("hello")).status).toBe(200);
  for (const model of ["m2", "pc/m2"]) expect((await post(`/rooms/${code}/v1/chat/completions`, { model, messages: [{ role: "user", content: "hello" }] })).status).toBe(200);
  expect((await post(`/rooms/${code}/v1/responses`, { model: "*", stream: true, input: "hello" })).status).toBe(200);
  expect((await call(`/rooms/${code}/v1/responses/${respId}`)).status).toBe(200);
  expect((await chat("echo-http")).status).toBe(401);
  expect((await chat("echo-text")).status).toBe(403);
  const streamed = await chat("echo-stream", true);
  expect(await streamed.text()).toContain("[redacted]");
  // Bad input mentioning the header.
  expect((await post(`/rooms/${code}/join`, { nickname: "y", model: "m", endpoint: upstream.url, authHeaders: { Authorization: `${CANARY}\r\n` } })).status).toBe(400);

  // Participant becomes unreachable: the 502 names it, not its key.
  await upstream.stop();
  expect((await chat("hello")).status).toBe(502);

  expect((await call(`/rooms/${code}/leave/pc`, { method: "DELETE", headers: owned })).status).toBe(200);
  // Let the leave event arrive, then hang up.
  for (let i = 0; i < 200 && !eventBytes.join("").includes("participant.left"); i++) await Bun.sleep(5);
  stopEvents.abort();
  await reading;

  const everything = [...seen, ...eventBytes, ...hub.logs].join("\n");
  expect(eventBytes.join("")).toContain("llm.complete"); // the capture did see the scenario
  expect(eventBytes.join("")).toContain("participant.left");
  expect(everything).toContain("canary"); // and the nickname, which is not secret
  // ...and the new participant fields: the probed capacity (from /props, asked with the key), both models.
  expect(everything).toContain('"maxConcurrency":2,"maxConcurrencySource":"probed"');
  expect(everything).toContain('"models":["m","m2"],"maxConcurrency":3,"maxConcurrencySource":"declared"');
  expect(everything).toContain('"id":"pc/m2"');
  expect(everything).not.toContain(TOKEN);
  // The participant token is in its join's answers and nowhere else: no event, no log line.
  expect([...eventBytes, ...hub.logs].join("\n")).not.toContain(participantToken);
  expect(seen.filter((t) => t.includes(participantToken))).toHaveLength(2);
  expect(everything).not.toContain("7f3a9c2e5b1d4f6a8c0e");
});

test("the canary stays out of translated answers and of what the hub stores", async () => {
  const adaptedHub = startTestHub();
  const chatOnly = startFakeUpstream({ models: ["m"], responses: false, requireHeader: { name: "authorization", value: CANARY } });
  const responsesOnly = startFakeUpstream({ models: ["m"], chat: false, requireHeader: { name: "authorization", value: CANARY } });
  const out: string[] = [];
  const grab = async (res: Promise<Response>) => {
    const r = await res;
    const text = await r.text();
    r.headers.forEach((v, k) => out.push(`${k}: ${v}`));
    out.push(text);
    return { status: r.status, text };
  };
  try {
    chatOnly.handle((_req, body) => {
      const parsed = JSON.parse(body);
      const said = parsed.messages.at(-1).content;
      if (said === "echo-http") return Response.json({ error: { message: `Incorrect API key provided: ${CANARY}` } }, { status: 401 });
      if (said === "echo-json") return Response.json({ id: "c", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: `your key is ${TOKEN}` }, finish_reason: "stop" }] });
      return sseResponse([`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n`, `data: {"error":{"message":"key ${TOKEN} revoked"}}\n\n`, "data: [DONE]\n\n"]);
    });
    responsesOnly.handle(() =>
      sseResponse([
        `event: response.created\ndata: {"type":"response.created","response":{"id":"resp_x","status":"in_progress","output":[]}}\n\n`,
        `event: error\ndata: {"type":"error","code":"invalid_api_key","message":"key ${TOKEN} revoked"}\n\n`,
      ]),
    );
    const code = await adaptedHub.createRoom();
    const other = await adaptedHub.createRoom();
    expect((await adaptedHub.join(code, { id: "c", nickname: "c", model: "m", endpoint: chatOnly.url, authHeaders: { Authorization: CANARY } })).status).toBe(201);
    expect((await adaptedHub.join(other, { id: "r", nickname: "r", model: "m", endpoint: responsesOnly.url, authHeaders: { Authorization: CANARY } })).status).toBe(201);

    const responses = (input: string, stream: boolean) => grab(adaptedHub.post(`/rooms/${code}/v1/responses`, { model: "*", input, stream }));
    const streamed = await responses("echo-stream", true);
    expect(streamed.text).toContain("response.failed");
    const id = /"id":"(resp_[^"]+)"/.exec(streamed.text)![1]!;
    expect((await grab(fetch(`${adaptedHub.url}/rooms/${code}/v1/responses/${id}`))).text).toContain('"failed"');
    expect((await responses("echo-http", false)).status).toBe(401);
    const json = await responses("echo-json", false);
    const jsonId = JSON.parse(json.text).id;
    await grab(fetch(`${adaptedHub.url}/rooms/${code}/v1/responses/${jsonId}`));
    await grab(fetch(`${adaptedHub.url}/rooms/${code}/v1/responses/${jsonId}/input_items`));
    const chat = await grab(adaptedHub.post(`/rooms/${other}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(chat.text).toContain("revoked");
  } finally {
    await adaptedHub.stop();
    await chatOnly.stop();
    await responsesOnly.stop();
  }
  const everything = [...out, ...adaptedHub.logs].join("\n");
  expect(everything).toContain("revoked");
  expect(everything).not.toContain(TOKEN);
});
