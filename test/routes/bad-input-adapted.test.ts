/**
 * Malformed fields in requests the hub must translate: the adapters read deep into the body
 * (items, parts, tools, formats), so every wrong shape there must be a 4xx in OpenAI's
 * envelope naming something useful — never a 500 — and the room must keep working.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";

let rooms: OneProtocolRooms;
beforeAll(async () => {
  rooms = await startOneProtocolRooms();
  rooms.chat.upstream.handle(() => Response.json({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] }));
  rooms.responses.upstream.handle(() =>
    Response.json({ id: "resp_1", object: "response", created_at: 1, status: "completed", model: "m", output: [{ type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "ok", annotations: [] }] }] }),
  );
});
afterAll(() => rooms.stop());

const junk = [5, "x", null, true, [], {}, [null], [5], ["x"], [{}], { type: 5 }];

/** Each field of a Responses request, with values of the wrong shape at several depths. */
const responsesCases: [string, unknown][] = [
  ...junk.map((v) => ["input", v] as [string, unknown]),
  ...junk.map((v) => ["input", [{ type: "message", role: "user", content: v }]] as [string, unknown]),
  ...junk.map((v) => ["input", [{ type: "message", role: v, content: "hi" }]] as [string, unknown]),
  ...junk.map((v) => ["input", [{ type: "function_call", call_id: v, name: v, arguments: v }]] as [string, unknown]),
  ...junk.map((v) => ["input", [{ type: "function_call_output", call_id: v, output: v }]] as [string, unknown]),
  ...junk.map((v) => ["input", [{ role: "user", content: [{ type: "input_image", image_url: v }] }]] as [string, unknown]),
  ...junk.map((v) => ["input", [{ type: "item_reference", id: v }]] as [string, unknown]),
  ...junk.map((v) => ["tools", v] as [string, unknown]),
  ...junk.map((v) => ["tools", [{ type: "function", name: v, parameters: v }]] as [string, unknown]),
  ...junk.map((v) => ["tool_choice", v] as [string, unknown]),
  ...junk.map((v) => ["text", v] as [string, unknown]),
  ...junk.map((v) => ["text", { format: v }] as [string, unknown]),
  ...junk.map((v) => ["instructions", v] as [string, unknown]),
  ...junk.map((v) => ["reasoning", v] as [string, unknown]),
  ...junk.map((v) => ["max_output_tokens", v] as [string, unknown]),
  ...junk.map((v) => ["previous_response_id", v] as [string, unknown]),
];

/** The same for a Chat Completions request. */
const chatCases: [string, unknown][] = [
  ...junk.map((v) => ["messages", [v]] as [string, unknown]),
  ...junk.map((v) => ["messages", [{ role: "user", content: v }]] as [string, unknown]),
  ...junk.map((v) => ["messages", [{ role: v, content: "hi" }]] as [string, unknown]),
  ...junk.map((v) => ["messages", [{ role: "user", content: [{ type: "image_url", image_url: v }] }]] as [string, unknown]),
  ...junk.map((v) => ["messages", [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: v }]] as [string, unknown]),
  ...junk.map((v) => ["messages", [{ role: "tool", tool_call_id: v, content: v }]] as [string, unknown]),
  ...junk.map((v) => ["tools", v] as [string, unknown]),
  ...junk.map((v) => ["tools", [{ type: "function", function: v }]] as [string, unknown]),
  ...junk.map((v) => ["tool_choice", v] as [string, unknown]),
  ...junk.map((v) => ["response_format", v] as [string, unknown]),
  ...junk.map((v) => ["stream_options", v] as [string, unknown]),
  ...junk.map((v) => ["max_tokens", v] as [string, unknown]),
  ...junk.map((v) => ["n", v] as [string, unknown]),
];

/** A 200 (a shape the adapter can honour, e.g. an empty tools list) or a 4xx envelope; never a 5xx. */
async function expectClientError(res: Response, what: string): Promise<void> {
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${what} → ${res.status}: ${text}`);
  if (res.status === 200) return;
  expect(res.status).toBeGreaterThanOrEqual(400);
  const json = JSON.parse(text);
  expect(typeof json.error.message).toBe("string");
  expect(typeof json.error.type).toBe("string");
}

test.each(responsesCases.map(([k, v]) => [k, JSON.stringify(v), v]))("Responses → chat participant: %s = %s", async (field, _shown, value) => {
  for (const stream of [false, true]) {
    const res = await rooms.hub.post(`/rooms/${rooms.chat.room}/v1/responses`, { model: "*", input: "hi", stream, [field as string]: value });
    await expectClientError(res, `${field}=${JSON.stringify(value)} stream=${stream}`);
  }
});

test.each(chatCases.map(([k, v]) => [k, JSON.stringify(v), v]))("chat → Responses participant: %s = %s", async (field, _shown, value) => {
  const res = await rooms.hub.post(`/rooms/${rooms.responses.room}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }], [field as string]: value });
  await expectClientError(res, `${field}=${JSON.stringify(value)}`);
});

test("after all that, both rooms still answer", async () => {
  const res = await rooms.hub.post(`/rooms/${rooms.chat.room}/v1/responses`, { model: "*", input: "hi" });
  expect(res.status).toBe(200);
  expect(rooms.hub.hub.ctx.registry.find(rooms.chat.room)!.scheduler.memberView("chat")?.inFlight).toBe(0);
});
