/**
 * Real clients against participants that speak only the other protocol: the official `openai`
 * package and the Vercel AI SDK must parse every adapted answer without a schema error and
 * get exactly the upstream's content — including tool-call loops, a three-turn
 * `previous_response_id` conversation on a chat-only participant, and the lifecycle routes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText } from "ai";
import { capitalTools, weatherTools } from "../helpers/weather-tool.ts";
import type { TestHub } from "../helpers/hub.ts";
import { controlledStream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { chatBotAnswer } from "../helpers/chat-bot.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;

let hub: TestHub;
let chatOnly: FakeUpstream;
let responsesOnly: FakeUpstream;
let chatRoom: string;
let responsesRoom: string;
const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;

let rooms: OneProtocolRooms;
beforeAll(async () => {
  rooms = await startOneProtocolRooms({ chatModel: "bot", responsesModel: "resp" });
  ({ hub } = rooms);
  ({ upstream: chatOnly, room: chatRoom } = rooms.chat);
  ({ upstream: responsesOnly, room: responsesRoom } = rooms.responses);
  chatOnly.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
});
afterAll(() => rooms.stop());

const openai = (code: string) => new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
const lastChatRequest = () => JSON.parse(chatOnly.inference().at(-1)!.body) as Json;

describe("openai package, Responses API on a chat-only participant", () => {
  test("responses.create and responses.stream().finalResponse()", async () => {
    const client = openai(chatRoom);
    const r = await client.responses.create({ model: "*", input: "hello" });
    expect(r.output_text).toBe("turn 1: hello");
    expect(r.status).toBe("completed");
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });

    const deltas: string[] = [];
    const stream = client.responses.stream({ model: "*", input: "stream me", instructions: "be brief" });
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("turn 1: stream me");
    expect(deltas.join("")).toBe("turn 1: stream me");
    expect(lastChatRequest().messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "stream me" },
    ]);
  });

  test("a three-turn previous_response_id conversation, stored by the hub", async () => {
    const client = openai(chatRoom);
    const one = await client.responses.create({ model: "*", input: "my name is Ana" });
    const two = await client.responses.create({ model: "*", input: "what is my name?", previous_response_id: one.id });
    const three = await client.responses.stream({ model: "*", input: "and again?", previous_response_id: two.id }).finalResponse();
    expect(three.output_text).toBe("turn 3: and again?");
    expect(lastChatRequest().messages).toEqual([
      { role: "user", content: "my name is Ana" },
      { role: "assistant", content: "turn 1: my name is Ana" },
      { role: "user", content: "what is my name?" },
      { role: "assistant", content: "turn 2: what is my name?" },
      { role: "user", content: "and again?" },
    ]);

    const got = await client.responses.retrieve(two.id);
    expect(got.output_text).toBe("turn 2: what is my name?");
    const items = await client.responses.inputItems.list(two.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user" });
    await client.responses.delete(three.id);
    expect(await failure(client.responses.retrieve(three.id))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await failure(client.responses.create({ model: "*", input: "x", previous_response_id: "resp_nope" }))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("a tool-call round trip", async () => {
    const client = openai(chatRoom);
    const tools = [{ type: "function" as const, name: "get_weather", description: "weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false }];
    const first = await client.responses.create({ model: "*", input: "weather in Paris?", tools });
    const call = first.output.find((i) => i.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"Paris"}', call_id: "call_1" });
    const second = await client.responses.create({ model: "*", previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }], tools });
    expect(second.output_text).toBe("weather: sunny");
    const sent = lastChatRequest();
    expect(sent.tools[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(sent.messages.slice(-2)).toEqual([
      // The stored text and call of turn one come back as one assistant message.
      { role: "assistant", content: "Let me check. ", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
  });

  test("POST /v1/responses/:id/cancel aborts the upstream and ends the stream", async () => {
    const client = openai(chatRoom);
    const upstream = controlledStream();
    chatOnly.handle(() => upstream.response());
    try {
      const stream = client.responses.stream({ model: "*", input: "long story" });
      let id: string | undefined;
      stream.on("response.created", (e) => (id = e.response.id));
      const done = stream.finalResponse().then(
        () => "completed",
        (err: Error) => err.message,
      );
      upstream.send(`data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "bot", choices: [{ index: 0, delta: { role: "assistant", content: "Once" }, finish_reason: null }] })}\n\n`);
      expect(await waitFor(() => id !== undefined, 5000)).toBe(true);
      const cancelled = await client.responses.cancel(id!);
      expect(cancelled.status).toBe("cancelled");
      expect(await done).toContain("cancelled");
      expect(await waitFor(() => chatOnly.inference().at(-1)!.aborted, 5000)).toBe(true);
      expect((await client.responses.retrieve(id!)).status).toBe("cancelled");
    } finally {
      chatOnly.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
    }
  });
});

describe("openai package, Chat Completions on a Responses-only participant", () => {
  test("chat.completions.create and .stream()", async () => {
    const client = openai(responsesRoom);
    responsesOnly.handle(() => new Response(fixture("responses/openai-text.json").bytes, { headers: { "content-type": "application/json" } }));
    const c = await client.chat.completions.create({ model: "*", messages: [{ role: "user", content: "hi" }] });
    expect(c.choices[0]!.message.content).toBe(JSON.parse(new TextDecoder().decode(fixture("responses/openai-text.json").bytes)).output.find((i: Json) => i.type === "message").content[0].text);

    responsesOnly.handle(() => new Response(fixture("responses/openai-function-calls-parallel.sse").bytes, { headers: { "content-type": "text/event-stream" } }));
    const stream = client.chat.completions.stream({ model: "*", messages: [{ role: "user", content: "2+3 and 2*3" }], stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!.map((t) => (t.type === "function" ? [t.function.name, t.function.arguments] : []));
    expect(calls.map((c) => c[0])).toEqual(["add", "multiply"]);
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    const sent = JSON.parse(responsesOnly.inference().at(-1)!.body) as Json;
    expect(sent).toMatchObject({ store: false, stream: true, input: [{ type: "message", role: "user" }] });
  });
});

describe("Vercel AI SDK", () => {
  const sdk = (code: string) => createOpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused" });

  test("generateText and streamText with openai.responses() on a chat-only participant", async () => {
    const provider = sdk(chatRoom);
    const g = await generateText({ model: provider.responses("*"), prompt: "hello sdk" });
    expect(g.text).toBe("turn 1: hello sdk");
    expect(g.usage.outputTokens).toBe(7);
    const s = streamText({ model: provider.responses("*"), prompt: "stream sdk" });
    expect(await s.text).toBe("turn 1: stream sdk");
  });

  test("a multi-step tool loop with openai.responses() on a chat-only participant", async () => {
    const provider = sdk(chatRoom);
    const calls: unknown[] = [];
    const result = await generateText({
      model: provider.responses("*"),
      prompt: "weather in Paris?",
      tools: weatherTools(calls),
      stopWhen: stepCountIs(3),
    });
    expect(calls).toEqual([{ city: "Paris" }]);
    expect(result.text).toBe("weather: sunny");
    expect(result.steps).toHaveLength(2);
    // Step 2 refers to step 1's text by item_reference (the SDK relies on server storage by
    // default): the hub put the stored item back, so the chat participant sees the whole exchange.
    expect(lastChatRequest().messages.slice(-2)).toEqual([
      { role: "assistant", content: "Let me check. ", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
  });

  test("generateText and streamText with openai.chat() on a Responses-only participant, tools included", async () => {
    const provider = sdk(responsesRoom);
    const text = fixture("responses/openai-text.sse");
    responsesOnly.handle(() => new Response(text.bytes, { headers: { "content-type": "text/event-stream" } }));
    const s = streamText({ model: provider.chat("*"), prompt: "oi" });
    expect(await s.text).toBe("Oi!");
    const json = fixture("responses/openai-text.json");
    responsesOnly.handle(() => new Response(json.bytes, { headers: { "content-type": "application/json" } }));
    const g = await generateText({ model: provider.chat("*"), prompt: "oi" });
    const recorded = JSON.parse(new TextDecoder().decode(json.bytes)) as Json;
    expect(g.text).toBe(recorded.output.find((i: Json) => i.type === "message").content[0].text);
    expect(g.usage.outputTokens).toBe(recorded.usage.output_tokens);

    // Step 1 the recorded get_capital call, step 2 (after the tool result) the recorded text.
    responsesOnly.handle((_req, body) => {
      const hasResult = (JSON.parse(body).input as Json[]).some((i) => i.type === "function_call_output");
      const f = fixture(hasResult ? "responses/openai-text.sse" : "responses/openai-function-call.sse");
      return new Response(f.bytes, { headers: { "content-type": "text/event-stream" } });
    });
    const seen: unknown[] = [];
    const result = streamText({
      model: provider.chat("*"),
      prompt: "capital of France?",
      tools: capitalTools(seen),
      stopWhen: stepCountIs(3),
    });
    expect(await result.text).toBe("Oi!");
    expect(seen).toEqual([{ country: "France" }]);
    expect(await result.steps).toHaveLength(2);
    const last = JSON.parse(responsesOnly.inference().at(-1)!.body) as Json;
    expect(last.input.find((i: Json) => i.type === "function_call_output")).toMatchObject({ output: "Paris" });
  });
});
