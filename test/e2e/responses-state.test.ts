/**
 * How the hub learns whether a Responses participant keeps conversations when the join probe
 * could not tell (hub/responses/state.ts): it asks for the first response it kept
 * (`GET /v1/responses/{id}`, no tokens), and reads a refusal of `previous_response_id` or
 * `store` before the first byte — which it then retries at once with the conversation itself,
 * so the client never sees it. Each change is logged once and published as
 * `participant.updated`.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { waitFor } from "../helpers/fake-upstream.ts";
import { decodeSse } from "../helpers/sse-read.ts";
import type { HubEvent } from "../../src/hub/events/bus.ts";
import { LLAMA_PREVIOUS, startStatelessUpstream, VLLM_STORE, type StatelessOptions, type StatelessUpstream } from "../helpers/stateless-upstream.ts";

type Json = Record<string, any>;

let hub: TestHub;
let code: string;
let upstreams: StatelessUpstream[] = [];
/** The hub's clock: moves one ms per reading, and by hand. */
let clock = 1_800_000_000_000;
/** While set, the hub's lookups of a participant's response wait for it. */
let hold: Promise<void> | undefined;

async function participant(opts: StatelessOptions & { authHeaders?: Record<string, string> }): Promise<StatelessUpstream> {
  const u = startStatelessUpstream(opts);
  upstreams.push(u);
  expect((await hub.join(code, { id: opts.name, nickname: opts.name, model: "m", endpoint: u.url, authHeaders: opts.authHeaders })).status).toBe(201);
  return u;
}
const stateOf = (id: string) => hub.hub.ctx.registry.find(code)!.participants.get(id)!.responsesState;
const client = () => new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
const stateLines = () => hub.logs.filter((l) => l.includes("Responses state"));
/** The room's events, as published (in process: nothing to wait for). */
function watch(): HubEvent[] {
  const seen: HubEvent[] = [];
  hub.hub.ctx.bus.subscribe(code, (e) => seen.push(e));
  return seen;
}

beforeEach(async () => {
  hub = startTestHub({
    now: () => ++clock,
    fetch: async (url, init) => {
      if (hold && init.method === "GET" && url.includes("/v1/responses/")) await hold;
      return fetch(url, init);
    },
  });
  code = await hub.createRoom();
});
afterEach(async () => {
  hold = undefined;
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
  upstreams = [];
});

test("unknown, and its own response is not to be had: stateless, and follow-ups are replayed", async () => {
  const events = watch();
  const u = await participant({ name: "o", probe: "ambiguous", lookup: "missing" });
  expect(stateOf("o")).toBe("unknown");
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  expect(await waitFor(() => stateOf("o") === "stateless")).toBe(true);
  const updated = events.filter((e) => e.type === "participant.updated" && e.data.reason === "responses_state");
  expect(updated).toHaveLength(1);
  expect(updated[0]!.data).toMatchObject({ reason: "responses_state", participant: { id: "o", responsesState: "stateless" } });
  expect(u.lookups()).toEqual([`/v1/responses/${one.id}`]);
  expect(stateLines()).toHaveLength(1);
  expect(stateLines()[0]).toContain(`Responses state unknown → stateless (GET /v1/responses/${one.id} of its own response answered 404)`);

  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(two.output_text).toBe("o #2: again");
  expect(u.posts()[1]).toMatchObject({ store: false });
  expect(u.posts()[1]!.previous_response_id).toBeUndefined();
  // Asked once: it is settled.
  expect(u.lookups()).toHaveLength(1);
});

test("unknown, and it returns its own response: stateful, and follow-ups go to it untouched", async () => {
  const u = await participant({ name: "k", probe: "ambiguous", lookup: "kept" });
  const c = client();
  const one = await c.responses.stream({ model: "*", input: "hello" }).finalResponse();
  expect(await waitFor(() => stateOf("k") === "stateful")).toBe(true);
  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(two.output_text).toBe("k #2: again");
  expect(u.posts()[1]).toMatchObject({ previous_response_id: one.id, input: "again" });
  // Its first turn stays in the hub's keeping; the ones after are its own.
  expect(hub.hub.ctx.responseStore.size).toBe(1);
  expect((await c.responses.retrieve(two.id)).output_text).toBe("k #2: again");
  expect(u.lookups()).toEqual([`/v1/responses/${one.id}`, `/v1/responses/${two.id}`]);
});

test("a lookup that tells nothing leaves it unknown (follow-ups replayed) and is tried again a minute later", async () => {
  const u = await participant({ name: "x", probe: "ambiguous", lookup: "outage" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.participants.get("x")!.stateCheck === undefined)).toBe(true);
  expect(stateOf("x")).toBe("unknown");
  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(two.output_text).toBe("x #2: again");
  expect(u.posts()[1]!.previous_response_id).toBeUndefined();
  expect(u.lookups()).toHaveLength(1);
  clock += 60_000;
  await c.responses.create({ model: "*", input: "later" });
  expect(await waitFor(() => u.lookups().length === 2)).toBe(true);
});

test("a response the hub did not keep (store: false) is not sent on to a participant not known to keep it", async () => {
  const u = await participant({ name: "x", probe: "ambiguous", lookup: "outage" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello", store: false });
  const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "again", previous_response_id: one.id });
  expect(res.status).toBe(404);
  expect(((await res.json()) as Json).error).toMatchObject({ code: "previous_response_not_found", param: "previous_response_id" });
  // Ollama would have answered it, without the conversation.
  expect(u.posts()).toHaveLength(1);
  expect(u.lookups()).toEqual([]);
});

test("a follow-up sent while the lookup is under way waits for its answer", async () => {
  let release!: () => void;
  hold = new Promise<void>((r) => (release = r));
  const u = await participant({ name: "k", probe: "ambiguous", lookup: "kept" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  const room = hub.hub.ctx.registry.find(code)!;
  expect(room.participants.get("k")!.stateCheck).toBeDefined();
  const before = room.lastActiveAt;
  const follow = c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  // The follow-up reached the hub (the route touches the room, then dispatches up to the wait)…
  expect(await waitFor(() => room.lastActiveAt !== before)).toBe(true);
  release();
  expect((await follow).output_text).toBe("k #2: again");
  // …and went as the lookup's answer said: to a participant that keeps its responses, untouched.
  expect(u.posts()[1]).toMatchObject({ previous_response_id: one.id, input: "again" });
});

test("a refusal of previous_response_id before the first byte is retried with the conversation; the client never sees it", async () => {
  const events = watch();
  for (const stream of [false, true]) {
    const name = stream ? "s" : "n";
    // It returns its responses, so the hub takes it for stateful; then it refuses to continue one
    // (another server was put behind the endpoint).
    const u = await participant({ name, probe: "ambiguous", lookup: "kept", refusePrevious: true });
    const c = client();
    const one = await c.responses.create({ model: name, input: "hello" });
    expect(await waitFor(() => stateOf(name) === "stateful")).toBe(true);
    const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "again", previous_response_id: one.id, stream });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-gambi-request-id")!;
    const body = await res.text();
    expect(body).toContain(`${name} #2: again`);
    expect(body).not.toContain("previous_response_id'.");
    const [, refused, replayed] = u.posts();
    expect(u.posts()).toHaveLength(3);
    expect(refused).toMatchObject({ previous_response_id: one.id, input: "again" });
    expect(replayed!.previous_response_id).toBeUndefined();
    expect(replayed!.input.map((i: Json) => i.role)).toEqual(["user", "assistant", "user"]);
    expect(stateOf(name)).toBe("stateless");
    expect(stateLines().at(-1)).toContain(`stateful → stateless (it refused previous_response_id: HTTP 400 "${LLAMA_PREVIOUS}")`);
    // The room saw one request and one completion, no error.
    expect(events.filter((e) => e.data.requestId === requestId).map((e) => e.type)).toEqual(["llm.request", "llm.complete"]);
    // The replayed turn is the hub's to keep now.
    const two = (stream ? JSON.parse(decodeSse(new TextEncoder().encode(body)).find((e) => e.event === "response.completed")!.data).response : JSON.parse(body)) as Json;
    expect(two.previous_response_id).toBe(one.id);
    const three = await c.responses.create({ model: "*", input: "more", previous_response_id: two.id });
    expect(three.output_text).toBe(`${name} #3: more`);
  }
});

test("a participant that lost a response (restarted) gets the conversation instead, and stays stateful", async () => {
  const u = await participant({ name: "v", probe: "ambiguous", lookup: "kept" });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  expect(await waitFor(() => stateOf("v") === "stateful")).toBe(true);
  u.forget();
  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(two.output_text).toBe("v #2: again");
  const [, refused, replayed] = u.posts();
  expect(refused!.previous_response_id).toBe(one.id);
  expect(replayed!.previous_response_id).toBeUndefined();
  expect(stateOf("v")).toBe("stateful");
});

test("a refusal of store (vLLM without its store) makes it stateless, and the turn goes again with store: false", async () => {
  const u = await participant({ name: "vllm", probe: "ambiguous", lookup: "missing", refuseStore: true });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  expect(one.output_text).toBe("vllm #1: hello");
  expect(u.posts().map((p) => p.store)).toEqual([undefined, false]);
  expect(stateOf("vllm")).toBe("stateless");
  expect(stateLines()[0]).toContain(`unknown → stateless (it refused store: HTTP 400 "${VLLM_STORE.slice(0, 40)}`);
  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(two.output_text).toBe("vllm #2: again");
  expect(hub.hub.ctx.responseStore.size).toBe(2);
  // Settled by the refusal: no lookup needed.
  expect(u.lookups()).toEqual([]);
});

test("a re-join of the same endpoint keeps what the hub learned when the probe cannot tell", async () => {
  const u = await participant({ name: "o", probe: "ambiguous", lookup: "missing" });
  await client().responses.create({ model: "*", input: "hello" });
  expect(await waitFor(() => stateOf("o") === "stateless")).toBe(true);
  expect((await hub.join(code, { id: "o", nickname: "o", model: "m", endpoint: u.url })).status).toBe(201);
  expect(stateOf("o")).toBe("stateless");
});

test("secrets: a refusal that echoes the participant's key is logged, published and kept without it", async () => {
  const KEY = "sk-refusal-canary-91b2";
  const events = watch();
  const u = await participant({ name: "e", probe: "ambiguous", lookup: "kept", refusePrevious: true, echo: ` [${KEY}]`, requireHeader: { name: "authorization", value: `Bearer ${KEY}` }, authHeaders: { Authorization: `Bearer ${KEY}` } });
  const c = client();
  const one = await c.responses.create({ model: "*", input: "hello" });
  expect(await waitFor(() => stateOf("e") === "stateful")).toBe(true);
  const two = await c.responses.create({ model: "*", input: "again", previous_response_id: one.id });
  expect(stateOf("e")).toBe("stateless");
  expect(stateLines().at(-1)).toContain("[redacted]");
  const everything = [hub.logs.join("\n"), JSON.stringify(events), JSON.stringify(two), JSON.stringify(await c.responses.retrieve(two.id)), JSON.stringify(await c.responses.retrieve(one.id))];
  for (const text of everything) expect(text).not.toContain(KEY);
  // The lookup went to its own endpoint, with its key.
  expect(u.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1/responses/")).every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
});
