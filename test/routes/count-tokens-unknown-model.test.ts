/**
 * `POST …/v1/messages/count_tokens` for a model nobody in the room serves answers what
 * `POST …/v1/messages` answers for it, in that room: the same status and the same body (404
 * `not_found_error`, Anthropic's answer to an unknown model), with no participant asked. `*`, a
 * served model and a model whose participants are all offline keep their count or estimate.
 * An in-process hub on port 0, fake participants on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MANY_AT_ONCE, startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

type Json = Record<string, any>;

let hub: TestHub;
let counter: FakeUpstream;
let chat: FakeUpstream;
let room: string;
let empty: string;

const messages = [{ role: "user", content: "y".repeat(40) }];
const post = (code: string, path: string, body: Json) =>
  fetch(`${hub.url}/rooms/${code}/v1/messages${path}`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });
const answer = async (res: Response) => ({ status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Json });
const asked = () => [...counter.requests, ...chat.requests].filter((r) => r.method === "POST" && r.path.startsWith("/v1/") && !r.path.endsWith("/models")).length;

beforeAll(async () => {
  hub = startTestHub();
  counter = startFakeUpstream({ models: ["claude"], chat: false, responses: false, messages: true, countTokens: true });
  counter.handle((_req, _body, record) => (record.path.endsWith("/count_tokens") ? Response.json({ input_tokens: 42 }) : Response.json({ error: { message: "not in this test" } }, { status: 500 })));
  chat = startFakeUpstream({ models: ["gpt"], chat: true, responses: false });
  chat.handle(() => Response.json({ error: { message: "not in this test" } }, { status: 500 }));
  room = await hub.createRoom({ name: "counting" });
  empty = await hub.createRoom({ name: "empty" });
  for (const [id, upstream, model] of [
    ["counter", counter, "claude"],
    ["chat", chat, "gpt"],
  ] as const) {
    expect((await hub.join(room, { id, nickname: id, model, endpoint: upstream.url, ...MANY_AT_ONCE })).status).toBe(201);
  }
});
afterAll(async () => {
  await hub.stop();
  await Promise.all([counter.stop(), chat.stop()]);
});

describe("a model nobody in the room serves: what /v1/messages answers", () => {
  const cases: [string, () => string, string][] = [
    ["a model name", () => room, "opus"],
    ["model: and a name", () => room, "model:opus"],
    ["a participant and a model it does not serve", () => room, "counter/opus"],
    ["a participant that does not exist, with a model someone serves", () => room, "ghost/claude"],
    ["any model in a room with no participant", () => empty, "claude"],
  ];
  for (const [what, code, model] of cases) {
    test(what, async () => {
      const before = asked();
      const inference = await answer(await post(code(), "", { model, max_tokens: 16, messages }));
      const counted = await answer(await post(code(), "/count_tokens", { model, messages }));
      expect(inference.status).toBe(404);
      expect(inference.body).toMatchObject({ type: "error", error: { type: "not_found_error" } });
      expect(inference.body.error.message).toContain(model);
      expect(counted).toEqual(inference);
      expect(asked()).toBe(before);
    });
  }
});

describe("`*` and served models keep their count or estimate", () => {
  test("a model a Messages participant serves: its count; `*`: the same participant", async () => {
    for (const model of ["claude", "*", "counter", "counter/claude"]) {
      const res = await post(room, "/count_tokens", { model, messages });
      expect([res.status, res.headers.get("x-gambi-participant"), await res.json()]).toEqual([200, "counter", { input_tokens: 42 }]);
    }
  });

  test("a model only a chat participant serves: the hub's estimate", async () => {
    const res = await post(room, "/count_tokens", { model: "gpt", messages });
    expect([res.status, await res.json()]).toEqual([200, { input_tokens: 10 }]);
  });

  test("`*` in a room with nobody in it, and a served model whose participant is offline: the estimate, not the 503 inference would get", async () => {
    const star = await post(empty, "/count_tokens", { model: "*", messages });
    expect([star.status, await star.json()]).toEqual([200, { input_tokens: 10 }]);
    const scheduler = hub.hub.ctx.registry.find(room)!.scheduler;
    scheduler.setStatus("counter", { online: false });
    try {
      const before = asked();
      const offline = await post(room, "/count_tokens", { model: "claude", messages });
      expect([offline.status, await offline.json()]).toEqual([200, { input_tokens: 10 }]);
      expect(asked()).toBe(before);
    } finally {
      scheduler.setStatus("counter", { online: true });
    }
  });
});
