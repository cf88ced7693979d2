/**
 * Responses conversations on participants that speak the Responses API but keep no state
 * (llama.cpp, Ollama, OpenRouter, vLLM without its store): the hub keeps every turn, sends each
 * follow-up the whole conversation instead of `previous_response_id`, puts `item_reference`s
 * back, answers the lifecycle routes itself, and hands a conversation to another participant
 * when its own leaves — through the official `openai` package and the Vercel AI SDK. A
 * participant that keeps state still gets `previous_response_id` as sent.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs } from "ai";
import { weatherTools } from "../helpers/weather-tool.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startStatelessUpstream, type StatelessOptions, type StatelessUpstream } from "../helpers/stateless-upstream.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;

let hub: TestHub;
let code: string;
let upstreams: FakeUpstream[] = [];

async function stateless(opts: StatelessOptions & { authHeaders?: Record<string, string> }): Promise<StatelessUpstream> {
  const u = startStatelessUpstream(opts);
  upstreams.push(u);
  const res = await hub.join(code, { id: opts.name, nickname: opts.name, model: opts.model ?? "m", endpoint: u.url, authHeaders: opts.authHeaders });
  expect(res.status).toBe(201);
  expect(((await res.json()) as Json).participant.responsesState).toBe(opts.probe === "ambiguous" ? "unknown" : (opts.probe ?? "stateless"));
  return u;
}

const client = () => new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
/** An input item as the participant was sent it: role and text. */
const said = (items: Json[]) => items.map((i) => [i.role, typeof i.content === "string" ? i.content : i.content.map((p: Json) => p.text).join("")]);

beforeEach(async () => {
  hub = startTestHub();
  code = await hub.createRoom();
});
afterEach(async () => {
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
  upstreams = [];
});

describe("a three-turn previous_response_id conversation on a stateless participant", () => {
  for (const stream of [false, true]) {
    test(stream ? "streamed" : "not streamed", async () => {
      const u = await stateless({ name: "llama" });
      const c = client();
      const ask = (input: string, previous_response_id?: string) =>
        stream ? c.responses.stream({ model: "*", input, previous_response_id }).finalResponse() : c.responses.create({ model: "*", input, previous_response_id });
      const one = await ask("my name is Ana");
      const two = await ask("what is my name?", one.id);
      const three = await ask("and again?", two.id);
      expect([one, two, three].map((r) => r.output_text)).toEqual(["llama #1: my name is Ana", "llama #2: what is my name?", "llama #3: and again?"]);
      // Its own ids, untouched.
      expect([one.id, two.id, three.id]).toEqual(["resp_llama_1", "resp_llama_2", "resp_llama_3"]);
      // The answer says which response it continues, as OpenAI's does, though the participant
      // never saw the id: a body is given back with it, a stream goes through the repairing pass
      // to echo it — which is not the participant's fault, so it is not told it needs repairs.
      expect([two.previous_response_id, three.previous_response_id]).toEqual([one.id, two.id]);
      if (stream) expect(hub.hub.ctx.registry.find(code)!.participants.get("llama")!.repairs).toBeUndefined();

      const posts = u.posts();
      expect(posts).toHaveLength(3);
      for (const p of posts) {
        expect(p.previous_response_id).toBeUndefined();
        // The hub keeps the conversation; the participant is told not to.
        expect(p.store).toBe(false);
      }
      expect(said(posts[2]!.input)).toEqual([
        ["user", "my name is Ana"],
        ["assistant", "llama #1: my name is Ana"],
        ["user", "what is my name?"],
        ["assistant", "llama #2: what is my name?"],
        ["user", "and again?"],
      ]);
      // Replayed items carry no ids: they name items only the hub has.
      expect(posts[2]!.input.every((i: Json) => i.id === undefined)).toBe(true);
      expect(u.lookups()).toEqual([]);
      expect(hub.hub.ctx.responseStore.size).toBe(3);
    });
  }
});

describe("the lifecycle routes answer from the hub's copy (openai package)", () => {
  test("retrieve, inputItems, delete", async () => {
    const u = await stateless({ name: "llama" });
    const c = client();
    const one = await c.responses.create({ model: "*", input: "hello", instructions: "be brief" });
    const two = await c.responses.create({ model: "*", input: [{ role: "user", content: "again" }], previous_response_id: one.id });

    const got = await c.responses.retrieve(two.id);
    expect(got).toMatchObject({ id: two.id, status: "completed", previous_response_id: one.id });
    expect(got.output_text).toBe("llama #2: again");
    const items = await c.responses.inputItems.list(two.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "again" }] });
    expect((await c.responses.inputItems.list(one.id)).data[0]).toMatchObject({ role: "user", content: [{ type: "input_text", text: "hello" }] });

    await c.responses.delete(two.id);
    expect(await failure(c.responses.retrieve(two.id))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await failure(c.responses.create({ model: "*", input: "x", previous_response_id: two.id }))).toBeInstanceOf(OpenAI.NotFoundError);
    // None of it reached the participant (it has no such routes).
    expect(u.lookups()).toEqual([]);
    expect(u.posts()).toHaveLength(2);
  });

  test("cancel aborts a stream in progress, which ends with response_cancelled; a finished one cannot be", async () => {
    const u = await stateless({ name: "llama" });
    const s = controlledStream();
    u.handle(() => s.response());
    const c = client();
    const stream = c.responses.stream({ model: "*", input: "long story" });
    let id: string | undefined;
    stream.on("response.created", (e) => (id = e.response.id));
    const done = stream.finalResponse().then(
      () => "completed",
      (err: Error) => err.message,
    );
    const created = { id: "resp_long", object: "response", created_at: 1, status: "in_progress", model: "m", output: [] };
    s.send(`event: response.created\ndata: ${JSON.stringify({ type: "response.created", sequence_number: 0, response: created })}\n\n`);
    expect(await waitFor(() => id !== undefined, 5000)).toBe(true);
    expect((await c.responses.retrieve(id!)).status).toBe("in_progress");
    const cancelled = await c.responses.cancel(id!);
    expect(cancelled).toMatchObject({ id: "resp_long", status: "cancelled" });
    expect(await done).toContain("cancelled");
    expect(await waitFor(() => u.inference().at(-1)!.aborted, 5000)).toBe(true);
    expect((await c.responses.retrieve(id!)).status).toBe("cancelled");
    const again = await failure(c.responses.cancel(id!));
    expect(again).toBeInstanceOf(OpenAI.BadRequestError);
    expect(again.code).toBe("response_not_in_progress");
  });
});

test("store: false keeps nothing, and the hub says so instead of the participant's refusal", async () => {
  const u = await stateless({ name: "llama" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello", store: false });
  expect(hub.hub.ctx.responseStore.size).toBe(0);
  expect(await failure(c.responses.retrieve(one.id))).toBeInstanceOf(OpenAI.NotFoundError);
  const follow = await failure(c.responses.create({ model: "*", input: "again", previous_response_id: one.id }));
  expect(follow).toBeInstanceOf(OpenAI.NotFoundError);
  expect(follow.code).toBe("previous_response_not_found");
  expect(follow.message).toContain("keeps no conversations");
  expect(u.posts()).toHaveLength(1);
});

test("item_reference items are put back before the participant sees them", async () => {
  const u = await stateless({ name: "llama" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  const said1 = one.output[0]!.id!;
  const userItem = (await c.responses.inputItems.list(one.id)).data[0]!.id;
  const two = await c.responses.create({
    model: "*",
    input: [
      { type: "item_reference", id: userItem },
      { type: "item_reference", id: said1 },
      { role: "user", content: "again" },
    ],
  });
  expect(two.output_text).toBe("llama #2: again");
  expect(said(u.posts()[1]!.input)).toEqual([
    ["user", "hello"],
    ["assistant", "llama #1: hello"],
    ["user", "again"],
  ]);
  const missing = await failure(c.responses.create({ model: "*", input: [{ type: "item_reference", id: "msg_nope" }] }));
  expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  expect(missing.code).toBe("item_not_found");
});

test("a Vercel AI SDK tool loop: step 2 refers to step 1 by item_reference, and the participant gets the items", async () => {
  const u = await stateless({ name: "llama" });
  const provider = createOpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused" });
  const calls: unknown[] = [];
  const result = await generateText({
    model: provider.responses("*"),
    prompt: "weather in Paris?",
    tools: weatherTools(calls),
    stopWhen: stepCountIs(3),
  });
  expect(calls).toEqual([{ city: "Paris" }]);
  expect(result.text).toBe("weather: sunny");
  const [first, second] = u.posts();
  expect(first!.input.some((i: Json) => i.type === "item_reference")).toBe(false);
  expect(second!.input.some((i: Json) => i.type === "item_reference")).toBe(false);
  expect(second!.input.map((i: Json) => i.type ?? "message")).toEqual(["message", "function_call", "function_call_output"]);
  expect(second!.input[1]).toMatchObject({ type: "function_call", call_id: "call_1", name: "get_weather" });
});

describe("affinity and take-over", () => {
  test("follow-ups stay with the participant that answered while it is online", async () => {
    const a = await stateless({ name: "a" });
    const b = await stateless({ name: "b" });
    const c = client();
    const one = await c.responses.create({ model: "a", input: "1" });
    let prev = one.id;
    for (const turn of ["2", "3"]) prev = (await c.responses.create({ model: "*", input: turn, previous_response_id: prev })).id;
    expect(a.posts()).toHaveLength(3);
    expect(b.posts()).toHaveLength(0);
  });

  test("its participant gone, another serving the same model continues the whole conversation", async () => {
    const a = await stateless({ name: "a" });
    const b = await stateless({ name: "b" });
    const c = client();
    const one = await c.responses.create({ model: "a", input: "hello" });
    expect((await hub.leave(code, "a")).status).toBe(200);
    const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
    expect(two.output_text).toBe("b #2: again");
    expect(said(b.posts()[0]!.input)).toEqual([
      ["user", "hello"],
      ["assistant", "a #1: hello"],
      ["user", "again"],
    ]);
    // b's turn is kept too: the conversation goes on from it.
    const three = await c.responses.create({ model: "*", input: "and on", previous_response_id: two.id });
    expect(three.output_text).toBe("b #3: and on");
    expect(a.posts()).toHaveLength(1);
  });

  test("a participant that keeps state taking over gets the conversation as input, then keeps its own", async () => {
    await stateless({ name: "a" });
    const keeper = startStatelessUpstream({ name: "k", probe: "stateful", lookup: "kept" });
    upstreams.push(keeper);
    expect((await hub.join(code, { id: "k", nickname: "k", model: "m", endpoint: keeper.url })).status).toBe(201);
    const c = client();
    const one = await c.responses.create({ model: "a", input: "hello" });
    await hub.leave(code, "a");
    const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
    expect(two.output_text).toBe("k #2: again");
    expect(keeper.posts()[0]!.previous_response_id).toBeUndefined();
    const three = await c.responses.create({ model: "*", input: "more", previous_response_id: two.id });
    expect(three.output_text).toBe("k #3: more");
    expect(keeper.posts()[1]).toMatchObject({ previous_response_id: two.id, input: "more" });
  });
});

test("a participant that keeps state still gets previous_response_id as sent, and the hub keeps nothing", async () => {
  const keeper = startStatelessUpstream({ name: "k", probe: "stateful", lookup: "kept" });
  upstreams.push(keeper);
  expect((await hub.join(code, { id: "k", nickname: "k", model: "m", endpoint: keeper.url })).status).toBe(201);
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  const two = await c.responses.stream({ model: "*", input: "again", previous_response_id: one.id }).finalResponse();
  expect(two.output_text).toBe("k #2: again");
  expect(keeper.posts()[1]).toMatchObject({ previous_response_id: one.id, input: "again" });
  expect(keeper.posts()[1]!.store).toBeUndefined();
  expect(hub.hub.ctx.responseStore.size).toBe(0);
  // Lifecycle calls go to it.
  expect((await c.responses.retrieve(one.id)).output_text).toBe("k #1: hello");
  expect(keeper.lookups()).toEqual([`/v1/responses/${one.id}`]);
});

test("secrets: a participant's key is never stored, returned, replayed to another participant, or logged", async () => {
  const KEY = "sk-stateless-canary-7f3a9c";
  const a = await stateless({ name: "a", requireHeader: { name: "authorization", value: `Bearer ${KEY}` }, authHeaders: { Authorization: `Bearer ${KEY}` }, echo: ` (key ${KEY})` });
  const b = await stateless({ name: "b" });
  const c = client();
  const one = await c.responses.create({ model: "a", input: "hello" });
  const streamed = await c.responses.stream({ model: "*", input: "again", previous_response_id: one.id }).finalResponse();
  // A non-streamed follow-up's answer is given back with its previous id: from the redacted copy.
  const echoed = await c.responses.create({ model: "*", input: "once more", previous_response_id: streamed.id });
  expect(echoed.previous_response_id).toBe(streamed.id);
  await hub.leave(code, "a");
  await c.responses.create({ model: "*", input: "b now", previous_response_id: streamed.id });
  const seen = [
    JSON.stringify(echoed),
    JSON.stringify(one),
    JSON.stringify(streamed),
    JSON.stringify(await c.responses.retrieve(one.id)),
    JSON.stringify(await c.responses.retrieve(streamed.id)),
    JSON.stringify(await c.responses.inputItems.list(streamed.id)),
    b.inference().map((r) => r.body).join("\n"),
    JSON.stringify([...hub.hub.ctx.responseStore["rooms"].values()].flatMap((m: any) => [...m.valuesNewestFirst()])),
    hub.logs.join("\n"),
  ];
  for (const text of seen) expect(text).not.toContain(KEY);
  expect(seen[0]).toContain("[redacted]");
  expect(seen[3]).toContain("[redacted]");
  // It went where it belongs: to a's own endpoint, on every request.
  for (const r of a.requests) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
});

test("a participant's malformed output is kept as items only: later follow-ups and item references do not break", async () => {
  const u = await stateless({ name: "odd" });
  let n = 0;
  const outputs: unknown[] = [[null, "text", { id: "msg_ok", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "fine", annotations: [] }] }], "not a list"];
  u.handle(() => Response.json({ id: `resp_odd_${++n}`, object: "response", status: "completed", model: "m", output: outputs[n - 1] ?? [] }));
  const ask = (body: Json) => hub.post(`/rooms/${code}/v1/responses`, { model: "*", ...body });
  const one = (await (await ask({ input: "hello" })).json()) as Json;
  const two = (await (await ask({ input: "again", previous_response_id: one.id })).json()) as Json;
  const three = await ask({ input: [{ type: "item_reference", id: "msg_ok" }, { type: "item_reference", id: "msg_nope" }], previous_response_id: two.id });
  expect(three.status).toBe(404);
  expect(((await three.json()) as Json).error.code).toBe("item_not_found");
  const four = await ask({ input: [{ type: "item_reference", id: "msg_ok" }], previous_response_id: two.id });
  expect(four.status).toBe(200);
  const sent = JSON.parse(u.inference().at(-1)!.body) as Json;
  expect(said(sent.input)).toEqual([
    ["user", "hello"],
    ["assistant", "fine"],
    ["user", "again"],
    ["assistant", "fine"],
  ]);
  expect((await (await fetch(`${hub.url}/rooms/${code}/v1/responses/${two.id}`)).json()) as Json).toMatchObject({ id: two.id, output: [] });
});
