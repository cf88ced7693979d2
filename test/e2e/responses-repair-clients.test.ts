/**
 * Real clients through a room whose participant answers like llama.cpp's `llama-server`: its
 * recorded Responses stream and body (test/fixtures/responses/llamacpp-tiny-*), and streams
 * built in its shape with reasoning and tool calls (test/helpers/llama-responses.ts). Raw, the
 * official `openai` package's `responses.stream().finalResponse()` throws "rsp.output is not
 * iterable" on them; through the hub's repair the official package and the Vercel AI SDK read
 * them like OpenAI's, and the bytes pass the strict grammar the hub's own adapters pass.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, streamText, tool } from "ai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { decodeSse, readSse } from "../helpers/sse-read.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { llamaResponsesStream } from "../helpers/llama-responses.ts";
import { bodyRepairReason } from "../../src/protocol/openai/responses-repair/detect.ts";

type Json = Record<string, any>;
const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;
const recorded = fixture("responses/llamacpp-tiny-text.sse");
const recordedBody = fixture("responses/llamacpp-tiny-text.json");
/** What the recording's own response.completed says it answered. */
const completed = decodeSse(recorded.bytes)
  .map((e) => JSON.parse(e.data) as Json)
  .find((d) => d.type === "response.completed")!.response;
const TEXT: string = completed.output[0].content[0].text;
const toolTurn = {
  reasoning: ["Need the ", "weather."],
  text: ["Checking."],
  calls: [{ id: "k3j", name: "get_weather", args: ['{"city":', '"Paris"}'] }],
  usage: { input: 30, output: 12 },
};

let hub: TestHub;
let llama: FakeUpstream;
let code: string;
let client: OpenAI;

beforeAll(async () => {
  hub = startTestHub();
  llama = startFakeUpstream({ models: ["tiny"] });
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "llama", nickname: "llama", model: "tiny", endpoint: llama.url })).status).toBe(201);
  client = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await hub.stop();
  await llama.stop();
});

const serveRecorded = () => llama.handle((_req, body) => (JSON.parse(body).stream ? sseResponse(splitEvents(recorded.bytes)) : new Response(recordedBody.bytes, { headers: { "content-type": "application/json; charset=utf-8" } })));
const serveTools = () => llama.handle(() => sseResponse(llamaResponsesStream(toolTurn)));

describe("the recorded llama-server stream", () => {
  test("the raw bytes break the official client (the issue), so the test below is not vacuous", async () => {
    const raw = decodeSse(recorded.bytes);
    expect(() => checkResponsesStream(raw)).toThrow("response.created without an output array");
  });

  test("passes the strict grammar through the room", async () => {
    serveRecorded();
    const events = await readSse(await hub.post(`/rooms/${code}/v1/responses`, { model: "*", stream: true, input: "Say hello" }));
    checkResponsesStream(events, { strict: true });
    const a = assembleResponses(events, { strict: true });
    expect(a.text).toBe(TEXT);
    expect(a.response.usage).toEqual(completed.usage);
    expect(a.response.id).toBe(completed.id);
  });

  test("openai: responses.stream(...).finalResponse()", async () => {
    serveRecorded();
    const stream = client.responses.stream({ model: "*", input: "Say hello" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(TEXT);
    expect(deltas.join("")).toBe(TEXT);
    expect(final.status).toBe("completed");
    expect(final.model).toBe("tiny");
    expect(final.usage?.output_tokens).toBe(12);
  });

  test("openai: responses.create({stream: true}) yields every event in order", async () => {
    serveRecorded();
    const stream = await client.responses.create({ model: "*", input: "Say hello", stream: true });
    const types: string[] = [];
    const seqs: number[] = [];
    let text = "";
    for await (const ev of stream) {
      types.push(ev.type);
      seqs.push(ev.sequence_number);
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.created") expect(ev.response.output).toEqual([]);
    }
    expect(text).toBe(TEXT);
    expect(seqs).toEqual(types.map((_, i) => i));
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
  });

  test("openai: responses.create() without stream gets the whole Response object", async () => {
    serveRecorded();
    const res = await client.responses.create({ model: "*", input: "Say hello", temperature: 0 });
    expect(res.output_text).toBe(JSON.parse(new TextDecoder().decode(recordedBody.bytes)).output[0].content[0].text);
    expect(bodyRepairReason(res as unknown as Json)).toBeUndefined();
    expect(res).toMatchObject({ object: "response", status: "completed", error: null, incomplete_details: null, tools: [], temperature: 0, parallel_tool_calls: true });
  });

  test("AI SDK: streamText and generateText with openai.responses()", async () => {
    serveRecorded();
    const provider = createOpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused" });
    const s = streamText({ model: provider.responses("tiny"), prompt: "Say hello" });
    const kinds: string[] = [];
    for await (const part of s.fullStream) kinds.push(part.type);
    expect(kinds).not.toContain("error");
    expect(await s.text).toBe(TEXT);
    expect((await s.usage).outputTokens).toBe(12);
    expect(await s.finishReason).toBe("stop");
    const g = await generateText({ model: provider.responses("tiny"), prompt: "Say hello" });
    expect(g.text).toBe(JSON.parse(new TextDecoder().decode(recordedBody.bytes)).output[0].content[0].text);
    expect(g.usage.inputTokens).toBe(19);
  });
});

describe("a llama-server tool call (reasoning, text, a call with streamed arguments)", () => {
  test("passes the strict grammar through the room", async () => {
    serveTools();
    const events = await readSse(await hub.post(`/rooms/${code}/v1/responses`, { model: "*", stream: true, input: "weather?" }));
    checkResponsesStream(events, { strict: true });
    const a = assembleResponses(events, { strict: true });
    expect(a.toolCalls).toEqual([{ callId: "fc_k3j", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(a.reasoning).toBe("Need the weather.");
    expect(a.text).toBe("Checking.");
  });

  test("openai: finalResponse() lists the call with its arguments", async () => {
    serveTools();
    const argDeltas: string[] = [];
    const stream = client.responses.stream({ model: "*", input: "weather?" });
    stream.on("response.function_call_arguments.delta", (e) => argDeltas.push(e.delta));
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", call_id: "fc_k3j", name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(call.id).toMatch(/^fc_/);
    expect(argDeltas.join("")).toBe('{"city":"Paris"}');
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "message", "function_call"]);
  });

  test("AI SDK: streamText reports the tool call and its input", async () => {
    serveTools();
    const provider = createOpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused" });
    const s = streamText({
      model: provider.responses("tiny"),
      prompt: "weather?",
      tools: { get_weather: tool({ inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }) }) },
    });
    const kinds: string[] = [];
    for await (const part of s.fullStream) kinds.push(part.type);
    expect(kinds).not.toContain("error");
    const calls = await s.toolCalls;
    expect(calls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([["fc_k3j", "get_weather", { city: "Paris" }]]);
    expect(await s.text).toBe("Checking.");
    // (This AI SDK reads reasoning from summary parts only, not reasoning_text: not checked here.)
    expect(await s.finishReason).toBe("tool-calls");
  });
});

describe("a chat client on a Responses-only llama-server (repair in front of the adapter)", () => {
  test("openai: chat.completions.stream() gets the text and the tool call", async () => {
    const only = startFakeUpstream({ models: ["tiny"], chat: false });
    try {
      const room = await hub.createRoom();
      expect((await hub.join(room, { id: "llama-r", nickname: "llama-r", model: "tiny", endpoint: only.url })).status).toBe(201);
      only.handle(() => sseResponse(llamaResponsesStream(toolTurn)));
      const chat = new OpenAI({ baseURL: `${hub.url}/rooms/${room}/v1`, apiKey: "unused", maxRetries: 0 });
      const runner = chat.chat.completions.stream({ model: "*", messages: [{ role: "user", content: "weather?" }] });
      const done = await runner.finalChatCompletion();
      const message = done.choices[0]!.message;
      expect(message.content).toBe("Checking.");
      expect(message.tool_calls).toEqual([{ id: "fc_k3j", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
      expect(done.choices[0]!.finish_reason).toBe("tool_calls");
    } finally {
      await only.stop();
    }
  });
});
