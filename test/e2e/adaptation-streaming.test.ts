/**
 * Streaming guarantees hold when the hub translates too: each upstream chunk reaches the
 * client at once (no buffering until the end), an upstream that dies mid-stream ends the
 * client's stream with its protocol's error events, and a client that leaves cancels the
 * upstream request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHub } from "../helpers/hub.ts";
import { controlledStream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";

type Json = Record<string, any>;

let rooms: OneProtocolRooms;
let hub: TestHub;
let chatOnly: FakeUpstream;
let responsesOnly: FakeUpstream;
let chatRoom: string;
let responsesRoom: string;

beforeAll(async () => {
  rooms = await startOneProtocolRooms();
  ({ hub } = rooms);
  ({ upstream: chatOnly, room: chatRoom } = rooms.chat);
  ({ upstream: responsesOnly, room: responsesRoom } = rooms.responses);
});
afterAll(() => rooms.stop());

/** Reads a streaming response in the background; `events` grows as events arrive. */
function follow(res: Response) {
  const events: SseEvent[] = [];
  const decoder = new SseDecoder();
  const reader = res.body!.getReader();
  let ended = false;
  const done = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(...decoder.push(value));
    }
    events.push(...decoder.end());
    ended = true;
  })();
  return { events, done, get ended() { return ended; }, cancel: () => reader.cancel() };
}

const chatChunk = (delta: Json, finish: string | null = null) => `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const respEvent = (type: string, fields: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
const data = (e: SseEvent) => (e.data === "[DONE]" ? {} : (JSON.parse(e.data) as Json));

test("Responses client ← chat participant: each chunk at once, then a mid-stream death ends it with error + response.failed", async () => {
  const up = controlledStream();
  chatOnly.handle(() => up.response());
  // The hub answers once the first upstream byte is in (a death before it is an HTTP 502).
  up.send(chatChunk({ role: "assistant", content: "" }));
  const res = await hub.post(`/rooms/${chatRoom}/v1/responses`, { model: "*", input: "hi", stream: true });
  expect(res.status).toBe(200);
  const s = follow(res);
  up.send(chatChunk({ content: "Hel" }));
  expect(await waitFor(() => s.events.some((e) => data(e).type === "response.output_text.delta" && data(e).delta === "Hel"), 5000)).toBe(true);
  up.send(chatChunk({ content: "lo" }));
  expect(await waitFor(() => s.events.some((e) => data(e).delta === "lo"), 5000)).toBe(true);
  expect(s.ended).toBe(false);
  up.die();
  await s.done;
  const types = s.events.map((e) => data(e).type);
  expect(types.slice(-2)).toEqual(["error", "response.failed"]);
  expect(data(s.events.at(-1)!).response.status).toBe("failed");
});

test("chat client ← Responses participant: each event at once, then a mid-stream death ends it with an error chunk", async () => {
  const up = controlledStream();
  responsesOnly.handle(() => up.response());
  const response = { id: "resp_1", object: "response", created_at: 1, status: "in_progress", model: "m", output: [] };
  up.send(respEvent("response.created", { response, sequence_number: 0 }));
  const res = await hub.post(`/rooms/${responsesRoom}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }], stream: true });
  expect(res.status).toBe(200);
  const s = follow(res);
  up.send(respEvent("response.output_item.added", { output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", status: "in_progress", content: [] }, sequence_number: 1 }));
  up.send(respEvent("response.content_part.added", { item_id: "msg_1", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] }, sequence_number: 2 }));
  up.send(respEvent("response.output_text.delta", { item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hel", sequence_number: 3 }));
  expect(await waitFor(() => s.events.some((e) => data(e).choices?.[0]?.delta?.content === "Hel"), 5000)).toBe(true);
  expect(s.ended).toBe(false);
  up.die();
  await s.done;
  expect(data(s.events.at(-1)!).error.code).toBe("upstream_disconnected");
});

test("a client that leaves an adapted stream cancels the upstream request", async () => {
  for (const [room, upstream, path, body] of [
    [chatRoom, chatOnly, "responses", { input: "hi" }],
    [responsesRoom, responsesOnly, "chat/completions", { messages: [{ role: "user", content: "hi" }] }],
  ] as const) {
    const up = controlledStream();
    upstream.handle(() => up.response());
    const abort = new AbortController();
    up.send(path === "responses" ? chatChunk({ role: "assistant", content: "x" }) : respEvent("response.created", { response: { id: "r", status: "in_progress", output: [] }, sequence_number: 0 }));
    const res = await fetch(`${hub.url}/rooms/${room}/v1/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "*", stream: true, ...body }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    expect(await waitFor(() => upstream.inference().at(-1)!.aborted || up.cancelled, 5000)).toBe(true);
    const participant = hub.hub.ctx.registry.find(room)!.participants.values().next().value!;
    expect(await waitFor(() => hub.hub.ctx.registry.find(room)!.scheduler.memberView(participant.id)?.inFlight === 0, 5000)).toBe(true);
  }
});
