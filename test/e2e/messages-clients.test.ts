/**
 * Anthropic's Messages API through a real hub (port 0) to participants that speak only Chat
 * Completions or only the Responses API: Anthropic's own SDK (`@anthropic-ai/sdk`) must get
 * exactly the upstream's content from `messages.create`, `messages.stream()` +
 * `finalMessage()` and a tool round trip, `?beta=true` included; errors come in Anthropic's
 * shape with the right status (bad JSON, missing fields, a server tool, an unknown room or
 * model, a protected room's password as x-api-key or bearer); the room's events and /metrics
 * say `messages`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { readSse } from "../helpers/sse-read.ts";
import { readEvents } from "../helpers/events.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { chatBotAnswer } from "../helpers/chat-bot.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;

let rooms: OneProtocolRooms;
let url: string;
const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;
const WEATHER = [{ name: "get_weather", description: "Weather of a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } }];

beforeAll(async () => {
  rooms = await startOneProtocolRooms({ chatModel: "bot", responsesModel: "resp" });
  url = rooms.hub.url;
  rooms.chat.upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
});
afterAll(() => rooms.stop());

const anthropic = (code: string, apiKey = "unused") => new Anthropic({ baseURL: `${url}/rooms/${code}`, apiKey, maxRetries: 0 });
const post = (code: string, body: unknown, headers: Record<string, string> = {}, path = "/v1/messages") =>
  fetch(`${url}/rooms/${code}${path}`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("a chat-only participant", () => {
  test("messages.create: the text, end_turn, the participant's usage; the chat body it got", async () => {
    const msg = await anthropic(rooms.chat.room).messages.create({ model: "*", max_tokens: 100, system: "Be brief.", messages: [{ role: "user", content: "hello" }] });
    expect(msg.content).toEqual([{ type: "text", text: "turn 1: hello" } as any]);
    expect([msg.stop_reason, msg.usage.input_tokens, msg.usage.output_tokens, msg.model, msg.role]).toEqual(["end_turn", 11, 7, "bot", "assistant"]);
    const sent = JSON.parse(rooms.chat.upstream.inference().at(-1)!.body);
    expect(sent).toEqual({ model: "bot", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hello" }], max_tokens: 100 });
    // The room's key is never passed on.
    expect(rooms.chat.upstream.inference().at(-1)!.headers["x-api-key"]).toBeUndefined();
  });

  test("messages.stream() with finalMessage(), and the beta path (?beta=true) Claude Code uses", async () => {
    const client = anthropic(rooms.chat.room);
    const stream = client.messages.stream({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "stream please" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("turn 1: stream please");
    expect(final.content).toEqual([{ type: "text", text: "turn 1: stream please" } as any]);
    expect([final.stop_reason, final.usage.input_tokens, final.usage.output_tokens]).toEqual(["end_turn", 11, 7]);
    const beta = await client.beta.messages.stream({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "beta" }], betas: ["context-management-2025-06-27"] }).finalMessage();
    expect(beta.content).toEqual([{ type: "text", text: "turn 1: beta" } as any]);
    expect(rooms.chat.upstream.inference().at(-1)!.path).toBe("/v1/chat/completions");
  });

  test("a tools round trip, streamed and not: tool_use with the parsed input, then the tool_result answered", async () => {
    const client = anthropic(rooms.chat.room);
    for (const stream of [false, true]) {
      const ask = { model: "*", max_tokens: 100, tools: WEATHER, messages: [{ role: "user" as const, content: "weather in Paris?" }] };
      const first = stream ? await client.messages.stream(ask).finalMessage() : await client.messages.create(ask);
      expect(first.stop_reason).toBe("tool_use");
      expect(first.content).toEqual([{ type: "text", text: "Let me check. " }, { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } }] as any);
      const next = { ...ask, messages: [...ask.messages, { role: "assistant" as const, content: first.content }, { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "call_1", content: "22C and sunny" }] }] };
      const second = stream ? await client.messages.stream(next).finalMessage() : await client.messages.create(next);
      expect(second.content).toEqual([{ type: "text", text: "weather: 22C and sunny" } as any]);
      const sent = JSON.parse(rooms.chat.upstream.inference().at(-1)!.body);
      expect(sent.messages.slice(-2)).toEqual([
        { role: "assistant", content: "Let me check. ", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "22C and sunny" },
      ]);
    }
  });

  test("the raw stream obeys the grammar; a participant's error mid-stream is an `event: error` the SDK throws", async () => {
    const res = await post(rooms.chat.room, { model: "*", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    checkMessagesStream(await readSse(res));

    rooms.chat.upstream.handle(() => new Response(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "par" } }] })}\n\ndata: ${JSON.stringify({ error: { message: "Token limit reached", code: 429 } })}\n\n`, { headers: { "content-type": "text/event-stream" } }));
    try {
      const raw = checkMessagesStream(await readSse(await post(rooms.chat.room, { model: "*", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] })));
      expect(raw.error).toEqual({ type: "rate_limit_error", message: "Token limit reached (code: 429)" });
      const err = await failure(anthropic(rooms.chat.room).messages.stream({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).finalMessage());
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(String(err.message)).toContain("Token limit reached");
    } finally {
      rooms.chat.upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
    }
  });

  test("count_tokens: the hub's estimate, through the SDK", async () => {
    const counted = await anthropic(rooms.chat.room).messages.countTokens({ model: "*", system: "x".repeat(40), messages: [{ role: "user", content: "y".repeat(40) }] });
    expect(counted.input_tokens).toBe(20);
  });
});

describe("a Responses-only participant", () => {
  test("create and stream: the recorded text and usage", async () => {
    const json = fixture("responses/openai-text.json");
    const recorded = JSON.parse(new TextDecoder().decode(json.bytes)) as Json;
    const recordedText = recorded.output.find((i: Json) => i.type === "message").content[0].text;
    rooms.responses.upstream.handle(() => new Response(json.bytes, { headers: { "content-type": "application/json" } }));
    const msg = await anthropic(rooms.responses.room).messages.create({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "oi" }] });
    expect(msg.content.filter((b) => b.type === "text").map((b: any) => b.text).join("")).toBe(recordedText);
    expect(msg.usage.output_tokens).toBe(recorded.usage.output_tokens);
    expect(JSON.parse(rooms.responses.upstream.inference().at(-1)!.body)).toMatchObject({ model: "resp", input: [{ role: "user", content: [{ type: "input_text", text: "oi" }] }], max_output_tokens: 100, store: false });

    rooms.responses.upstream.handle(() => new Response(fixture("responses/openai-function-calls-parallel.sse").bytes, { headers: { "content-type": "text/event-stream" } }));
    const final = await anthropic(rooms.responses.room).messages.stream({ model: "*", max_tokens: 100, tools: WEATHER, messages: [{ role: "user", content: "two cities" }] }).finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content.filter((b) => b.type === "tool_use").length).toBe(2);
  });

  test("stop_sequences cannot go to a Responses participant: 400 naming it", async () => {
    const err = await failure(anthropic(rooms.responses.room).messages.create({ model: "*", max_tokens: 10, stop_sequences: ["X"], messages: [{ role: "user", content: "x" }] }));
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(err.error.error.message).toContain("stop_sequences");
    expect(err.error.error.message).toContain("Responses API");
  });
});

describe("errors in Anthropic's shape", () => {
  const shape = async (res: Response, status: number, type: string, says?: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as Json;
    expect(Object.keys(body)).toEqual(["type", "error"]);
    expect(body.type).toBe("error");
    expect(body.error.type).toBe(type);
    expect(typeof body.error.message).toBe("string");
    if (says) expect(body.error.message).toContain(says);
  };
  test("bad JSON, missing max_tokens, missing messages, a server tool, an unknown model, an unknown room", async () => {
    const code = rooms.chat.room;
    await shape(await post(code, "{nope"), 400, "invalid_request_error", "JSON");
    await shape(await post(code, { model: "*", messages: [{ role: "user", content: "x" }] }), 400, "invalid_request_error", "max_tokens");
    await shape(await post(code, { model: "*", max_tokens: 5 }), 400, "invalid_request_error", "messages");
    await shape(await post(code, { model: "*", max_tokens: 5, messages: [{ role: "user", content: "x" }], tools: [{ type: "web_search_20250305", name: "web_search" }] }), 400, "invalid_request_error", "tools[0].type");
    await shape(await post(code, { model: "nobody", max_tokens: 5, messages: [{ role: "user", content: "x" }] }), 404, "not_found_error", "nobody");
    await shape(await post("ZZZZZZ", { model: "*", max_tokens: 5, messages: [{ role: "user", content: "x" }] }), 404, "not_found_error");
    await shape(await post(code, "{nope", {}, "/v1/messages/"), 400, "invalid_request_error", "JSON");
    await shape(await post(code, { model: "*" }, {}, "/v1/messages/count_tokens"), 400, "invalid_request_error", "messages");
    // A participant's own HTTP error: its message, Anthropic's type for its status.
    rooms.chat.upstream.handle(() => Response.json({ error: { message: "context too long", type: "invalid_request_error", code: "context_length_exceeded" } }, { status: 400 }));
    try {
      await shape(await post(code, { model: "*", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }), 400, "invalid_request_error", "context too long");
    } finally {
      rooms.chat.upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
    }
  });

  describe("a password-protected room", () => {
    const PASSWORD = "room-secret-1234";
    let upstream: FakeUpstream;
    let code: string;
    beforeAll(async () => {
      upstream = startFakeUpstream({ models: ["bot"], chat: true, responses: false });
      upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
      code = await rooms.hub.createRoom({ name: "locked", password: PASSWORD });
      expect((await rooms.hub.join(code, { id: "p1", nickname: "p1", model: "bot", endpoint: upstream.url, password: PASSWORD })).status).toBe(201);
    });
    afterAll(() => upstream.stop());
    const body = { model: "*", max_tokens: 5, messages: [{ role: "user" as const, content: "x" }] };
    test("no key, a wrong x-api-key, a wrong bearer → 401 authentication_error, never the password in the answer", async () => {
      await shape(await post(code, body), 401, "authentication_error", "x-api-key");
      await shape(await post(code, body, { "x-api-key": "wrong-guess" }), 401, "authentication_error");
      await shape(await post(code, body, { authorization: "Bearer wrong-guess" }), 401, "authentication_error");
      const err = await failure(anthropic(code, "wrong-guess").messages.create(body));
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(JSON.stringify(err.error)).not.toContain(PASSWORD);
    });
    test("the password as x-api-key (the SDK's apiKey) or as a bearer → answered", async () => {
      const msg = await anthropic(code, PASSWORD).messages.create(body);
      expect(msg.content).toEqual([{ type: "text", text: "turn 1: x" } as any]);
      expect((await post(code, body, { authorization: `Bearer ${PASSWORD}` })).status).toBe(200);
      expect((await post(code, body, { "x-api-key": PASSWORD }, "/v1/messages/count_tokens")).status).toBe(200);
      expect(upstream.inference().every((r) => !JSON.stringify(r).includes(PASSWORD))).toBe(true);
    });
  });
});

describe("events and metrics", () => {
  test("llm.request and llm.complete say protocol messages, adapted; /metrics counts it under protocol=\"messages\"", async () => {
    const events = readEvents(`${url}/rooms/${rooms.chat.room}/events`);
    try {
      await new Promise((r) => setTimeout(r, 50));
      await anthropic(rooms.chat.room).messages.create({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "observed" }] });
      const request = await events.next("llm.request");
      expect(request.data).toMatchObject({ protocol: "messages", adapted: true, stream: false });
      const complete = await events.next("llm.complete");
      expect(complete.data).toMatchObject({ protocol: "messages", metrics: { inputTokens: 11, outputTokens: 7 } });
    } finally {
      await events.close();
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/gambi_requests_total\{[^}]*protocol="messages"[^}]*\} \d+/);
  });
});
