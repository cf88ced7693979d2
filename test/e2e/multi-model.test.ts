/**
 * One participant, several models from one endpoint (`models` in the join body): the join
 * checks each against the endpoint's list, a request for each model reaches the participant
 * with that model in the upstream body, `GET /v1/models` lists every (participant, model) pair,
 * the models share the participant's one `inFlight`, and a conversation the hub kept moves to
 * whoever serves its model, among all they serve.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { chatCompletion, controlledStream, startFakeUpstream, waitFor, type FakeUpstream, type Handler } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";

type Json = Record<string, any>;
let hub: TestHub;
const upstreams: FakeUpstream[] = [];

/** An answer naming the model it was asked for. */
const answerWithModel: Handler = (_req, body) => chatCompletion(JSON.parse(body).model, `answered by ${JSON.parse(body).model}`);

/** A chat-only endpoint listing `listed`, answering with the model it was asked for. */
function endpoint(listed: string[]): FakeUpstream {
  const u = startFakeUpstream({ models: listed, responses: false });
  u.handle(answerWithModel);
  upstreams.push(u);
  return u;
}

beforeAll(() => {
  hub = startTestHub();
});
afterAll(async () => {
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
});

const chat = (code: string, model: string, extra: Json = {}) => hub.post(`/rooms/${code}/v1/chat/completions`, { model, messages: [{ role: "user", content: "hi" }], ...extra });
const sentModel = (u: FakeUpstream) => JSON.parse(u.inference().at(-1)!.body).model;

describe("joining with several models", () => {
  test("models: both kept, the first is the default and the `model` older clients read", async () => {
    const u = endpoint(["m1", "m2", "m3"]);
    const code = await hub.createRoom();
    const res = await hub.join(code, { nickname: "multi", models: ["m1", "m2"], endpoint: u.url });
    expect(res.status).toBe(201);
    const { participant } = (await res.json()) as Json;
    expect(participant).toMatchObject({ model: "m1", models: ["m1", "m2"] });
    const listed = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as Json;
    expect(listed.participants[0]).toMatchObject({ model: "m1", models: ["m1", "m2"] });
    expect(hub.logs.some((l) => l.includes("models=m1,m2"))).toBe(true);
  });

  test("model alone still works: one model", async () => {
    const code = await hub.createRoom();
    const res = await hub.join(code, { nickname: "one", model: "m2", endpoint: endpoint(["m1", "m2"]).url });
    expect(((await res.json()) as Json).participant).toMatchObject({ model: "m2", models: ["m2"] });
  });

  test("model with models: accepted when it is models[0], else 400 naming `model`", async () => {
    const u = endpoint(["m1", "m2"]);
    const code = await hub.createRoom();
    expect((await hub.join(code, { nickname: "same", model: "m1", models: ["m1", "m2"], endpoint: u.url })).status).toBe(201);
    const res = await hub.join(code, { nickname: "other", model: "m2", models: ["m1", "m2"], endpoint: u.url });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error).toMatchObject({ code: "invalid_request", param: "model" });
    expect(error.message).toContain("must be the first of");
  });

  test("neither model nor models → 400 naming `model`; an empty or repeating list → 400 naming `models`", async () => {
    const u = endpoint(["m1", "m2"]);
    const code = await hub.createRoom();
    const none = await hub.join(code, { nickname: "none", endpoint: u.url });
    expect(none.status).toBe(400);
    expect(((await none.json()) as Json).error).toMatchObject({ code: "invalid_request", param: "model" });
    for (const models of [[], ["m1", "m1"], ["m1", ""], "m1"]) {
      const res = await hub.join(code, { nickname: "bad", models, endpoint: u.url });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error.param).toStartWith("models");
    }
    expect(u.requests).toHaveLength(0);
  });

  test("each model is checked against the endpoint's list, the missing ones named; allowUnlistedModel lets them through", async () => {
    const u = endpoint(["m1", "m2"]);
    const code = await hub.createRoom();
    const res = await hub.join(code, { nickname: "typo", models: ["m1", "m9", "m8"], endpoint: u.url });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error).toMatchObject({ code: "model_not_found", param: "models" });
    expect(error.message).toContain('models "m9", "m8" are not served by');
    expect(error.message).not.toContain('"m1"');
    expect((await hub.join(code, { nickname: "typo", models: ["m1", "m9"], endpoint: u.url, allowUnlistedModel: true })).status).toBe(201);
  });
});

describe("routing by model", () => {
  let code: string;
  let a: FakeUpstream;
  let b: FakeUpstream;
  beforeAll(async () => {
    a = endpoint(["m1", "m2"]);
    b = endpoint(["m2", "m3"]);
    code = await hub.createRoom({ name: "multi-model routing" });
    expect((await hub.join(code, { id: "pa", nickname: "alice", models: ["m1", "m2"], endpoint: a.url })).status).toBe(201);
    expect((await hub.join(code, { id: "pb", nickname: "bob", models: ["m3"], endpoint: b.url })).status).toBe(201);
  });

  test("a request for each model reaches the same participant with that model in the body", async () => {
    for (const model of ["m1", "m2", "model:m2", "model:m1"]) {
      const res = await chat(code, model);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gambi-participant")).toBe("pa");
      expect(sentModel(a)).toBe(model.replace("model:", ""));
      expect(((await res.json()) as Json).model).toBe(model.replace("model:", ""));
    }
  });

  test("the participant's id gets its first model; <id>/<model> gets that one", async () => {
    expect((await chat(code, "pa")).headers.get("x-gambi-participant")).toBe("pa");
    expect(sentModel(a)).toBe("m1");
    expect((await chat(code, "pa/m2")).headers.get("x-gambi-participant")).toBe("pa");
    expect(sentModel(a)).toBe("m2");
    expect((await chat(code, "pb/m1")).status).toBe(404);
  });

  test("`*` sends each participant its first model", async () => {
    // Two at once, the first held by its participant: the second goes to the other, since the
    // least loaded is chosen before the fastest (pool/choose.ts). One after the other, the one
    // measured faster would get them all, whichever it was on this run.
    const held = Promise.withResolvers<void>();
    for (const u of [a, b]) u.handle(async (req, body, record) => (await held.promise, answerWithModel(req, body, record)));
    try {
      const arrived = () => a.inference().length + b.inference().length;
      const before = arrived();
      const first = chat(code, "*");
      expect(await waitFor(() => arrived() === before + 1)).toBe(true);
      const second = chat(code, "*");
      expect(await waitFor(() => arrived() === before + 2)).toBe(true);
      held.resolve();
      const who = await Promise.all([first, second].map(async (res) => (await res).headers.get("x-gambi-participant")));
      expect(who.toSorted()).toEqual(["pa", "pb"]);
      expect(sentModel(a)).toBe("m1");
      expect(sentModel(b)).toBe("m3");
    } finally {
      held.resolve();
      for (const u of [a, b]) u.handle(answerWithModel);
    }
  });

  test("Responses through a chat-only participant: the body, the Response and what the hub keeps carry the model asked for", async () => {
    const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "m2", input: "hi" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(sentModel(a)).toBe("m2");
    expect(body.model).toBe("m2");
    expect(hub.hub.ctx.responseStore.get(code, body.id)!.model).toBe("m2");
  });

  test("GET /v1/models lists each (participant, model) pair, each id routing to its pair", async () => {
    const { data } = (await (await fetch(`${hub.url}/rooms/${code}/v1/models`)).json()) as Json;
    expect(data.map((m: Json) => [m.id, m.owned_by, m.gambi.participantId, m.gambi.model])).toEqual([
      ["pa", "alice", "pa", "m1"],
      ["pa/m2", "alice", "pa", "m2"],
      ["pb", "bob", "pb", "m3"],
    ]);
    for (const entry of data as Json[]) {
      const res = await chat(code, entry.id);
      expect(res.headers.get("x-gambi-participant")).toBe(entry.gambi.participantId);
      expect(sentModel(entry.gambi.participantId === "pa" ? a : b)).toBe(entry.gambi.model);
    }
  });

  test("llm.request and llm.complete name the model the request was sent with", async () => {
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    await (await chat(code, "m2")).text();
    expect((await events.next("llm.request")).data).toMatchObject({ participantId: "pa", model: "m2", requested: "m2" });
    expect((await events.next("llm.complete")).data).toMatchObject({ participantId: "pa", model: "m2" });
    await events.close();
  });
});

test("the models share the participant's one inFlight: busy with m1, it is busy for m2 too", async () => {
  const a = endpoint(["m1", "m2"]);
  const b = endpoint(["m2"]);
  const code = await hub.createRoom();
  expect((await hub.join(code, { id: "a", nickname: "a", models: ["m1", "m2"], endpoint: a.url })).status).toBe(201);
  expect((await hub.join(code, { id: "b", nickname: "b", model: "m2", endpoint: b.url })).status).toBe(201);
  const s = controlledStream();
  a.handle(() => s.response());
  s.send('data: {"choices":[]}\n\n');
  const busy = await chat(code, "m1", { stream: true });
  expect(busy.headers.get("x-gambi-participant")).toBe("a");
  expect(hub.hub.ctx.registry.find(code)!.scheduler.memberView("a")!.inFlight).toBe(1);
  for (let i = 0; i < 5; i++) expect((await chat(code, "m2")).headers.get("x-gambi-participant")).toBe("b");
  s.end();
  await busy.text();
});

test("a kept conversation's participant gone: one serving its model among several takes over, sent that model", async () => {
  const a = endpoint(["m1", "m2"]);
  const b = endpoint(["m0", "m2"]);
  const code = await hub.createRoom();
  expect((await hub.join(code, { id: "a", nickname: "a", models: ["m1", "m2"], endpoint: a.url })).status).toBe(201);
  const one = (await (await hub.post(`/rooms/${code}/v1/responses`, { model: "m2", input: "hello" })).json()) as Json;
  expect(one.model).toBe("m2");
  expect((await hub.join(code, { id: "b", nickname: "b", models: ["m0", "m2"], endpoint: b.url })).status).toBe(201);
  expect((await hub.leave(code, "a")).status).toBe(200);
  const two = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "again", previous_response_id: one.id });
  expect(two.status).toBe(200);
  expect(two.headers.get("x-gambi-participant")).toBe("b");
  expect(sentModel(b)).toBe("m2");
  expect(((await two.json()) as Json).model).toBe("m2");
});

test("with nobody serving the conversation's model, the take-over is refused as before", async () => {
  const a = endpoint(["m1", "m2"]);
  const b = endpoint(["m1"]);
  const code = await hub.createRoom();
  expect((await hub.join(code, { id: "a", nickname: "a", models: ["m1", "m2"], endpoint: a.url })).status).toBe(201);
  expect((await hub.join(code, { id: "b", nickname: "b", model: "m1", endpoint: b.url })).status).toBe(201);
  const one = (await (await hub.post(`/rooms/${code}/v1/responses`, { model: "m2", input: "hello" })).json()) as Json;
  await hub.leave(code, "a");
  const two = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "again", previous_response_id: one.id });
  expect(two.status).toBe(503);
  expect(((await two.json()) as Json).error.message).toContain("nobody online serves m2");
});

test("the longest pair /v1/models can list (a 64-character id, a 256-character model) routes", async () => {
  const long = "m".repeat(256);
  const id = "p".repeat(64);
  const u = endpoint(["m1", long]);
  const code = await hub.createRoom();
  expect((await hub.join(code, { id, nickname: "long", models: ["m1", long], endpoint: u.url })).status).toBe(201);
  const { data } = (await (await fetch(`${hub.url}/rooms/${code}/v1/models`)).json()) as Json;
  expect(data[1].id).toBe(`${id}/${long}`);
  const res = await chat(code, data[1].id);
  expect(res.status).toBe(200);
  expect(sentModel(u)).toBe(long);
});
