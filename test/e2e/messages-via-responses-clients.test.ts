/**
 * What an Anthropic client (`@anthropic-ai/sdk`) could not send a Responses-only participant
 * while the hub went through the chat shape, through a real hub on port 0: a screenshot and a
 * PDF inside tool results, PDF documents, and thinking round trips (the participant's encrypted
 * reasoning comes back to the client as a thinking block's signature and goes back to the
 * participant as its reasoning item, streamed and not). The participant gets them as Responses
 * items; the client gets the recorded answer. And a participant that echoes its key in its
 * reasoning: the key reaches no client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { startFakeUpstream, sseResponse, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { MANY_AT_ONCE } from "../helpers/hub.ts";
import { readSse } from "../helpers/sse-read.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";

type Json = Record<string, any>;

let rooms: OneProtocolRooms;
let upstream: FakeUpstream;
let client: Anthropic;
const fixture = (name: string) => loadFixtures(["responses"]).find((f) => f.name === name)!;
const text = (name: string) => new TextDecoder().decode(fixture(name).bytes);
const sse = (name: string) => () => new Response(fixture(name).bytes, { headers: { "content-type": "text/event-stream" } });
const sent = (back = 1) => JSON.parse(upstream.inference().at(-back)!.body) as Json;

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";
const PDF = "JVBERi0xLjQKJcfsj6IKdHJhaWxlcgo8PD4+CiUlRU9GCg==";
const TOOLS = [
  { name: "screenshot", description: "The screen", input_schema: { type: "object" as const, properties: {} } },
  { name: "weather", description: "Weather of a city", input_schema: { type: "object" as const, properties: { location: { type: "string" } } } },
];

/** The recording's events, parsed. */
const recorded = (name: string): Json[] =>
  text(name)
    .split("\n")
    .filter((l) => l.startsWith("data: {"))
    .map((l) => JSON.parse(l.slice(6)) as Json);

beforeAll(async () => {
  rooms = await startOneProtocolRooms({ responsesModel: "gpt-5" });
  upstream = rooms.responses.upstream;
  client = new Anthropic({ baseURL: `${rooms.hub.url}/rooms/${rooms.responses.room}`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => rooms.stop());

describe("images and PDFs reach a Responses participant where the client put them", () => {
  for (const stream of [false, true]) {
    test(`a screenshot and a PDF in tool results, a PDF by URL in the user's words (${stream ? "streamed" : "not streamed"})`, async () => {
      upstream.handle(stream ? sse("responses/openai-text.sse") : () => new Response(fixture("responses/openai-text.json").bytes, { headers: { "content-type": "application/json" } }));
      const params = {
        model: "*",
        max_tokens: 300,
        tools: TOOLS,
        messages: [
          { role: "user" as const, content: "what is on my screen, and in the report?" },
          { role: "assistant" as const, content: [{ type: "tool_use" as const, id: "toolu_1", name: "screenshot", input: {} }, { type: "tool_use" as const, id: "toolu_2", name: "screenshot", input: { report: true } }] },
          {
            role: "user" as const,
            content: [
              { type: "tool_result" as const, tool_use_id: "toolu_1", content: [{ type: "text" as const, text: "here:" }, { type: "image" as const, source: { type: "base64" as const, media_type: "image/png" as const, data: PNG } }] },
              { type: "tool_result" as const, tool_use_id: "toolu_2", content: [{ type: "document" as const, source: { type: "base64" as const, media_type: "application/pdf" as const, data: PDF }, title: "report.pdf" }] },
              { type: "document" as const, source: { type: "url" as const, url: "https://example.com/terms.pdf" } },
              { type: "text" as const, text: "and this one?" },
            ],
          },
        ],
      };
      const answer = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      const said = stream ? recorded("responses/openai-text.sse").find((d) => d.type === "response.completed")!.response : JSON.parse(text("responses/openai-text.json"));
      const expected = (said.output as Json[]).find((i) => i.type === "message")!.content[0].text;
      expect(answer.content.filter((b) => b.type === "text").map((b) => (b as Anthropic.TextBlock).text).join("")).toBe(expected);
      expect(sent().input.slice(1)).toEqual([
        { type: "function_call", call_id: "toolu_1", name: "screenshot", arguments: "{}" },
        { type: "function_call", call_id: "toolu_2", name: "screenshot", arguments: '{"report":true}' },
        { type: "function_call_output", call_id: "toolu_1", output: [{ type: "input_text", text: "here:" }, { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "auto" }] },
        { type: "function_call_output", call_id: "toolu_2", output: [{ type: "input_file", filename: "report.pdf", file_data: `data:application/pdf;base64,${PDF}` }] },
        { type: "message", role: "user", content: [{ type: "input_file", file_url: "https://example.com/terms.pdf" }, { type: "input_text", text: "and this one?" }] },
      ]);
    });
  }

  test("a document the Responses API cannot take (a file id): a 400 in Anthropic's shape, nothing sent", async () => {
    const before = upstream.inference().length;
    const err = await client.messages.create({ model: "*", max_tokens: 10, messages: [{ role: "user", content: [{ type: "document", source: { type: "file", file_id: "file_1" } }] }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(JSON.stringify((err as InstanceType<typeof Anthropic.BadRequestError>).error)).toContain("messages[0].content[0].source.type");
    expect(upstream.inference().length).toBe(before);
  });
});

describe("thinking: the participant's encrypted reasoning goes back to it", () => {
  const RECORDING = "responses/openai-reasoning-summary-function-call.sse";
  const events = recorded(RECORDING);
  const reasoning = events.find((d) => d.type === "response.output_item.done" && d.item.type === "reasoning")!.item as Json;
  const call = events.find((d) => d.type === "response.output_item.done" && d.item.type === "function_call")!.item as Json;
  const terminal = events.find((d) => d.type === "response.completed")!.response as Json;

  for (const stream of [true, false]) {
    test(`a tool loop with reasoning (${stream ? "streamed" : "not streamed"}): the thinking block is signed with it, and sent back it is the reasoning item again, before its call`, async () => {
      // Not streamed: the recording's own terminal Response as the body.
      upstream.handle(stream ? sse(RECORDING) : () => Response.json(terminal));
      const first = { model: "*", max_tokens: 2000, tools: TOOLS, thinking: { type: "enabled" as const, budget_tokens: 1024 }, messages: [{ role: "user" as const, content: "weather in Florence?" }] };
      const answer = stream ? await client.messages.stream(first).finalMessage() : await client.messages.create(first);
      expect(answer.content.map((b) => b.type)).toEqual(["thinking", "tool_use"]);
      const thinking = answer.content[0] as Anthropic.ThinkingBlock;
      const encrypted = stream ? reasoning.encrypted_content : terminal.output.find((i: Json) => i.type === "reasoning").encrypted_content;
      expect(thinking.signature).toBe(`responses.reasoning:responses:gpt-5:${encrypted}`);
      expect(thinking.thinking).toBe((reasoning.summary as Json[]).map((p) => p.text).join("\n\n"));
      const toolUse = answer.content[1] as Anthropic.ToolUseBlock;
      expect([toolUse.id, toolUse.name, toolUse.input]).toEqual([call.call_id, "weather", JSON.parse(call.arguments)]);
      expect(answer.stop_reason).toBe("tool_use");

      upstream.handle(() => new Response(fixture("responses/openai-text.json").bytes, { headers: { "content-type": "application/json" } }));
      const second = await client.messages.create({ ...first, messages: [...first.messages, { role: "assistant", content: answer.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "22C, sunny" }] }] });
      expect(second.stop_reason).toBe("end_turn");
      expect(sent().input).toEqual([
        { type: "message", role: "user", content: [{ type: "input_text", text: "weather in Florence?" }] },
        { type: "reasoning", summary: [{ type: "summary_text", text: thinking.thinking }], encrypted_content: encrypted },
        { type: "function_call", call_id: call.call_id, name: "weather", arguments: JSON.stringify(JSON.parse(call.arguments)) },
        { type: "function_call_output", call_id: call.call_id, output: "22C, sunny" },
      ]);
    });
  }

  test("two participants serving the same model with their own accounts: each gets back only its own reasoning", async () => {
    // Encrypted reasoning is readable only by the account that wrote it: OpenAI refuses another's with a 400.
    const other = startFakeUpstream({ models: ["gpt-5"], chat: false, responses: true });
    try {
      const code = await rooms.hub.createRoom({ name: "two accounts" });
      for (const up of [upstream, other]) up.handle(() => Response.json(terminal));
      for (const [id, up] of [["alice", upstream], ["bob", other]] as const) {
        expect((await rooms.hub.join(code, { id, nickname: id, model: "gpt-5", endpoint: up.url, ...MANY_AT_ONCE })).status).toBe(201);
      }
      const two = new Anthropic({ baseURL: `${rooms.hub.url}/rooms/${code}`, apiKey: "unused", maxRetries: 0 });
      const first = { max_tokens: 2000, tools: TOOLS, thinking: { type: "enabled" as const, budget_tokens: 1024 }, messages: [{ role: "user" as const, content: "weather in Florence?" }] };
      // Pinned to alice (a participant's id as the model).
      const answer = await two.messages.create({ ...first, model: "alice" });
      const thinking = answer.content[0] as Anthropic.ThinkingBlock;
      const encrypted = terminal.output.find((i: Json) => i.type === "reasoning").encrypted_content as string;
      expect(thinking.signature).toBe(`responses.reasoning:alice:gpt-5:${encrypted}`);
      const toolUse = answer.content[1] as Anthropic.ToolUseBlock;
      const next = [...first.messages, { role: "assistant" as const, content: answer.content }, { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: toolUse.id, content: "22C" }] }];
      const sentTo = async (model: string, up: FakeUpstream) => {
        const before = up.inference().length;
        await two.messages.create({ ...first, model, messages: next });
        expect(up.inference().length).toBe(before + 1);
        return (JSON.parse(up.inference().at(-1)!.body).input as Json[]).map((i) => i.type);
      };
      expect(await sentTo("bob", other)).toEqual(["message", "function_call", "function_call_output"]);
      expect(await sentTo("alice", upstream)).toEqual(["message", "reasoning", "function_call", "function_call_output"]);
    } finally {
      other.stop();
    }
  });

  test("Claude's own thinking (another signature) is not sent to a Responses participant", async () => {
    upstream.handle(() => new Response(fixture("responses/openai-text.json").bytes, { headers: { "content-type": "application/json" } }));
    await client.messages.create({
      model: "*",
      max_tokens: 100,
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "EqQBCkYIBRgCKkDAnthropicSignature" }, { type: "redacted_thinking", data: "EmwKAhgB" }, { type: "text", text: "hello" }] },
        { role: "user", content: "again" },
      ],
    });
    expect((sent().input as Json[]).map((i) => i.type)).toEqual(["message", "message", "message"]);
  });
});

describe("secrets: a Responses participant that echoes its key in its reasoning", () => {
  const KEY = "sk-proj-canary-5d2e8a1f9c3b7046";
  let leaky: FakeUpstream;
  let code: string;
  beforeAll(async () => {
    leaky = startFakeUpstream({ models: ["gpt-5"], chat: false, responses: true, requireHeader: { name: "authorization", value: `Bearer ${KEY}` } });
    // The recording, with the key as its reasoning's encrypted content and in its summary.
    leaky.handle((_req, body, record) => {
      const key = record.headers.authorization!.replace("Bearer ", "");
      const events = splitEvents(fixture("responses/openai-reasoning-summary-function-call.sse").bytes).map((e) => new TextDecoder().decode(e).replace(/"encrypted_content":"[^"]*"/g, `"encrypted_content":"gAAAA${key}"`).replace("**Getting weather info**", `key ${key}`));
      return JSON.parse(body).stream ? sseResponse(events) : Response.json({ status: "completed", output: [{ type: "reasoning", summary: [{ type: "summary_text", text: `key ${key}` }], encrypted_content: `gAAAA${key}` }] });
    });
    code = await rooms.hub.createRoom({ name: "leaky responses" });
    expect((await rooms.hub.join(code, { id: "leaky", nickname: "leaky", model: "gpt-5", endpoint: leaky.url, authHeaders: { Authorization: `Bearer ${KEY}` }, ...MANY_AT_ONCE })).status).toBe(201);
  });
  afterAll(() => leaky.stop());

  test("streamed and not: the key is in no signature, text or log", async () => {
    const seen: string[] = [];
    for (const stream of [true, false]) {
      const res = await fetch(`${rooms.hub.url}/rooms/${code}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "*", max_tokens: 100, stream, messages: [{ role: "user", content: "hi" }] }),
      });
      if (stream) {
        const events = await readSse(res);
        checkMessagesStream(events, { strict: false });
        seen.push(events.map((e) => e.data).join("\n"));
      } else seen.push(await res.text());
    }
    const everything = [...seen, ...rooms.hub.logs].join("\n");
    expect(everything).toContain("responses.reasoning:leaky:gpt-5:gAAAA"); // the echo happened, and was cut
    for (const needle of [KEY, "5d2e8a1f9c3b7046"]) expect(everything).not.toContain(needle);
  });
});
