/**
 * The Responses API through a room whose participant is a real llama-server joined with
 * `gambi join`. llama-server's own Responses stream is not conformant (no `output` in
 * `response.created`, no `sequence_number` or `output_index`) and it keeps no state (400 on
 * `previous_response_id`): through the hub, clients get a conformant response and multi-turn
 * conversations anyway (docs/protocols.md). Structure, usage and state are checked, not words.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { assembleResponses } from "../helpers/responses-stream-check.ts";
import { readSse } from "../helpers/sse-read.ts";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

const TOOLS = [{ type: "function" as const, name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false }];

describe.skipIf(!REAL)("real llama.cpp: Responses", () => {
  let room: RealRoom;
  let client: OpenAI;
  beforeAll(async () => {
    room = await realRoom();
    client = new OpenAI({ baseURL: room.v1, apiKey: "unused" });
  });
  afterAll(() => room?.close());

  test("raw stream: passes the strict Responses grammar check", async () => {
    const res = await fetch(`${room.v1}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", input: "Say hello.", max_output_tokens: 16, stream: true }),
    });
    expect(res.status).toBe(200);
    const assembled = assembleResponses(await readSse(res), { strict: true });
    expect(["completed", "incomplete"]).toContain(assembled.status);
    expect(assembled.output.length).toBeGreaterThan(0);
    expect(assembled.usage!.output).toBeGreaterThan(0);
  });

  test("openai package, not streamed: a full response object", async () => {
    const r = await client.responses.create({ model: "tiny", input: "Say hello.", max_output_tokens: 16 });
    expect(r.object).toBe("response");
    expect(["completed", "incomplete"]).toContain(r.status!);
    expect(r.output.some((item) => item.type === "message")).toBe(true);
    expect(typeof r.output_text).toBe("string");
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
  });

  test("openai package: responses.stream().finalResponse() and the streamed events", async () => {
    const final = await client.responses.stream({ model: "tiny", input: "Say hello.", max_output_tokens: 16 }).finalResponse();
    expect(final.output.length).toBeGreaterThan(0);
    expect(final.usage!.output_tokens).toBeGreaterThan(0);

    const stream = await client.responses.create({ model: "tiny", input: "Say hello.", max_output_tokens: 16, stream: true });
    let last = -1;
    const types = new Set<string>();
    for await (const event of stream) {
      expect(event.sequence_number).toBeGreaterThan(last);
      last = event.sequence_number;
      types.add(event.type);
    }
    expect(types.has("response.created")).toBe(true);
    expect(types.has("response.output_item.added")).toBe(true);
  });

  test("a three-turn conversation by previous_response_id, then retrieve, input items and delete", async () => {
    const one = await client.responses.create({ model: "tiny", input: "My name is Ada.", max_output_tokens: 8 });
    const two = await client.responses.stream({ model: "tiny", input: "What is my name?", previous_response_id: one.id, max_output_tokens: 8 }).finalResponse();
    const three = await client.responses.create({ model: "tiny", input: "And again?", previous_response_id: two.id, max_output_tokens: 8 });
    // Each turn carries the whole conversation before it: the prompt grows.
    expect(two.usage!.input_tokens).toBeGreaterThan(one.usage!.input_tokens);
    expect(three.usage!.input_tokens).toBeGreaterThan(two.usage!.input_tokens);
    expect(two.previous_response_id).toBe(one.id);
    expect(three.previous_response_id).toBe(two.id);

    const got = await client.responses.retrieve(three.id);
    expect(got.id).toBe(three.id);
    expect(got.status).toBe(three.status);
    const items = await client.responses.inputItems.list(three.id);
    expect(JSON.stringify(items.data)).toContain("And again?");
    await client.responses.delete(three.id);
    const gone = await client.responses.retrieve(three.id).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("a request with tools is accepted and answered, stream and not", async () => {
    const r = await client.responses.create({ model: "tiny", input: "Weather in Paris?", tools: TOOLS, max_output_tokens: 16 });
    expect(r.output.length).toBeGreaterThan(0);
    for (const item of r.output) expect(["message", "function_call", "reasoning"]).toContain(item.type);
    const final = await client.responses.stream({ model: "tiny", input: "Weather in Paris?", tools: TOOLS, max_output_tokens: 16 }).finalResponse();
    expect(final.output.length).toBeGreaterThan(0);
  });

  test("Vercel AI SDK openai.responses(): generateText and streamText", async () => {
    const openai = createOpenAI({ baseURL: room.v1, apiKey: "unused" });
    const generated = await generateText({ model: openai.responses("tiny"), prompt: "Say hello.", maxOutputTokens: 16 });
    expect(typeof generated.text).toBe("string");
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    const streamed = streamText({ model: openai.responses("tiny"), prompt: "Say hello.", maxOutputTokens: 16 });
    let parts = 0;
    for await (const _ of streamed.textStream) parts++;
    expect(parts).toBeGreaterThan(0);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });
});
