/**
 * Anthropic's Messages API through a room whose participant is a real llama-server joined with
 * `gambi join`: the probe finds its `/v1/messages`, and Anthropic's SDK (`@anthropic-ai/sdk`)
 * gets llama-server's own Messages answer, passed through, stream and not. Then the same server
 * taken as speaking Messages alone (its probed capabilities narrowed in the hub, as a server
 * with no OpenAI routes would be probed): the `openai` package's chat and Responses clients
 * reach its `/v1/messages` through chat-via-messages and responses-via-messages, and a
 * Responses conversation continues with `previous_response_id`. And taken as speaking the
 * Responses API alone: Anthropic's SDK reaches its `/v1/responses` through messages-via-responses
 * (its answers through the repairing pass), a tool loop included, and a screenshot inside a tool
 * result gets as far as llama-server's image check. The model's words are salad: the tests check
 * structure, usage and what went where.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { checkChatStream } from "../helpers/chat-stream-check.ts";
import { checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { readSse } from "../helpers/sse-read.ts";
import { readEvents } from "../helpers/events.ts";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

const TOOLS = [{ name: "get_weather", description: "Weather in a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } }];

describe.skipIf(!REAL)("real llama.cpp: a Messages participant", () => {
  let room: RealRoom;
  let anthropic: Anthropic;
  beforeAll(async () => {
    room = await realRoom([["--temp", "0", "--seed", "42"]]);
    anthropic = new Anthropic({ baseURL: `${room.hub.url}/rooms/${room.code}`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => room?.close());

  const participant = () => room.hub.hub.ctx.registry.find(room.code)!.participants.get(room.ids[0]!)!;

  test("the probe finds /v1/messages beside the OpenAI routes", () => {
    expect(participant().capabilities).toMatchObject({ chatCompletions: true, responses: true, messages: true });
  });

  test("messages.create: llama-server's own answer (passed through, not adapted), with its usage", async () => {
    const events = readEvents(`${room.hub.url}/rooms/${room.code}/events`);
    await events.next("connected");
    const msg = await anthropic.messages.create({ model: "tiny", max_tokens: 8, system: "Be brief.", messages: [{ role: "user", content: "Say hello." }] });
    expect(msg.type).toBe("message");
    expect(msg.content[0]!.type).toBe("text");
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(msg.stop_reason).toBe("max_tokens");
    const done = await events.next("llm.complete");
    events.close();
    expect(done.data).toMatchObject({ protocol: "messages", adapted: false, participantId: room.ids[0] });
    // The same request straight to llama-server says the same words (temperature 0).
    const direct = (await (await fetch(`${room.llamas[0]!.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", max_tokens: 8, system: "Be brief.", messages: [{ role: "user", content: "Say hello." }] }) })).json()) as { content: unknown };
    expect(msg.content).toEqual(direct.content as never);
  });

  test("messages.stream().finalMessage() and the raw stream: Anthropic's grammar, text, usage; tools accepted", async () => {
    const final = await anthropic.messages.stream({ model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "Count to three." }] }).finalMessage();
    expect(final.content.length).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const res = await fetch(`${room.hub.url}/rooms/${room.code}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "*", max_tokens: 8, stream: true, tools: TOOLS, messages: [{ role: "user", content: "Weather in Paris?" }] }),
    });
    expect(res.status).toBe(200);
    const m = checkMessagesStream(await readSse(res), { strict: false });
    expect(m.stopReason).toBeDefined();
    expect(m.usage!.output_tokens).toBeGreaterThan(0);
  });

  test("its error (a prompt over the context) comes back in Anthropic's shape, status kept", async () => {
    const err = await anthropic.messages.create({ model: "tiny", max_tokens: 8, messages: [{ role: "user", content: " the".repeat(20_000) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  describe("taken as speaking Messages alone", () => {
    let openai: OpenAI;
    beforeAll(() => {
      Object.assign(participant().capabilities, { chatCompletions: false, responses: false, messages: true });
      openai = new OpenAI({ baseURL: room.v1, apiKey: "unused", maxRetries: 0 });
    });

    test("a chat client, stream and not, with tools: llama-server's /v1/messages takes what chat-via-messages sends", async () => {
      const c = await openai.chat.completions.create({ model: "tiny", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello." }], max_tokens: 8, tools: [{ type: "function", function: { name: "get_weather", parameters: TOOLS[0]!.input_schema } }] });
      expect(c.object).toBe("chat.completion");
      expect(c.choices[0]!.finish_reason).toBe("length");
      expect(c.usage!.completion_tokens).toBeGreaterThan(0);
      const res = await fetch(`${room.v1}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "Hi" }], max_tokens: 8, stream: true, stream_options: { include_usage: true } }),
      });
      checkChatStream(await readSse(res), { usage: true });
    });

    test("a Responses client, stream and not, and a follow-up with previous_response_id (the hub keeps the conversation)", async () => {
      const first = await openai.responses.create({ model: "tiny", input: "Say hello.", max_output_tokens: 8 });
      expect(first.status).toBe("incomplete");
      expect(first.output_text.length).toBeGreaterThan(0);
      const next = await openai.responses.create({ model: "tiny", previous_response_id: first.id, input: "Again.", max_output_tokens: 8 });
      expect(next.previous_response_id).toBe(first.id);
      const res = await fetch(`${room.v1}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "*", input: "Hi", max_output_tokens: 8, stream: true }) });
      checkResponsesStream(await readSse(res), { strict: true });
    });
  });

  describe("taken as speaking the Responses API alone", () => {
    beforeAll(() => {
      Object.assign(participant().capabilities, { chatCompletions: false, responses: true, messages: false });
    });
    const ask = (body: Record<string, unknown>) =>
      fetch(`${room.hub.url}/rooms/${room.code}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });

    test("messages.create and a strict stream: llama-server's /v1/responses takes what messages-via-responses sends", async () => {
      const events = readEvents(`${room.hub.url}/rooms/${room.code}/events`);
      await events.next("connected");
      const msg = await anthropic.messages.create({ model: "tiny", max_tokens: 8, system: "Be brief.", messages: [{ role: "user", content: "Say hello." }] });
      expect(msg.content.map((b) => b.type)).toEqual(["text"]);
      expect(msg.usage.output_tokens).toBeGreaterThan(0);
      const done = await events.next("llm.complete");
      events.close();
      expect(done.data).toMatchObject({ protocol: "messages", adapted: true, participantId: room.ids[0] });
      const m = checkMessagesStream(await readSse(await ask({ model: "*", max_tokens: 8, stream: true, tools: TOOLS, messages: [{ role: "user", content: "Weather in Paris?" }] })));
      expect(m.error).toBeUndefined();
      expect(m.usage!.output_tokens).toBeGreaterThan(0);
    });

    test("a tool loop: the call and its result reach llama-server as function_call and function_call_output", async () => {
      const final = await anthropic.messages
        .stream({
          model: "tiny",
          max_tokens: 8,
          tools: TOOLS,
          messages: [
            { role: "user", content: "Weather in Paris?" },
            { role: "assistant", content: [{ type: "text", text: "Let me check." }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "22C" }, { type: "text", text: "sunny" }] }] },
          ],
        })
        .finalMessage();
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      expect(final.stop_reason).toBeDefined();
    });

    test("a screenshot inside a tool result: llama-server takes the shape and refuses the image itself (no vision projector), in Anthropic's shape", async () => {
      const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";
      const res = await ask({
        model: "tiny",
        max_tokens: 8,
        messages: [
          { role: "user", content: "What is on my screen?" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "screenshot", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] }] },
        ],
      });
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe("error");
      expect(body.error.message).toContain("image input is not supported");
    });
  });
});
