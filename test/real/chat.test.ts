/**
 * Chat Completions through a room whose participant is a real llama-server joined with
 * `gambi join`: the official `openai` package and the Vercel AI SDK, stream and not, with
 * `tools`. The model's words are salad: the tests check structure, usage and ids.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { checkChatStream } from "../helpers/chat-stream-check.ts";
import { readSse } from "../helpers/sse-read.ts";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

const TOOLS = [
  { type: "function" as const, function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
];

describe.skipIf(!REAL)("real llama.cpp: chat completions", () => {
  let room: RealRoom;
  let client: OpenAI;
  beforeAll(async () => {
    room = await realRoom();
    client = new OpenAI({ baseURL: room.v1, apiKey: "unused" });
  });
  afterAll(() => room?.close());

  test("openai package, not streamed: a chat.completion with usage", async () => {
    const c = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Say hello." }], max_tokens: 8 });
    expect(c.object).toBe("chat.completion");
    expect(c.choices[0]!.message.role).toBe("assistant");
    expect(typeof c.choices[0]!.message.content).toBe("string");
    expect(c.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(c.usage!.completion_tokens).toBeGreaterThan(0);
  });

  test("openai package, streamed with usage: chunks assemble, the last carries usage", async () => {
    const stream = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Count." }], max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  test("raw stream: the events pass the chat grammar check", async () => {
    const res = await fetch(`${room.v1}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "Hi" }], max_tokens: 8, stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe(room.ids[0]!);
    checkChatStream(await readSse(res), { lenient: true, usage: true });
  });

  test("a request with tools is accepted and answered, stream and not", async () => {
    const c = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Weather in Paris?" }], tools: TOOLS, max_tokens: 16 });
    expect(["stop", "length", "tool_calls"]).toContain(c.choices[0]!.finish_reason);
    const stream = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Weather in Paris?" }], tools: TOOLS, max_tokens: 16, stream: true });
    let finish: string | null | undefined;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    expect(["stop", "length", "tool_calls"]).toContain(finish!);
  });

  test("Vercel AI SDK openai.chat(): generateText and streamText", async () => {
    const openai = createOpenAI({ baseURL: room.v1, apiKey: "unused" });
    const generated = await generateText({ model: openai.chat("tiny"), prompt: "Say hello.", maxOutputTokens: 8 });
    expect(typeof generated.text).toBe("string");
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    const streamed = streamText({ model: openai.chat("tiny"), prompt: "Say hello.", maxOutputTokens: 8 });
    let parts = 0;
    for await (const _ of streamed.textStream) parts++;
    expect(parts).toBeGreaterThan(0);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });
});
