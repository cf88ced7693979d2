/**
 * Chat Completions and Responses clients (the `openai` package) of a participant that speaks
 * only Anthropic's Messages API, through a real hub on port 0: what the participant is sent
 * (tools, a tool round trip, system prompts, images, reasoning effort), the hub-kept
 * conversation of a Responses client (`previous_response_id`, and items a client sends back
 * itself) carrying Anthropic's signed thinking back as the same blocks, errors mid-stream in
 * each client's protocol, fields the Messages API cannot honour refused with a 400 naming them,
 * and the room's events and ledger.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { TestHub } from "../helpers/hub.ts";
import { sseResponse, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startMessagesRoom, type MessagesRoom } from "../helpers/one-protocol-rooms.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { readSse } from "../helpers/sse-read.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { readEvents } from "../helpers/events.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;

let rooms: MessagesRoom;
let hub: TestHub;
let upstream: FakeUpstream;
let room: string;
let openai: OpenAI;
const fixture = (name: string) => loadFixtures(["messages"]).find((f) => f.name === name)!;
const recorded = (name: string) => JSON.parse(new TextDecoder().decode(fixture(name).bytes)) as Json;
const json = (name: string) => () => new Response(fixture(name).bytes, { headers: { "content-type": "application/json" } });
const sse = (name: string) => () => new Response(fixture(name).bytes, { headers: { "content-type": "text/event-stream" } });
const sent = (n = -1) => JSON.parse(upstream.inference().at(n)!.body) as Json;
const WEATHER: OpenAI.Chat.ChatCompletionTool[] = [{ type: "function", function: { name: "weather", description: "Weather of a place", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } } }];

beforeAll(async () => {
  rooms = await startMessagesRoom();
  ({ hub, upstream, room } = rooms);
  openai = new OpenAI({ baseURL: `${hub.url}/rooms/${room}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => rooms.stop());

describe("a chat client", () => {
  test("a tool round trip: tool_use → tool_calls; the result goes back as tool_result, the call as tool_use", async () => {
    upstream.handle(json("messages/anthropic-tool-use-parallel.json"));
    const first = await openai.chat.completions.create({ model: "*", messages: [{ role: "system", content: "Use tools." }, { role: "user", content: "add and multiply 2 and 3" }], tools: WEATHER, tool_choice: "auto", parallel_tool_calls: false });
    expect(sent()).toMatchObject({ system: "Use tools.", tools: [{ name: "weather", description: "Weather of a place", input_schema: (WEATHER[0] as Json).function.parameters }], tool_choice: { type: "auto", disable_parallel_tool_use: true } });
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(msg.tool_calls!.map((c) => (c.type === "function" ? [c.id, c.function.name, c.function.arguments] : c))).toEqual([
      ["toolu_01StBeRxDEwsqcc3arbDgpS9", "add", '{"a":2,"b":3}'],
      ["toolu_01AC6WQhj2iRkdYHgTAGMpVQ", "multiply", '{"a":2,"b":3}'],
    ]);
    upstream.handle(json("messages/anthropic-text.json"));
    await openai.chat.completions.create({
      model: "*",
      messages: [{ role: "user", content: "add and multiply 2 and 3" }, msg, { role: "tool", tool_call_id: "toolu_01StBeRxDEwsqcc3arbDgpS9", content: "5" }, { role: "tool", tool_call_id: "toolu_01AC6WQhj2iRkdYHgTAGMpVQ", content: "6" }, { role: "user", content: "and now?" }],
      tools: WEATHER,
    });
    expect(sent().messages).toEqual([
      { role: "user", content: "add and multiply 2 and 3" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "I'll add and multiply the numbers 2 and 3 for you." },
          { type: "tool_use", id: "toolu_01StBeRxDEwsqcc3arbDgpS9", name: "add", input: { a: 2, b: 3 } },
          { type: "tool_use", id: "toolu_01AC6WQhj2iRkdYHgTAGMpVQ", name: "multiply", input: { a: 2, b: 3 } },
        ],
      },
      // Parallel results in the one user turn after the calls, first; the user's next words after them.
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01StBeRxDEwsqcc3arbDgpS9", content: "5" },
          { type: "tool_result", tool_use_id: "toolu_01AC6WQhj2iRkdYHgTAGMpVQ", content: "6" },
          { type: "text", text: "and now?" },
        ],
      },
    ]);
  });

  test("reasoning_effort with tools: the signed thinking block comes back in reasoning_details, and the message sent back as it came returns it to the participant, first in the turn", async () => {
    upstream.handle(json("messages/anthropic-thinking-tool-use.json"));
    const first = await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "weather in Florence?" }], tools: WEATHER, reasoning_effort: "low" });
    const [thinking, toolUse] = recorded("messages/anthropic-thinking-tool-use.json").content;
    const msg = first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessage & { reasoning_details?: Json[]; reasoning_content?: string };
    expect(msg.reasoning_content).toBe(thinking.thinking);
    expect(msg.reasoning_details).toEqual([{ type: "reasoning.text", text: thinking.thinking, signature: thinking.signature, format: "anthropic-claude-v1" }]);
    upstream.handle(json("messages/anthropic-text.json"));
    // The tool loop of most apps: the assistant message appended as the SDK returned it.
    await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "weather in Florence?" }, msg, { role: "tool", tool_call_id: toolUse.id, content: "22C" }], tools: WEATHER, reasoning_effort: "low" });
    expect(sent().messages).toEqual([
      { role: "user", content: "weather in Florence?" },
      { role: "assistant", content: [{ type: "thinking", thinking: thinking.thinking, signature: thinking.signature }, { type: "tool_use", id: toolUse.id, name: "weather", input: toolUse.input }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "22C" }] },
    ]);
  });

  test("reasoning_effort with tools, streamed: the answer carries no signature, so the loop's next request goes without thinking, which Anthropic accepts", async () => {
    // Anthropic's rule (its documented 400): with thinking on, the final assistant message of a
    // tool loop must start with its signed thinking block.
    upstream.handle((_req, body) => {
      const req = JSON.parse(body) as Json;
      const last = (req.messages as Json[]).findLast((m) => m.role === "assistant");
      const blocks = Array.isArray(last?.content) ? (last.content as Json[]) : [];
      if (req.thinking?.type === "enabled" && blocks.some((b) => b.type === "tool_use") && !["thinking", "redacted_thinking"].includes(blocks[0]?.type)) {
        return Response.json({ type: "error", error: { type: "invalid_request_error", message: "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block." } }, { status: 400 });
      }
      return new Response(fixture(last ? "messages/anthropic-text-usage.sse" : "messages/anthropic-thinking-tool-use.sse").bytes, { headers: { "content-type": "text/event-stream" } });
    });
    const ask = { model: "*", tools: WEATHER, reasoning_effort: "low" as const };
    const first = await openai.chat.completions.stream({ ...ask, messages: [{ role: "user", content: "weather in Florence?" }] }).finalChatCompletion();
    expect(sent().thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    const msg = first.choices[0]!.message;
    expect(msg.tool_calls).toHaveLength(1);
    const call = msg.tool_calls![0]!;
    const second = await openai.chat.completions.stream({ ...ask, messages: [{ role: "user", content: "weather in Florence?" }, msg, { role: "tool", tool_call_id: call.id, content: "22C" }] }).finalChatCompletion();
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(sent().thinking).toBeUndefined();
    expect(sent().messages[1].content.map((b: Json) => b.type)).toEqual(["tool_use"]);
  });

  test("images (base64 and URL), stop, sampling, max_completion_tokens, reasoning_effort, the user's id", async () => {
    upstream.handle(json("messages/anthropic-text.json"));
    await openai.chat.completions.create({
      model: "*",
      messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } }, { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } }] }],
      stop: ["END"],
      temperature: 0.3,
      top_p: 0.9,
      max_completion_tokens: 5000,
      reasoning_effort: "medium",
      safety_identifier: "user-42",
      seed: 7,
    });
    expect(sent()).toEqual({
      model: "claude",
      messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }, { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } }] }],
      max_tokens: 5000,
      stop_sequences: ["END"],
      temperature: 0.3,
      top_p: 0.9,
      thinking: { type: "enabled", budget_tokens: 4999 },
      metadata: { user_id: "user-42" },
    });
  });

  test("an error event mid-stream ends the chat stream with the error chunk; the SDK throws it", async () => {
    const head = splitEvents(fixture("messages/anthropic-text-usage.sse").bytes).slice(0, 5);
    upstream.handle(() => sseResponse([...head, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n']));
    const events = await readSse(await hub.post(`/rooms/${room}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "x" }], stream: true }));
    checkChatStream(events);
    const got = assembleChat(events);
    expect(got.text).toBe("Olá! (That");
    expect(got.error).toEqual({ message: "Overloaded", type: "overloaded_error", code: "overloaded_error" });
    const err = await failure((async () => {
      for await (const _ of await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "x" }], stream: true })) void _;
    })());
    expect(String(err.message)).toContain("Overloaded");
  });

  test("fields the Messages API cannot honour: a 400 naming the field and the Messages API; nothing reaches the participant", async () => {
    const before = upstream.inference().length;
    const base = { model: "*", messages: [{ role: "user", content: "x" }] };
    for (const [extra, param] of [
      [{ n: 2 }, "n"],
      [{ logprobs: true }, "logprobs"],
      [{ frequency_penalty: 0.5 }, "frequency_penalty"],
      [{ response_format: { type: "json_object" } }, "response_format.type"],
      [{ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }] }, "messages[0].content[0]"],
      [{ tools: [{ type: "custom", custom: { name: "x" } }] }, "tools[0]"],
    ] as const) {
      const res = await hub.post(`/rooms/${room}/v1/chat/completions`, { ...base, ...extra });
      const body = (await res.json()) as Json;
      expect({ param, status: res.status, code: body.error.code, got: body.error.param }).toEqual({ param, status: 400, code: "unsupported_parameter", got: param });
      expect(body.error.message).toContain("Messages API");
    }
    const bad = await hub.post(`/rooms/${room}/v1/chat/completions`, { ...base, messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }] }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.param).toBe("messages[0].tool_calls[0].function.arguments");
    expect(upstream.inference().length).toBe(before);
  });

  test("response_format json_schema → output_config.format", async () => {
    upstream.handle(json("messages/anthropic-text.json"));
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false };
    await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "out", schema, strict: true } } });
    expect(sent().output_config).toEqual({ format: { type: "json_schema", schema } });
  });
});

describe("a Responses client: the hub keeps its conversation, signed thinking included", () => {
  test("previous_response_id: the thinking block goes back with its signature, before the tool_use, then the tool_result (not streamed)", async () => {
    upstream.handle(json("messages/anthropic-thinking-tool-use.json"));
    const first = await openai.responses.create({ model: "*", input: "weather in Florence?", tools: [{ type: "function", name: "weather", parameters: (WEATHER[0] as Json).function.parameters, strict: false }], reasoning: { effort: "low" } });
    const source = recorded("messages/anthropic-thinking-tool-use.json");
    const [thinking, toolUse] = source.content;
    const reasoning = first.output.find((i) => i.type === "reasoning")!;
    expect(reasoning.encrypted_content).toBe(`anthropic.thinking:${thinking.signature}`);
    const call = first.output.find((i) => i.type === "function_call")!;
    expect(call).toMatchObject({ call_id: toolUse.id, name: "weather" });
    expect(sent().thinking).toEqual({ type: "enabled", budget_tokens: 2048 });

    upstream.handle(json("messages/anthropic-text.json"));
    const second = await openai.responses.create({ model: "*", previous_response_id: first.id, input: [{ type: "function_call_output", call_id: toolUse.id, output: "22C" }] });
    expect(second.previous_response_id).toBe(first.id);
    expect(sent().messages).toEqual([
      { role: "user", content: "weather in Florence?" },
      { role: "assistant", content: [{ type: "thinking", thinking: thinking.thinking, signature: thinking.signature }, { type: "tool_use", id: toolUse.id, name: "weather", input: toolUse.input }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "22C" }] },
    ]);
    // The hub's stored copy answers GET, with the signature.
    const stored = await openai.responses.retrieve(first.id);
    expect(stored.output.find((i) => i.type === "reasoning")!.encrypted_content).toBe(`anthropic.thinking:${thinking.signature}`);
  });

  test("streamed: the same, and the stream is strict Responses grammar", async () => {
    upstream.handle(sse("messages/anthropic-thinking-tool-use.sse"));
    const events = await readSse(await hub.post(`/rooms/${room}/v1/responses`, { model: "*", input: "weather?", stream: true }));
    checkResponsesStream(events, { strict: true });
    const got = assembleResponses(events, { strict: true });
    const reasoning = got.output.find((i) => i.type === "reasoning")!;
    expect(reasoning.encrypted_content).toStartWith("anthropic.thinking:Et");
    const id = got.response.id;
    upstream.handle(sse("messages/anthropic-text-usage.sse"));
    await openai.responses.stream({ model: "*", previous_response_id: id, input: [{ type: "function_call_output", call_id: got.toolCalls[0]!.callId, output: "sunny" }] }).finalResponse();
    const assistant = sent().messages[1];
    expect(assistant.content.map((b: Json) => b.type)).toEqual(["thinking", "tool_use"]);
    expect(assistant.content[0]).toEqual({ type: "thinking", thinking: reasoning.content[0].text, signature: reasoning.encrypted_content.slice("anthropic.thinking:".length) });
  });

  test("items the client sends back itself (store: false), redacted thinking too; another model's encrypted reasoning is dropped", async () => {
    upstream.handle(sse("messages/anthropic-redacted-thinking.sse"));
    const first = await openai.responses.stream({ model: "*", input: "magic", store: false }).finalResponse();
    const redacted = first.output.filter((i) => i.type === "reasoning");
    expect(redacted.length).toBe(2);
    upstream.handle(json("messages/anthropic-text.json"));
    const foreign = { type: "reasoning" as const, id: "rs_other", summary: [], encrypted_content: "gAAAAB-openai-blob" };
    await openai.responses.create({ model: "*", store: false, input: [{ role: "user", content: "magic" }, foreign, ...first.output, { role: "user", content: "again" }] as never });
    const data = redacted.map((i) => i.encrypted_content!.slice("anthropic.redacted_thinking:".length));
    expect(sent().messages).toEqual([
      { role: "user", content: "magic" },
      { role: "assistant", content: [{ type: "redacted_thinking", data: data[0] }, { type: "redacted_thinking", data: data[1] }, { type: "text", text: first.output_text }] },
      { role: "user", content: "again" },
    ]);
  });

  test("an error event mid-stream: error then response.failed with the output so far", async () => {
    const head = splitEvents(fixture("messages/anthropic-text-usage.sse").bytes).slice(0, 5);
    upstream.handle(() => sseResponse([...head, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n']));
    const events = await readSse(await hub.post(`/rooms/${room}/v1/responses`, { model: "*", input: "x", stream: true }));
    checkResponsesStream(events, { strict: true });
    const got = assembleResponses(events, { strict: true });
    expect([got.status, got.text, got.error]).toEqual(["failed", "Olá! (That", { code: "overloaded_error", message: "Overloaded" }]);
  });

  test("Responses fields the Messages API cannot honour: 400 naming them as the client did", async () => {
    for (const [extra, param] of [
      [{ top_logprobs: 3 }, "top_logprobs"],
      [{ include: ["message.output_text.logprobs"] }, "include"],
      [{ text: { format: { type: "json_object" } } }, "text.format.type"],
      [{ background: true }, "background"],
      [{ tools: [{ type: "web_search" }] }, "tools[0].type"],
    ] as const) {
      const res = await hub.post(`/rooms/${room}/v1/responses`, { model: "*", input: "x", ...extra });
      const body = (await res.json()) as Json;
      expect({ param, status: res.status, got: body.error.param }).toEqual({ param, status: 400, got: param });
      expect(body.error.message).toContain("Messages API");
    }
  });
});

describe("events and ledger", () => {
  test("an adapted request says its client's protocol, adapted, and the participant's usage", async () => {
    const events = readEvents(`${hub.url}/rooms/${room}/events`);
    await events.next("connected");
    upstream.handle(json("messages/anthropic-cache-read-and-creation.json"));
    await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "x" }] });
    const done = await events.next("llm.complete");
    events.close();
    const u = recorded("messages/anthropic-cache-read-and-creation.json").usage;
    const prompt = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
    expect(done.data).toMatchObject({ protocol: "chat", adapted: true, metrics: { inputTokens: prompt, outputTokens: u.output_tokens } });
  });
});
