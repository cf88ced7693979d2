/**
 * What a Responses client (the `openai` package) could not send a Messages-only participant
 * while the hub went through the chat shape, through a real hub on port 0: a screenshot in a
 * tool's output and a PDF, in a conversation the hub keeps (`previous_response_id`), streamed
 * and not; and plain-text files, decoded. The participant gets them as Anthropic's blocks; the
 * client gets the answer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { TestHub } from "../helpers/hub.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";
import { startMessagesRoom, type MessagesRoom } from "../helpers/one-protocol-rooms.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

type Json = Record<string, any>;

let rooms: MessagesRoom;
let hub: TestHub;
let upstream: FakeUpstream;
let openai: OpenAI;
const fixture = (name: string) => loadFixtures(["messages"]).find((f) => f.name === name)!;
const reply = (name: string, type: string) => () => new Response(fixture(name).bytes, { headers: { "content-type": type } });
const sent = () => JSON.parse(upstream.inference().at(-1)!.body) as Json;

const PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";
const PDF = "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IKdHJhaWxlcgo8PD4+CiUlRU9GCg==";

beforeAll(async () => {
  rooms = await startMessagesRoom();
  ({ hub, upstream } = rooms);
  openai = new OpenAI({ baseURL: `${hub.url}/rooms/${rooms.room}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => rooms.stop());

describe("a Responses client's images and files reach a Messages participant", () => {
  test("a screenshot in a function_call_output, after the hub-kept turn that called the tool (not streamed)", async () => {
    upstream.handle(reply("messages/anthropic-text-then-tool-use.sse", "text/event-stream"));
    const first = await openai.responses.stream({ model: "*", input: "what is on my screen?", tools: [{ type: "function", name: "weather", parameters: { type: "object", properties: {} }, strict: false }] }).finalResponse();
    const call = first.output.find((i) => i.type === "function_call")!;
    upstream.handle(reply("messages/anthropic-text.json", "application/json"));
    const second = await openai.responses.create({
      model: "*",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: [{ type: "input_text", text: "here:" }, { type: "input_image", image_url: PNG, detail: "auto" }] }],
    });
    expect(second.status).toBe("completed");
    expect(second.output_text).toBe(JSON.parse(new TextDecoder().decode(fixture("messages/anthropic-text.json").bytes)).content[0].text);
    const messages = sent().messages as Json[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[1]!.content.at(-1)).toMatchObject({ type: "tool_use", id: call.call_id, name: "weather" });
    expect(messages[2]!.content).toEqual([
      {
        type: "tool_result",
        tool_use_id: call.call_id,
        content: [
          { type: "text", text: "here:" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.slice("data:image/png;base64,".length) } },
        ],
      },
    ]);
  });

  test("a PDF in the user's message, streamed", async () => {
    upstream.handle(reply("messages/anthropic-text-usage.sse", "text/event-stream"));
    const response = await openai.responses
      .stream({ model: "*", input: [{ role: "user", content: [{ type: "input_file", filename: "report.pdf", file_data: PDF }, { type: "input_text", text: "Summarize it." }] }] })
      .finalResponse();
    expect(response.status).toBe("completed");
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(sent().messages).toEqual([
      {
        role: "user",
        content: [
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF.slice("data:application/pdf;base64,".length) }, title: "report.pdf" },
          { type: "text", text: "Summarize it." },
        ],
      },
    ]);
  });

  test("a plain-text file in the user's message and in a tool's output: decoded into text documents, not streamed", async () => {
    const notes = "Olá — três linhas\n✓ done\n";
    const data = `data:text/plain;base64,${Buffer.from(notes, "utf8").toString("base64")}`;
    upstream.handle(reply("messages/anthropic-text.json", "application/json"));
    const response = await openai.responses.create({
      model: "*",
      input: [
        { role: "user", content: [{ type: "input_file", filename: "notes.txt", file_data: data }, { type: "input_text", text: "And the log?" }] },
        { type: "function_call", call_id: "call_1", name: "read_log", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: [{ type: "input_file", filename: "app.log", file_data: data }] },
      ],
    });
    expect(response.status).toBe("completed");
    expect(sent().messages).toEqual([
      {
        role: "user",
        content: [
          { type: "document", source: { type: "text", media_type: "text/plain", data: notes }, title: "notes.txt" },
          { type: "text", text: "And the log?" },
        ],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "read_log", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: notes }, title: "app.log" }] }] },
    ]);
  });

  test("a file the Messages API cannot take, or plain text that is not base64: a 400 naming the field, and nothing reaches the participant", async () => {
    for (const [file_data, code, param, says] of [
      ["data:text/csv;base64,YSxi", "unsupported_parameter", "input[0].content[0]", "Messages API"],
      ["data:text/plain;base64,%%%", "invalid_request", "input[0].content[0].file_data", "not valid base64"],
    ]) {
      const before = upstream.inference().length;
      const res = await hub.post(`/rooms/${rooms.room}/v1/responses`, { model: "*", input: [{ role: "user", content: [{ type: "input_file", file_data }] }] });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Json;
      expect(body.error).toMatchObject({ code, param });
      expect(body.error.message).toContain(says);
      expect(upstream.inference().length).toBe(before);
    }
  });
});
