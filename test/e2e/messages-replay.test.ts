/**
 * Every recording in test/fixtures/messages, replayed by a participant that speaks only
 * Anthropic's Messages API, asked for through the hub by a Chat Completions client and by a
 * Responses client, each read twice: raw (the stream checked against that protocol's strict
 * grammar, as gambi's own output) and through the `openai` package. What they end up with must
 * be exactly what the recording carries: text, thinking (with its signature, for the Responses
 * client), tool calls with their input, how it ended, usage (the whole prompt: input + cache
 * creation + cache read), and HTTP errors with their status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { TestHub } from "../helpers/hub.ts";
import { waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startMessagesRoom, type MessagesRoom } from "../helpers/one-protocol-rooms.ts";
import { fixtureStatus, loadFixtures, type Fixture } from "../helpers/fixtures.ts";
import { decodeSse, readSse } from "../helpers/sse-read.ts";
import { assembleChat, checkChatStream } from "../helpers/chat-stream-check.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";

type Json = Record<string, any>;

let rooms: MessagesRoom;
let hub: TestHub;
let upstream: FakeUpstream;
let room: string;
let openai: OpenAI;

beforeAll(async () => {
  rooms = await startMessagesRoom();
  ({ hub, upstream, room } = rooms);
  openai = new OpenAI({ baseURL: `${hub.url}/rooms/${room}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => rooms.stop());

const fixtures = loadFixtures(["messages"]);
const replay = (f: Fixture) => () => new Response(f.bytes, { status: fixtureStatus(f.name), headers: { "content-type": f.stream ? "text/event-stream" : "application/json" } });

/** What a recording says, whichever way it came: its blocks (text, thinking with signature, tool_use with input, redacted), stop reason and usage. */
interface Recorded {
  text: string;
  thinking: { text: string; signature: string }[];
  redacted: string[];
  tools: { id: string; name: string; input: Json }[];
  stopReason: string;
  prompt: number;
  cached: number;
  output: number;
}

function recorded(f: Fixture): Recorded {
  let content: Json[];
  let stopReason: string;
  let usage: Json;
  if (f.stream) {
    const m = checkMessagesStream(decodeSse(f.bytes), { strict: false });
    [content, stopReason, usage] = [m.content, m.stopReason!, m.usage!];
  } else {
    const m = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
    [content, stopReason, usage] = [m.content, m.stop_reason, m.usage];
  }
  return {
    text: content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    thinking: content.filter((b) => b.type === "thinking").map((b) => ({ text: b.thinking, signature: b.signature ?? "" })),
    redacted: content.filter((b) => b.type === "redacted_thinking").map((b) => b.data),
    tools: content.filter((b) => b.type === "tool_use").map((b) => ({ id: b.id, name: b.name, input: b.input ?? {} })),
    stopReason,
    prompt: (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
    cached: usage.cache_read_input_tokens ?? 0,
    output: usage.output_tokens,
  };
}

const finishReason = (r: Recorded) => (r.stopReason === "max_tokens" ? "length" : r.stopReason === "refusal" ? "content_filter" : r.tools.length > 0 ? "tool_calls" : "stop");

/** The request this test made (the one after `before` requests). */
async function requestMade(before: number): Promise<Json> {
  expect(await waitFor(() => upstream.inference().length > before, 5_000)).toBe(true);
  return JSON.parse(upstream.inference()[before]!.body) as Json;
}

/** A recorded HTTP error: the same status, in OpenAI's envelope, with the participant's message. */
async function expectRecordedError(f: Fixture, res: Response): Promise<void> {
  expect(res.status).toBe(fixtureStatus(f.name));
  const body = (await res.json()) as Json;
  expect(body.error.message).toContain(JSON.parse(new TextDecoder().decode(f.bytes)).error.message);
}

describe("Messages recordings → a chat client", () => {
  for (const f of fixtures) {
    test(f.name, async () => {
      upstream.handle(replay(f));
      const before = upstream.inference().length;
      const res = await hub.post(`/rooms/${room}/v1/chat/completions`, {
        model: "*",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
        stream: f.stream,
        ...(f.stream ? { stream_options: { include_usage: true } } : {}),
      });
      const sent = await requestMade(before);
      expect(sent).toEqual({ model: "claude", system: "Be brief.", messages: [{ role: "user", content: "hi" }], max_tokens: 4096, ...(f.stream ? { stream: true } : {}) });
      expect(upstream.inference()[before]!.path).toBe("/v1/messages");
      if (fixtureStatus(f.name) !== 200) return expectRecordedError(f, res);
      const r = recorded(f);
      const usage = { prompt_tokens: r.prompt, completion_tokens: r.output, total_tokens: r.prompt + r.output, prompt_tokens_details: { cached_tokens: r.cached } };
      if (f.stream) {
        const events = await readSse(res);
        checkChatStream(events, { usage: true });
        const got = assembleChat(events);
        expect(got.text).toBe(r.text);
        expect(got.reasoning).toBe(r.thinking.map((t) => t.text).join("\n\n"));
        expect(got.toolCalls.map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.arguments || "{}") }))).toEqual(r.tools);
        expect(got.finishReason).toBe(finishReason(r));
        expect(got.usage).toEqual({ input: r.prompt, output: r.output, total: r.prompt + r.output, cached: r.cached });
        return;
      }
      const chat = (await res.json()) as Json;
      expect(chat.object).toBe("chat.completion");
      const msg = chat.choices[0].message;
      expect(msg.content).toBe(r.text === "" && !JSON.parse(new TextDecoder().decode(f.bytes)).content.some((b: Json) => b.type === "text") ? null : r.text);
      expect(msg.reasoning_content).toBe(r.thinking.length ? r.thinking.map((t) => t.text).join("\n\n") : undefined);
      // Signed and redacted blocks, in OpenRouter's field, for the client to send back.
      const details = [
        ...r.thinking.filter((t) => t.signature !== "").map((t) => ({ type: "reasoning.text", text: t.text, signature: t.signature, format: "anthropic-claude-v1" })),
        ...r.redacted.map((data) => ({ type: "reasoning.encrypted", data, format: "anthropic-claude-v1" })),
      ];
      expect(msg.reasoning_details).toEqual(details.length > 0 ? details : undefined);
      expect((msg.tool_calls ?? []).map((c: Json) => ({ id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments) }))).toEqual(r.tools);
      expect(chat.choices[0].finish_reason).toBe(finishReason(r));
      expect(chat.usage).toEqual(usage);
    });
  }
});

describe("Messages recordings → a Responses client", () => {
  for (const f of fixtures) {
    test(f.name, async () => {
      upstream.handle(replay(f));
      const before = upstream.inference().length;
      const res = await hub.post(`/rooms/${room}/v1/responses`, { model: "*", instructions: "Be brief.", input: "hi", stream: f.stream, max_output_tokens: 300 });
      const sent = await requestMade(before);
      expect(sent).toEqual({ model: "claude", system: "Be brief.", messages: [{ role: "user", content: "hi" }], max_tokens: 300, ...(f.stream ? { stream: true } : {}) });
      if (fixtureStatus(f.name) !== 200) return expectRecordedError(f, res);
      const r = recorded(f);
      let output: Json[];
      let response: Json;
      if (f.stream) {
        const events = await readSse(res);
        checkResponsesStream(events, { strict: true });
        const got = assembleResponses(events, { strict: true });
        expect(got.text).toBe(r.text);
        expect(got.toolCalls.map((c) => ({ id: c.callId, name: c.name, input: JSON.parse(c.arguments || "{}") }))).toEqual(r.tools);
        [output, response] = [got.output, got.response];
      } else {
        response = (await res.json()) as Json;
        output = response.output;
        const texts = output.filter((i) => i.type === "message").flatMap((i) => i.content.map((p: Json) => p.text));
        expect(texts.join("")).toBe(r.text);
        expect(output.filter((i) => i.type === "function_call").map((c) => ({ id: c.call_id, name: c.name, input: JSON.parse(c.arguments) }))).toEqual(r.tools);
      }
      expect(response.id).toMatch(/^resp_/);
      expect(response.status).toBe(r.stopReason === "max_tokens" ? "incomplete" : "completed");
      if (r.stopReason === "max_tokens") expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
      expect(response.usage).toMatchObject({ input_tokens: r.prompt, output_tokens: r.output, total_tokens: r.prompt + r.output, input_tokens_details: { cached_tokens: r.cached } });
      // One reasoning item per thinking block, its text and signature; a redacted block's data on an item of its own.
      const reasoning = output.filter((i) => i.type === "reasoning");
      const thinkingItems = reasoning.filter((i) => i.content.length > 0);
      expect(thinkingItems.map((i) => ({ text: i.content[0].text, enc: i.encrypted_content }))).toEqual(
        r.thinking.map((t) => ({ text: t.text, enc: t.signature ? `anthropic.thinking:${t.signature}` : undefined })),
      );
      expect(reasoning.filter((i) => i.content.length === 0).map((i) => i.encrypted_content)).toEqual(r.redacted.map((d) => `anthropic.redacted_thinking:${d}`));
    });
  }
});

describe("through the openai package", () => {
  const ok = fixtures.filter((f) => fixtureStatus(f.name) === 200);

  test("chat.completions, streamed and not: every recording's text, tool calls, ending and usage", async () => {
    for (const f of ok) {
      upstream.handle(replay(f));
      const r = recorded(f);
      if (f.stream) {
        let text = "";
        let reasoning = "";
        let finish: string | null = null;
        let usage: OpenAI.CompletionUsage | undefined;
        const calls = new Map<number, { id: string; name: string; args: string }>();
        for await (const chunk of await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } })) {
          usage = chunk.usage ?? usage;
          const c = chunk.choices[0];
          if (!c) continue;
          text += c.delta.content ?? "";
          reasoning += (c.delta as Json).reasoning_content ?? "";
          for (const tc of c.delta.tool_calls ?? []) {
            const call = calls.get(tc.index) ?? { id: tc.id!, name: tc.function!.name!, args: "" };
            call.args += tc.function?.arguments ?? "";
            calls.set(tc.index, call);
          }
          finish = c.finish_reason ?? finish;
        }
        expect({ name: f.name, text, reasoning, finish }).toEqual({ name: f.name, text: r.text, reasoning: r.thinking.map((t) => t.text).join("\n\n"), finish: finishReason(r) as never });
        expect([...calls.values()].map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.args || "{}") }))).toEqual(r.tools);
        expect(usage).toMatchObject({ prompt_tokens: r.prompt, completion_tokens: r.output });
      } else {
        const chat = await openai.chat.completions.create({ model: "*", messages: [{ role: "user", content: "hi" }] });
        expect({ name: f.name, text: chat.choices[0]!.message.content ?? "", finish: chat.choices[0]!.finish_reason }).toEqual({ name: f.name, text: r.text, finish: finishReason(r) as never });
        expect((chat.choices[0]!.message.tool_calls ?? []).map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments) } : c))).toEqual(r.tools);
        expect(chat.usage).toMatchObject({ prompt_tokens: r.prompt, completion_tokens: r.output });
      }
    }
  });

  test("responses, streamed (finalResponse) and not: every recording's output_text, calls, reasoning and usage", async () => {
    for (const f of ok) {
      upstream.handle(replay(f));
      const r = recorded(f);
      const response = f.stream ? await openai.responses.stream({ model: "*", input: "hi" }).finalResponse() : await openai.responses.create({ model: "*", input: "hi" });
      expect({ name: f.name, text: response.output_text }).toEqual({ name: f.name, text: r.text });
      const calls = (response.output as Json[]).filter((i) => i.type === "function_call");
      expect(calls.map((c) => ({ id: c.call_id, name: c.name, input: JSON.parse(c.arguments) }))).toEqual(r.tools);
      const reasoning = response.output.filter((i) => i.type === "reasoning");
      expect(reasoning.length).toBe(r.thinking.length + r.redacted.length);
      expect(response.usage).toMatchObject({ input_tokens: r.prompt, output_tokens: r.output });
    }
  });
});
