/**
 * `POST /rooms/:code/v1/messages/count_tokens` through a real hub on port 0, with Anthropic's SDK
 * (`messages.countTokens`): a participant that speaks Messages and serves the model counts (its
 * own answer, the body with its model, its own key and Anthropic's headers, never the client's
 * key); its errors about the request come back in Anthropic's shape; the hub's estimate answers
 * when nobody who speaks Messages serves the model, when the participant has no such route, and
 * when it cannot count now; and a participant that echoes its key leaks it nowhere.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { MANY_AT_ONCE, startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from "../helpers/fake-upstream.ts";

type Json = Record<string, any>;

const KEY = "sk-ant-count-canary-5e0d9a7b31c4";
const CLIENT_KEY = "client-key-canary-0b7f";
let hub: TestHub;
let counter: FakeUpstream;
let plain: FakeUpstream;
let chat: FakeUpstream;
let room: string;
/** What the counting participant answers next, by the request it got. */
let answer: (body: Json, record: RecordedRequest) => Response = () => Response.json({ input_tokens: 42 });

const anthropic = (code = room) => new Anthropic({ baseURL: `${hub.url}/rooms/${code}`, apiKey: CLIENT_KEY, maxRetries: 0 });
const counts = () => counter.requests.filter((r) => r.path === "/v1/messages/count_tokens");
const estimateOf = (chars: number) => Math.ceil(chars / 4);

beforeAll(async () => {
  hub = startTestHub();
  counter = startFakeUpstream({ models: ["claude", "haiku"], chat: false, responses: false, messages: true, countTokens: true, requireHeader: { name: "x-api-key", value: KEY } });
  counter.handle((_req, body, record) => (record.path.endsWith("/count_tokens") ? answer(JSON.parse(body) as Json, record) : Response.json({ error: { message: "not here" } }, { status: 500 })));
  // Speaks Messages but cannot count (a 404 on the route: the fake's default).
  plain = startFakeUpstream({ models: ["tiny"], chat: false, responses: false, messages: true });
  chat = startFakeUpstream({ models: ["gpt"], chat: true, responses: false });
  room = await hub.createRoom({ name: "counting" });
  for (const [id, upstream, model, auth] of [
    ["counter", counter, ["claude", "haiku"], { "x-api-key": KEY }],
    ["plain", plain, ["tiny"], {}],
    ["chat", chat, ["gpt"], {}],
  ] as const) {
    const res = await hub.join(room, { id, nickname: id, models: model, endpoint: upstream.url, authHeaders: auth, ...MANY_AT_ONCE });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await hub.stop();
  await Promise.all([counter.stop(), plain.stop(), chat.stop()]);
});

describe("a participant that speaks Messages and serves the model counts", () => {
  test("its count through the SDK; it got the body with its model, its key, the client's Anthropic version and beta, never the client's key", async () => {
    answer = (body) => Response.json({ input_tokens: 1000 + JSON.stringify(body.messages).length });
    const before = counts().length;
    const messages = [{ role: "user" as const, content: "How many tokens is this?" }];
    const counted = await anthropic().messages.countTokens(
      { model: "counter/haiku", system: "Be brief.", messages, tools: [{ name: "f", input_schema: { type: "object" } }] },
      { headers: { "anthropic-beta": "token-counting-2024-11-01" } },
    );
    expect(counted.input_tokens).toBe(1000 + JSON.stringify(messages).length);
    const got = counts().slice(before);
    expect(got.length).toBe(1);
    expect(JSON.parse(got[0]!.body)).toEqual({ model: "haiku", system: "Be brief.", messages, tools: [{ name: "f", input_schema: { type: "object" } }] });
    // The client's anthropic-version (the SDK sends one), as for /v1/messages.
    expect(got[0]!.headers).toMatchObject({ "x-api-key": KEY, "anthropic-version": expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), "anthropic-beta": "token-counting-2024-11-01" });
    expect(JSON.stringify(got[0]!.headers)).not.toContain(CLIENT_KEY);
  });

  test("`*` and a model it serves go to it (its first model for `*`); the answer says which participant counted", async () => {
    answer = () => Response.json({ input_tokens: 7 });
    for (const [model, sentModel] of [["*", "claude"], ["claude", "claude"], ["model:haiku", "haiku"]]) {
      const before = counts().length;
      const res = await fetch(`${hub.url}/rooms/${room}/v1/messages/count_tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }) });
      expect([res.status, res.headers.get("x-gambi-participant"), await res.json()]).toEqual([200, "counter", { input_tokens: 7 }]);
      expect(JSON.parse(counts().at(before)!.body).model).toBe(sentModel);
    }
  });

  test("its error about the request: the same status, in Anthropic's shape, with its message (the SDK throws it)", async () => {
    answer = () => Response.json({ type: "error", error: { type: "invalid_request_error", message: "messages.0.content: Field required" } }, { status: 400 });
    let err: unknown;
    try {
      await anthropic().messages.countTokens({ model: "claude", messages: [{ role: "user" } as never] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "messages.0.content: Field required" } });
  });
});

describe("the hub's estimate answers instead", () => {
  const body = { system: "x".repeat(40), messages: [{ role: "user" as const, content: "y".repeat(40) }] };

  test("a model served only by a chat participant, and one by a Messages participant without the route (404)", async () => {
    const before = counts().length;
    for (const model of ["gpt", "tiny"]) expect((await anthropic().messages.countTokens({ model, ...body })).input_tokens).toBe(estimateOf(80));
    expect(counts().length).toBe(before);
    expect(plain.requests.some((r) => r.path === "/v1/messages/count_tokens")).toBe(true);
  });

  test("when the participant cannot count now: 401 (its key), 429, 500, 503, 529, a 200 that is no count", async () => {
    for (const res of [
      () => Response.json({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }, { status: 401 }),
      () => Response.json({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }, { status: 429, headers: { "retry-after": "30" } }),
      () => new Response("boom", { status: 500 }),
      () => new Response("down", { status: 503 }),
      () => Response.json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, { status: 529 }),
      () => Response.json({ error: "Unexpected endpoint or method. (POST /v1/messages/count_tokens)" }),
    ]) {
      answer = res;
      const before = counts().length;
      expect((await anthropic().messages.countTokens({ model: "claude", ...body })).input_tokens).toBe(estimateOf(80));
      expect(counts().length).toBe(before + 1);
    }
  });

  test("an offline participant is not asked", async () => {
    const stopped = startFakeUpstream({ models: ["gone"], chat: false, responses: false, messages: true, countTokens: true });
    stopped.handle(() => Response.json({ input_tokens: 999 }));
    expect((await hub.join(room, { id: "gone", nickname: "gone", model: "gone", endpoint: stopped.url, ...MANY_AT_ONCE })).status).toBe(201);
    hub.hub.ctx.registry.find(room)!.scheduler.setStatus("gone", { online: false });
    expect((await anthropic().messages.countTokens({ model: "gone", ...body })).input_tokens).toBe(estimateOf(80));
    expect(stopped.requests.some((r) => r.path.endsWith("/count_tokens"))).toBe(false);
    // Unreachable (its server stopped) while online: the estimate too.
    hub.hub.ctx.registry.find(room)!.scheduler.setStatus("gone", { online: true });
    await stopped.stop();
    expect((await anthropic().messages.countTokens({ model: "gone", ...body })).input_tokens).toBe(estimateOf(80));
  });
});

test("secrets: a participant that echoes its key in its count, a header and an error body leaks it nowhere", async () => {
  const seen: string[] = [];
  const keep = async (res: Response) => seen.push([...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n"), await res.text());
  const post = (extra: Json = {}) => fetch(`${hub.url}/rooms/${room}/v1/messages/count_tokens`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": CLIENT_KEY }, body: JSON.stringify({ model: "claude", messages: [{ role: "user", content: "hi" }], ...extra }) });
  answer = (_body, record) => Response.json({ input_tokens: 3, note: `counted with ${record.headers["x-api-key"]}` }, { headers: { "x-request-id": record.headers["x-api-key"]! } });
  await keep(await post());
  answer = (_body, record) => Response.json({ type: "error", error: { type: "invalid_request_error", message: `bad request for key ${record.headers["x-api-key"]}` } }, { status: 400, headers: { "request-id": record.headers["x-api-key"]! } });
  await keep(await post());
  answer = (_body, record) => new Response(`down, key ${record.headers["x-api-key"]}`, { status: 500 });
  await keep(await post());
  const everything = [...seen, ...hub.logs].join("\n");
  // The echoes happened (the hub had something to cut).
  expect(everything).toContain("counted with ");
  expect(everything).toContain("bad request for key ");
  for (const needle of [KEY, "5e0d9a7b31c4", CLIENT_KEY]) expect(everything).not.toContain(needle);
});
