/** Routing by `model`, model rewriting, runtime defaults, metrics events and /v1/models. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

let hub: TestHub;
let a: FakeUpstream;
let b: FakeUpstream;
let code: string;

beforeAll(async () => {
  hub = startTestHub();
  a = startFakeUpstream({ models: ["llama3", "phi"] });
  b = startFakeUpstream({ models: ["qwen"], responses: false });
  for (const u of [a, b]) u.handle((_req, body) => Response.json({ id: "x", object: "chat.completion", model: JSON.parse(body).model, choices: [] }));
  code = await hub.createRoom({ name: "routing", config: { temperature: 0.1, max_tokens: 100, instructions: "room says hi" } });
  expect((await hub.join(code, { id: "pa", nickname: "alice", model: "llama3", endpoint: a.url, config: { temperature: 0.5 } })).status).toBe(201);
  expect((await hub.join(code, { id: "pb", nickname: "bob", model: "qwen", endpoint: b.url })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await a.stop();
  await b.stop();
});

const chat = (model: string, extra: Record<string, unknown> = {}, room = code) =>
  hub.post(`/rooms/${room}/v1/chat/completions`, { model, messages: [{ role: "user", content: "hi" }], ...extra });
const responses = (model: string, extra: Record<string, unknown> = {}) => hub.post(`/rooms/${code}/v1/responses`, { model, input: "hi", ...extra });

describe("choosing a participant", () => {
  test("a participant id routes there and rewrites model", async () => {
    const res = await chat("pb");
    expect(res.headers.get("x-gambi-participant")).toBe("pb");
    expect(JSON.parse(b.inference().at(-1)!.body).model).toBe("qwen");
  });

  test("model:<name> routes to a participant serving it", async () => {
    expect((await chat("model:llama3")).headers.get("x-gambi-participant")).toBe("pa");
    expect((await chat("model:qwen")).headers.get("x-gambi-participant")).toBe("pb");
  });

  test("a bare name is tried as an id, then as a model", async () => {
    expect((await chat("qwen")).headers.get("x-gambi-participant")).toBe("pb");
  });

  test("* and any reach every participant over time", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await chat(i % 2 ? "*" : "any")).headers.get("x-gambi-participant")!);
    expect(seen).toEqual(new Set(["pa", "pb"]));
  });

  test("* prefers the least busy participant", async () => {
    const s = controlledStream();
    a.handle(() => s.response());
    s.send('data: {"choices":[]}\n\n');
    const busy = await chat("pa", { stream: true });
    for (let i = 0; i < 5; i++) expect((await chat("*")).headers.get("x-gambi-participant")).toBe("pb");
    s.end();
    await busy.text();
    a.handle((_req, body) => Response.json({ id: "x", object: "chat.completion", model: JSON.parse(body).model, choices: [] }));
  });

  test("unknown model or participant → 404 listing who is online", async () => {
    const res = await chat("gpt-9");
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("alice");
    expect(body.error.message).toContain("qwen");
  });

  test("an empty room → 503 saying nobody is online", async () => {
    const empty = await hub.createRoom();
    const res = await chat("*", {}, empty);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.message).toContain("no participant is online");
  });

  test("a protocol the participant lacks is translated: a Responses request to a chat-only participant", async () => {
    b.handle(() => Response.json({ id: "c1", object: "chat.completion", created: 1, model: "qwen", choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }] }));
    const res = await responses("pb");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe("pb");
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ object: "response", status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: "hello" }] }] });
    // The room's default instructions are applied in the protocol the participant speaks.
    expect(JSON.parse(b.inference().at(-1)!.body).messages).toEqual([{ role: "system", content: "room says hi" }, { role: "user", content: "hi" }]);
  });

  test("* on the Responses API prefers, among the idle and equally fast, participants that speak it", async () => {
    // A room of its own: the hub ranks a faster participant before a native one, and the
    // requests above may have measured alice's speed but not bob's. Here neither is ever
    // measured (answers without usage, not streamed), so only the protocol tells them apart.
    const fresh = await hub.createRoom({ name: "native first" });
    expect((await hub.join(fresh, { id: "pa", nickname: "alice", model: "llama3", endpoint: a.url })).status).toBe(201);
    expect((await hub.join(fresh, { id: "pb", nickname: "bob", model: "qwen", endpoint: b.url })).status).toBe(201);
    a.handle(() => Response.json({ id: "resp_1", object: "response", output: [] }));
    for (let i = 0; i < 6; i++) expect((await hub.post(`/rooms/${fresh}/v1/responses`, { model: "*", input: "hi" })).headers.get("x-gambi-participant")).toBe("pa");
  });

  test("a request without model → 400 that says what to send", async () => {
    const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { messages: [] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("model");
  });

  test("unknown room → 404", async () => {
    expect((await chat("*", {}, "QQQQQQ")).status).toBe(404);
  });
});

describe("runtime defaults: room → participant → request", () => {
  test("chat: participant beats room, request beats both; instructions become a system message", async () => {
    await chat("pa");
    let sent = JSON.parse(a.inference().at(-1)!.body);
    expect(sent).toMatchObject({ temperature: 0.5, max_tokens: 100 });
    expect(sent.messages[0]).toEqual({ role: "system", content: "room says hi" });
    await chat("pa", { temperature: 0.9, max_tokens: 5, messages: [{ role: "system", content: "mine" }, { role: "user", content: "x" }] });
    sent = JSON.parse(a.inference().at(-1)!.body);
    expect(sent).toMatchObject({ temperature: 0.9, max_tokens: 5 });
    expect(sent.messages).toEqual([{ role: "system", content: "mine" }, { role: "user", content: "x" }]);
  });

  test("responses: instructions and max_output_tokens", async () => {
    await responses("pa", { unknown_field: { kept: true } });
    const sent = JSON.parse(a.inference().at(-1)!.body);
    expect(sent).toMatchObject({ model: "llama3", instructions: "room says hi", max_output_tokens: 100, temperature: 0.5, unknown_field: { kept: true } });
    expect(sent.max_tokens).toBeUndefined();
  });
});

describe("/v1/models", () => {
  test("lists online participants without secrets", async () => {
    const res = await fetch(`${hub.url}/rooms/${code}/v1/models`);
    const body = (await res.json()) as any;
    expect(body.object).toBe("list");
    const ids = body.data.map((m: any) => m.id).sort();
    expect(ids).toEqual(["pa", "pb"]);
    const pb = body.data.find((m: any) => m.id === "pb");
    expect(pb).toMatchObject({ object: "model", owned_by: "bob", gambi: { nickname: "bob", model: "qwen", capabilities: { responses: false, chatCompletions: true } } });
  });
});

describe("llm events", () => {
  test("request and complete carry TTFT, duration and tokens from usage", async () => {
    const fixture = loadFixtures().find((f) => f.name === "chat/openai-text-usage.sse")!;
    const room = await hub.createRoom();
    const events = readEvents(`${hub.url}/rooms/${room}/events`);
    await events.next("connected");
    await hub.join(room, { id: "pm", nickname: "metrics", model: "llama3", endpoint: a.url });
    a.handle(() => sseResponse(splitEvents(fixture.bytes)));
    const res = await chat("*", { stream: true }, room);
    await res.text();
    const req = await events.next("llm.request");
    expect(req.data).toMatchObject({ participantId: "pm", model: "llama3", protocol: "chat", stream: true, requested: "*" });
    const done = await events.next("llm.complete");
    expect(done.data.requestId).toBe(req.data.requestId);
    const usage = JSON.parse(new TextDecoder().decode(fixture.bytes).match(/"usage":(\{[^{}]*(\{[^{}]*\}[^{}]*)*\})/g)!.at(-1)!.slice(8));
    expect(done.data.metrics).toMatchObject({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, totalTokens: usage.total_tokens });
    expect(done.data.metrics.ttftMs).toBeGreaterThanOrEqual(0);
    expect(done.data.metrics.durationMs).toBeGreaterThanOrEqual(done.data.metrics.ttftMs);
    events.close();
  });

  test.each([
    ["chat/openai-text-usage.sse", "chat", true],
    ["chat/hf-tgi-text-no-done.sse", "chat", false],
    ["responses/openai-text.sse", "responses", true],
  ] as const)("%s sent in one burst: usage still read", async (name, protocol, hasUsage) => {
    const fixture = loadFixtures().find((f) => f.name === name)!;
    const room = await hub.createRoom();
    const events = readEvents(`${hub.url}/rooms/${room}/events`);
    await events.next("connected");
    await hub.join(room, { id: "burst", nickname: "burst", model: "llama3", endpoint: a.url });
    a.handle(() => sseResponse([fixture.bytes]));
    const path = protocol === "chat" ? "chat/completions" : "responses";
    const res = await hub.post(`/rooms/${room}/v1/${path}`, { model: "*", stream: true, messages: [], input: "hi", ...(protocol === "chat" ? { stream_options: { include_usage: true } } : {}) });
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(fixture.bytes))).toBe(true);
    const done = await events.next("llm.complete");
    expect(done.data.metrics.ttftMs).toBeGreaterThanOrEqual(0);
    if (hasUsage) {
      expect(done.data.metrics.inputTokens).toBeGreaterThan(0);
      expect(done.data.metrics.outputTokens).toBeGreaterThan(0);
    }
    await events.close();
  });

  test("errors produce llm.error", async () => {
    const room = await hub.createRoom();
    const events = readEvents(`${hub.url}/rooms/${room}/events`);
    await events.next("connected");
    await hub.join(room, { id: "pe", nickname: "errs", model: "llama3", endpoint: a.url });
    a.handle(() => Response.json({ error: { message: "boom", type: "server_error" } }, { status: 500 }));
    expect((await chat("*", {}, room)).status).toBe(500);
    const err = await events.next("llm.error");
    expect(err.data).toMatchObject({ participantId: "pe", status: 500, stage: "upstream", error: "boom" });
    await events.close();
  });
});
