/**
 * The Vercel AI SDK's Anthropic provider (`@ai-sdk/anthropic`) through a real hub (port 0) to
 * participants that speak only Chat Completions or only the Responses API: the provider speaks
 * Messages (`POST {baseURL}/messages`, the key as `x-api-key`), so every answer it parses here
 * went through the hub's messages-via-chat or messages-via-responses adapter. generateText and
 * streamText get exactly the upstream's text and usage, a tool loop runs its two steps, and the
 * hub's errors reach the SDK as APICallErrors with Anthropic's error type and message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAnthropic } from "@ai-sdk/anthropic";
import { APICallError, generateText, stepCountIs, streamText } from "ai";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { capitalTools, weatherTools } from "../helpers/weather-tool.ts";
import { chatBotAnswer, chatBotBehindPassword } from "../helpers/chat-bot.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;
// The provider warns on every call that it caps max_tokens for a model it does not know ("*").
(globalThis as Json).AI_SDK_LOG_WARNINGS = false;

let rooms: OneProtocolRooms;
const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;
const answerAsBot = () => rooms.chat.upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));

beforeAll(async () => {
  rooms = await startOneProtocolRooms({ chatModel: "bot", responsesModel: "resp" });
  answerAsBot();
});
afterAll(() => rooms.stop());

/** The provider for a room: its base URL ends in /v1, to which it appends /messages. */
const provider = (code: string, apiKey = "unused") => createAnthropic({ baseURL: `${rooms.hub.url}/rooms/${code}/v1`, apiKey });
const lastChatRequest = () => rooms.chat.upstream.inference().at(-1)!;

describe("a chat-only participant", () => {
  test("generateText: the bot's text and usage; the chat body it got, without the room's key", async () => {
    const g = await generateText({ model: provider(rooms.chat.room)("*"), system: "Be brief.", prompt: "hello sdk", maxOutputTokens: 64 });
    expect(g.text).toBe("turn 1: hello sdk");
    expect(g.finishReason).toBe("stop");
    expect([g.usage.inputTokens, g.usage.outputTokens]).toEqual([11, 7]);
    const sent = lastChatRequest();
    expect(sent.path).toBe("/v1/chat/completions");
    expect(JSON.parse(sent.body)).toMatchObject({ model: "bot", max_tokens: 64, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hello sdk" }] });
    expect(sent.headers["x-api-key"]).toBeUndefined();
  });

  test("streamText: the deltas add up to the text, usage at the end", async () => {
    const s = streamText({ model: provider(rooms.chat.room)("*"), prompt: "stream sdk" });
    const deltas: string[] = [];
    for await (const d of s.textStream) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("turn 1: stream sdk");
    expect(await s.finishReason).toBe("stop");
    expect((await s.usage).outputTokens).toBe(7);
    expect(JSON.parse(lastChatRequest().body).stream).toBe(true);
  });

  for (const mode of ["generateText", "streamText"] as const) {
    test(`a tool loop with ${mode}: get_weather called with the bot's arguments, then its answer to the result`, async () => {
      const calls: unknown[] = [];
      const args = { model: provider(rooms.chat.room)("*"), prompt: "weather in Paris?", tools: weatherTools(calls), stopWhen: stepCountIs(3) };
      const result = mode === "generateText" ? await generateText(args) : streamText(args);
      expect(await result.text).toBe("weather: sunny");
      expect(calls).toEqual([{ city: "Paris" }]);
      const steps = await result.steps;
      expect(steps).toHaveLength(2);
      expect(steps[0]!.finishReason).toBe("tool-calls");
      expect(steps[0]!.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([["call_1", "get_weather", { city: "Paris" }]]);
      // Step 2's tool_result reached the chat participant as a tool message after the call.
      expect(JSON.parse(lastChatRequest().body).messages.slice(-2)).toEqual([
        { role: "assistant", content: "Let me check. ", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ]);
    });
  }
});

describe("a Responses-only participant", () => {
  const recordedText = (name: string) => {
    const body = JSON.parse(new TextDecoder().decode(fixture(name).bytes)) as Json;
    return { text: body.output.find((i: Json) => i.type === "message").content[0].text as string, usage: body.usage as Json };
  };

  test("generateText: the recorded text and usage", async () => {
    const json = fixture("responses/openai-text.json");
    rooms.responses.upstream.handle(() => new Response(json.bytes, { headers: { "content-type": "application/json" } }));
    const g = await generateText({ model: provider(rooms.responses.room)("*"), prompt: "oi" });
    const recorded = recordedText("responses/openai-text.json");
    expect(g.text).toBe(recorded.text);
    expect([g.usage.inputTokens, g.usage.outputTokens]).toEqual([recorded.usage.input_tokens, recorded.usage.output_tokens]);
    const sent = rooms.responses.upstream.inference().at(-1)!;
    expect(sent.path).toBe("/v1/responses");
    expect(JSON.parse(sent.body)).toMatchObject({ model: "resp", store: false, input: [{ role: "user", content: [{ type: "input_text", text: "oi" }] }] });
  });

  test("streamText: the recorded stream's text; a tool loop over the recorded function call", async () => {
    rooms.responses.upstream.handle(() => new Response(fixture("responses/openai-text.sse").bytes, { headers: { "content-type": "text/event-stream" } }));
    expect(await streamText({ model: provider(rooms.responses.room)("*"), prompt: "oi" }).text).toBe("Oi!");

    // Step 1 the recorded get_capital call; step 2, once the result is in the input, the recorded text.
    rooms.responses.upstream.handle((_req, body) => {
      const hasResult = (JSON.parse(body).input as Json[]).some((i) => i.type === "function_call_output");
      return new Response(fixture(hasResult ? "responses/openai-text.sse" : "responses/openai-function-call.sse").bytes, { headers: { "content-type": "text/event-stream" } });
    });
    const seen: unknown[] = [];
    const result = streamText({
      model: provider(rooms.responses.room)("*"),
      prompt: "capital of France?",
      tools: capitalTools(seen),
      stopWhen: stepCountIs(3),
    });
    expect(await result.text).toBe("Oi!");
    expect(seen).toEqual([{ country: "France" }]);
    const last = JSON.parse(rooms.responses.upstream.inference().at(-1)!.body) as Json;
    expect(last.input.find((i: Json) => i.type === "function_call_output")).toMatchObject({ output: "Paris" });
  });
});

describe("errors reach the SDK in Anthropic's shape", () => {
  test("an unknown model: a 404 APICallError saying not_found_error and naming the model", async () => {
    const err = await failure(generateText({ model: provider(rooms.chat.room)("nobody"), prompt: "x", maxRetries: 0 }));
    expect(APICallError.isInstance(err)).toBe(true);
    expect(err.statusCode).toBe(404);
    expect(err.isRetryable).toBe(false);
    expect(JSON.parse(err.responseBody)).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(err.message).toContain("nobody");
  });

  test("a participant's HTTP error: its message, as invalid_request_error; a stream's error event fails streamText", async () => {
    rooms.chat.upstream.handle(() => Response.json({ error: { message: "context too long", type: "invalid_request_error", code: "context_length_exceeded" } }, { status: 400 }));
    try {
      const err = await failure(generateText({ model: provider(rooms.chat.room)("*"), prompt: "x", maxRetries: 0 }));
      expect(APICallError.isInstance(err)).toBe(true);
      expect(err.statusCode).toBe(400);
      expect(err.message).toContain("context too long");
      expect(JSON.parse(err.responseBody).error.type).toBe("invalid_request_error");

      // Mid-stream: some text, then the participant's error chunk → `event: error` → the SDK's error part.
      rooms.chat.upstream.handle(() => new Response(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "par" } }] })}\n\ndata: ${JSON.stringify({ error: { message: "Token limit reached", code: 429 } })}\n\n`, { headers: { "content-type": "text/event-stream" } }));
      const errors: unknown[] = [];
      const s = streamText({ model: provider(rooms.chat.room)("*"), prompt: "x", maxRetries: 0, onError: ({ error }) => void errors.push(error) });
      let text = "";
      for await (const part of s.fullStream) if (part.type === "text-delta") text += part.text;
      expect(text).toBe("par");
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0])).toContain("Token limit reached");
    } finally {
      answerAsBot();
    }
  });

  describe("a password-protected room", () => {
    const PASSWORD = "room-secret-ai-sdk-5678";
    let upstream: FakeUpstream;
    let code: string;
    beforeAll(async () => {
      ({ code, upstream } = await chatBotBehindPassword(rooms.hub, PASSWORD));
    });
    afterAll(() => upstream.stop());

    test("a wrong apiKey: 401 authentication_error, the password nowhere in it; the right one (sent as x-api-key) is answered", async () => {
      const err = await failure(generateText({ model: provider(code, "wrong-guess")("*"), prompt: "x", maxRetries: 0 }));
      expect(APICallError.isInstance(err)).toBe(true);
      expect(err.statusCode).toBe(401);
      expect(JSON.parse(err.responseBody).error.type).toBe("authentication_error");
      expect(JSON.stringify(err)).not.toContain(PASSWORD);
      const g = await generateText({ model: provider(code, PASSWORD)("*"), prompt: "let me in" });
      expect(g.text).toBe("turn 1: let me in");
      expect(upstream.inference().every((r) => !JSON.stringify(r).includes(PASSWORD))).toBe(true);
    });
  });
});
