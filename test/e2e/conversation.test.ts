/**
 * `previous_response_id` across participants: a follow-up goes back to whoever answered; a
 * conversation the hub kept survives its participant leaving (another one serving the same
 * model takes over, chat-only or Responses-speaking); a conversation a Responses participant
 * stored itself does not; `store: false`, expiry and the lifecycle routes' edge cases.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

type Json = Record<string, any>;

let hub: TestHub;
let upstreams: FakeUpstream[] = [];
let code: string;

/** A chat-only participant that answers "<name> #<user messages seen>". */
async function chatParticipant(id: string, model = "m"): Promise<FakeUpstream> {
  const u = startFakeUpstream({ models: [model], responses: false });
  u.handle((_req, body) => {
    const users = (JSON.parse(body).messages as Json[]).filter((m) => m.role === "user").length;
    return Response.json({ id: "c", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: `${id} #${users}` }, finish_reason: "stop" }] });
  });
  upstreams.push(u);
  expect((await hub.join(code, { id, nickname: id, model, endpoint: u.url })).status).toBe(201);
  return u;
}

/** A Responses-only participant that stores nothing itself in this test but answers with its own ids. */
async function responsesParticipant(id: string, model = "m"): Promise<FakeUpstream> {
  const u = startFakeUpstream({ models: [model], chat: false });
  let n = 0;
  u.handle(() =>
    Response.json({ id: `resp_${id}_${++n}`, object: "response", created_at: 1, status: "completed", model, output: [{ type: "message", id: `msg_${n}`, status: "completed", role: "assistant", content: [{ type: "output_text", text: `${id} says ${n}`, annotations: [] }] }] }),
  );
  upstreams.push(u);
  expect((await hub.join(code, { id, nickname: id, model, endpoint: u.url })).status).toBe(201);
  return u;
}

const ask = (input: unknown, extra: Json = {}) => hub.post(`/rooms/${code}/v1/responses`, { model: "*", input, ...extra });
const leave = (id: string) => hub.leave(code, id);
const text = (r: Json) => r.output.filter((i: Json) => i.type === "message").flatMap((i: Json) => i.content.map((p: Json) => p.text)).join("");

beforeEach(async () => {
  hub = startTestHub({ responseStore: { maxPerRoom: 3, ttlMs: 60_000 } });
  code = await hub.createRoom();
});
afterEach(async () => {
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
  upstreams = [];
});

test("follow-ups go back to the participant that answered", async () => {
  await chatParticipant("a");
  await chatParticipant("b");
  let res = await ask("1");
  const first = res.headers.get("x-gambi-participant")!;
  let prev = ((await res.json()) as Json).id;
  // Three turns: the store keeps three per room in this test.
  for (const turn of [2, 3]) {
    res = await ask(String(turn), { previous_response_id: prev });
    expect(res.headers.get("x-gambi-participant")).toBe(first);
    const body = (await res.json()) as Json;
    expect(text(body)).toBe(`${first} #${turn}`);
    prev = body.id;
  }
});

test("its participant gone, another serving the same model takes over the whole conversation", async () => {
  const a = await chatParticipant("a");
  const res = await ask("hello", { model: "a" });
  const one = (await res.json()) as Json;
  const b = await chatParticipant("b");
  expect((await leave("a")).status).toBe(200);
  const two = await ask("again", { previous_response_id: one.id });
  expect(two.headers.get("x-gambi-participant")).toBe("b");
  expect(text((await two.json()) as Json)).toBe("b #2");
  expect(JSON.parse(b.inference().at(-1)!.body).messages).toEqual([
    { role: "user", content: "hello" },
    { role: "assistant", content: "a #1" },
    { role: "user", content: "again" },
  ]);
  expect(a.inference()).toHaveLength(1);
});

test("a Responses participant taking over gets the conversation as input, without ids", async () => {
  await chatParticipant("a");
  const r = await responsesParticipant("r");
  const one = (await (await ask("hello", { model: "a" })).json()) as Json;
  await leave("a");
  const two = await ask("again", { previous_response_id: one.id });
  expect(two.headers.get("x-gambi-participant")).toBe("r");
  const sent = JSON.parse(r.inference().at(-1)!.body) as Json;
  expect(sent.previous_response_id).toBeUndefined();
  expect(sent.input.map((i: Json) => [i.type, i.role, i.id])).toEqual([
    ["message", "user", undefined],
    ["message", "assistant", undefined],
    ["message", "user", undefined],
  ]);
});

test("nobody left serving the model → 503; an unknown id → 404", async () => {
  await chatParticipant("a", "m");
  await chatParticipant("z", "other");
  const one = (await (await ask("hello", { model: "a" })).json()) as Json;
  await leave("a");
  const res = await ask("again", { previous_response_id: one.id });
  expect(res.status).toBe(503);
  expect(((await res.json()) as Json).error.message).toContain("nobody online serves m");
  const unknown = await ask("x", { previous_response_id: "resp_unknown" });
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as Json).error).toMatchObject({ code: "previous_response_not_found", param: "previous_response_id" });
});

test("a conversation a Responses participant stored itself stays with it", async () => {
  const r = await responsesParticipant("r");
  await chatParticipant("a");
  const one = (await (await ask("hello", { model: "r" })).json()) as Json;
  expect(one.id).toBe("resp_r_1");
  for (let i = 0; i < 4; i++) {
    const res = await ask("again", { previous_response_id: one.id });
    expect(res.headers.get("x-gambi-participant")).toBe("r");
  }
  expect(JSON.parse(r.inference().at(-1)!.body).previous_response_id).toBe("resp_r_1");
  await leave("r");
  const gone = await ask("again", { previous_response_id: one.id });
  expect(gone.status).toBe(404);
  expect(((await gone.json()) as Json).error.message).toContain("has left the room");
});

test("store: false keeps nothing", async () => {
  await chatParticipant("a");
  const one = (await (await ask("hello", { store: false })).json()) as Json;
  expect((await fetch(`${hub.url}/rooms/${code}/v1/responses/${one.id}`)).status).toBe(404);
  expect((await ask("again", { previous_response_id: one.id })).status).toBe(404);
  expect(hub.hub.ctx.responseStore.size).toBe(0);
});

test("a turn evicted from the store is reported, not skipped", async () => {
  await chatParticipant("a");
  let prev: string | undefined;
  for (let i = 1; i <= 4; i++) prev = ((await (await ask(String(i), prev ? { previous_response_id: prev } : {})).json()) as Json).id;
  const res = await ask("5", { previous_response_id: prev });
  expect(res.status).toBe(404);
  expect(((await res.json()) as Json).error.message).toContain("has expired from the hub's memory");
});

test("cancel of a finished response → 400; lifecycle of an unknown id → 404", async () => {
  await chatParticipant("a");
  const one = (await (await ask("hello")).json()) as Json;
  const cancel = await hub.post(`/rooms/${code}/v1/responses/${one.id}/cancel`, {});
  expect(cancel.status).toBe(400);
  expect(((await cancel.json()) as Json).error.code).toBe("response_not_in_progress");
  const items = await fetch(`${hub.url}/rooms/${code}/v1/responses/${one.id}/input_items?limit=500`);
  expect(items.status).toBe(400);
  expect(((await items.json()) as Json).error.param).toBe("limit");
  for (const [method, path] of [["GET", ""], ["DELETE", ""], ["GET", "/input_items"]] as const) {
    const res = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_nope${path}`, { method });
    expect(res.status).toBe(404);
  }
});
