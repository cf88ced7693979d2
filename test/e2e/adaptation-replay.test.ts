/**
 * Every recording in test/fixtures, replayed by a participant that speaks only its own
 * protocol, asked for through the hub in the OTHER protocol. The adapted answer must obey the
 * target protocol's grammar (checked strictly: this is gambi's own output) and carry exactly
 * what the recording carries: text, reasoning, refusal, tool calls with arguments, usage, how
 * it ended, errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHub } from "../helpers/hub.ts";
import { waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { fixtureStatus, loadFixtures, type Fixture } from "../helpers/fixtures.ts";
import { decodeSse, readSse } from "../helpers/sse-read.ts";
import { assembleChat, checkChatStream, type AssembledChat } from "../helpers/chat-stream-check.ts";
import { assembleResponses, checkResponsesStream, type AssembledResponses } from "../helpers/responses-stream-check.ts";
import { createRepairMapper } from "../../src/protocol/openai/responses-repair/stream.ts";
import { streamRepairReason } from "../../src/protocol/openai/responses-repair/detect.ts";

type Json = Record<string, any>;

let rooms: OneProtocolRooms;
let hub: TestHub;
let chatOnly: FakeUpstream;
let responsesOnly: FakeUpstream;
let chatRoom: string;
let responsesRoom: string;

const replay = (f: Fixture) => () =>
  new Response(f.bytes, { status: fixtureStatus(f.name), headers: { "content-type": f.stream ? "text/event-stream" : "application/json" } });

beforeAll(async () => {
  rooms = await startOneProtocolRooms();
  ({ hub } = rooms);
  ({ upstream: chatOnly, room: chatRoom } = rooms.chat);
  ({ upstream: responsesOnly, room: responsesRoom } = rooms.responses);
});
afterAll(() => rooms.stop());

const fixtures = loadFixtures();

/**
 * What a Responses recording carries, as events a client can read: llama.cpp's streams fail
 * even the lenient grammar, so they are read through the repair (checked against their own
 * `response.completed` in test/unit/responses-repair-stream.test.ts).
 */
function readable(bytes: Uint8Array) {
  const events = decodeSse(bytes);
  if (!streamRepairReason(events[0]!)?.includes("output array")) return events;
  const m = createRepairMapper({ model: "m" }, { newId: () => crypto.randomUUID(), now: () => Date.now() });
  return [...events.flatMap((e) => m.push(e)), ...m.end()];
}

/** What a Responses client must end up with, given what the chat recording carried. */
function expectSameAsChat(got: AssembledResponses, src: AssembledChat): void {
  expect(got.text).toBe(src.text);
  expect(got.reasoning).toBe(src.reasoning);
  expect(got.refusal).toBe(src.refusal);
  expect(got.toolCalls).toEqual(src.toolCalls.map((c) => ({ callId: c.id, name: c.name, arguments: c.arguments })));
  if (src.usage) expect(got.usage).toMatchObject({ input: src.usage.input, output: src.usage.output, total: src.usage.total });
  if (src.error) {
    expect(got.status).toBe("failed");
    expect(got.error?.message).toContain(src.error.message);
  } else if (src.finishReason === "length" || src.finishReason === "content_filter") {
    expect(got.status).toBe("incomplete");
    expect(got.incompleteReason).toBe(src.finishReason === "length" ? "max_output_tokens" : "content_filter");
  } else expect(got.status).toBe("completed");
}

/** What a chat client must end up with, given what the Responses recording carried. */
function expectSameAsResponses(got: AssembledChat, src: AssembledResponses): void {
  expect(got.text).toBe(src.text);
  expect(got.reasoning).toBe(src.reasoning);
  expect(got.refusal).toBe(src.refusal);
  expect(got.toolCalls).toEqual(src.toolCalls.map((c) => ({ id: c.callId, name: c.name, arguments: c.arguments })));
  if (src.usage) expect(got.usage).toMatchObject({ input: src.usage.input, output: src.usage.output, total: src.usage.total });
  if (src.status === "failed") {
    expect(got.error?.message).toContain(src.error!.message);
    return;
  }
  expect(got.error).toBeUndefined();
  if (src.toolCalls.length) expect(got.finishReason).toBe("tool_calls");
  else if (src.status === "incomplete") expect(got.finishReason).toBe(src.incompleteReason === "content_filter" ? "content_filter" : "length");
  else expect(got.finishReason).toBe("stop");
}

/** A recorded HTTP error comes back with its status, in OpenAI's envelope; true when it was one. */
async function isRecordedError(f: Fixture, res: Response): Promise<boolean> {
  const status = fixtureStatus(f.name);
  expect(res.status).toBe(status);
  if (status === 200) return false;
  const body = (await res.json()) as Json;
  expect(typeof body.error.message).toBe("string");
  return true;
}

/**
 * The request this test made reach `upstream` (the one after `before` requests): a recorded 429
 * in the test before puts the participant in a cooldown, and a stream that waits for it gets
 * its 200 before the request goes out, so the last request seen may still be the one before.
 */
async function requestMade(upstream: FakeUpstream, before: number): Promise<Json> {
  expect(await waitFor(() => upstream.inference().length > before, 5_000)).toBe(true);
  return JSON.parse(upstream.inference()[before]!.body) as Json;
}

describe("chat recordings → a Responses client", () => {
  for (const f of fixtures.filter((x) => x.protocol === "chat")) {
    test(f.name, async () => {
      chatOnly.handle(replay(f));
      const before = chatOnly.inference().length;
      const res = await hub.post(`/rooms/${chatRoom}/v1/responses`, { model: "*", input: "hi", stream: f.stream });
      const sent = await requestMade(chatOnly, before);
      expect(sent.messages).toEqual([{ role: "user", content: "hi" }]);
      if (await isRecordedError(f, res)) return;
      if (f.stream) {
        expect(sent.stream_options).toEqual({ include_usage: true });
        const events = await readSse(res);
        checkResponsesStream(events, { strict: true });
        expectSameAsChat(assembleResponses(events, { strict: true }), assembleChat(decodeSse(f.bytes)));
        return;
      }
      const chat = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      const resp = (await res.json()) as Json;
      expect(resp.object).toBe("response");
      expect(resp.id).toMatch(/^resp_/);
      const message = chat.choices[0].message;
      const texts = resp.output.filter((i: Json) => i.type === "message").flatMap((i: Json) => i.content.filter((p: Json) => p.type === "output_text").map((p: Json) => p.text));
      expect(texts.join("")).toBe(message.content ?? "");
      const reasoning = message.reasoning_content || message.reasoning || "";
      const reasoningItems = resp.output.filter((i: Json) => i.type === "reasoning");
      expect(reasoningItems.flatMap((i: Json) => (i.content ?? []).map((p: Json) => p.text)).join("")).toBe(reasoning);
      expect(resp.usage).toMatchObject({ input_tokens: chat.usage.prompt_tokens, output_tokens: chat.usage.completion_tokens, total_tokens: chat.usage.total_tokens });
    });
  }
});

describe("Responses recordings → a chat client", () => {
  for (const f of fixtures.filter((x) => x.protocol === "responses")) {
    test(f.name, async () => {
      responsesOnly.handle(replay(f));
      const before = responsesOnly.inference().length;
      const res = await hub.post(`/rooms/${responsesRoom}/v1/chat/completions`, {
        model: "*",
        messages: [{ role: "user", content: "hi" }],
        stream: f.stream,
        ...(f.stream ? { stream_options: { include_usage: true } } : {}),
      });
      const sent = await requestMade(responsesOnly, before);
      expect(sent.store).toBe(false);
      if (await isRecordedError(f, res)) return;
      if (f.stream) {
        const events = await readSse(res);
        const src = assembleResponses(readable(f.bytes));
        checkChatStream(events, src.status === "failed" ? {} : { usage: src.usage ? true : undefined });
        expectSameAsResponses(assembleChat(events), src);
        return;
      }
      const resp = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      const chat = (await res.json()) as Json;
      expect(chat.object).toBe("chat.completion");
      const texts = resp.output.filter((i: Json) => i.type === "message").flatMap((i: Json) => i.content.filter((p: Json) => p.type === "output_text").map((p: Json) => p.text));
      expect(chat.choices[0].message.content).toBe(texts.length ? texts.join("") : null);
      const calls = resp.output.filter((i: Json) => i.type === "function_call");
      expect(chat.choices[0].message.tool_calls ?? []).toEqual(calls.map((c: Json) => ({ id: c.call_id, type: "function", function: { name: c.name, arguments: c.arguments } })));
      expect(chat.choices[0].finish_reason).toBe(calls.length ? "tool_calls" : "stop");
      expect(chat.usage).toMatchObject({ prompt_tokens: resp.usage.input_tokens, completion_tokens: resp.usage.output_tokens, total_tokens: resp.usage.total_tokens });
    });
  }
});
