/**
 * Participants that speak Anthropic's Messages API, with Messages clients: the probe finds
 * /v1/messages and the hub passes requests through, the answer's bytes untouched, streamed and
 * not (every recording in test/fixtures/messages/ replayed by a Messages-only fake on port 0).
 * Anthropic's SDK (`@anthropic-ai/sdk`) reads what the recording says; the hub sends
 * `anthropic-version` (the client's, else 2023-06-01) and the client's `anthropic-beta`, never
 * the client's key; usage reaches the room's events and ledger from `message_start` /
 * `message_delta` (and the body); errors come back in Anthropic's shape; a 529 or a stream that
 * opens with `event: error` goes to another participant; a tunnelled Messages participant works
 * the same.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { MANY_AT_ONCE, type TestHub } from "../helpers/hub.ts";
import { startMessagesRoom, type MessagesRoom } from "../helpers/one-protocol-rooms.ts";
import { controlledStream, sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { fixtureStatus, loadFixtures, splitEvents, type Fixture } from "../helpers/fixtures.ts";
import { decodeSse, readSse } from "../helpers/sse-read.ts";
import { readEvents } from "../helpers/events.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { joinThroughTunnel } from "../helpers/tunnel.ts";
import type { RoomUsage } from "../../src/hub/ledger/usage-view.ts";

type Json = Record<string, any>;

const fixtures = loadFixtures(["messages"]);
const fixture = (name: string) => fixtures.find((f) => f.name === name)!;
const replay = (f: Fixture) => () => new Response(f.bytes, { status: fixtureStatus(f.name), headers: { "content-type": f.stream ? "text/event-stream" : "application/json" } });

let rooms: MessagesRoom;
let hub: TestHub;
let upstream: FakeUpstream;
let room: string;

beforeAll(async () => {
  rooms = await startMessagesRoom();
  ({ hub, upstream, room } = rooms);
});
afterAll(() => rooms.stop());

const anthropic = (code = room) => new Anthropic({ baseURL: `${hub.url}/rooms/${code}`, apiKey: "room-key-canary", maxRetries: 0 });
const post = (body: unknown, headers: Record<string, string> = {}, code = room) =>
  fetch(`${hub.url}/rooms/${code}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const ask = (stream: boolean) => ({ model: "*", max_tokens: 100, stream, messages: [{ role: "user", content: "hi" }] });

async function usage(code = room): Promise<RoomUsage> {
  return (await (await fetch(`${hub.url}/rooms/${code}/usage`)).json()) as RoomUsage;
}

/** What a recorded Messages answer bills: the whole prompt (its three input counts) and the output, message_delta's over message_start's. */
function billed(f: Fixture): { input: number; output: number } {
  const sum = (u: Json) => (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  if (!f.stream) {
    const u = JSON.parse(new TextDecoder().decode(f.bytes)).usage;
    return { input: sum(u), output: u.output_tokens };
  }
  let input = 0;
  let output = 0;
  for (const ev of decodeSse(f.bytes)) {
    const d = JSON.parse(ev.data);
    if (d.type === "message_start") [input, output] = [sum(d.message.usage), d.message.usage.output_tokens];
    if (d.type === "message_delta") {
      if ("input_tokens" in d.usage) input = sum(d.usage);
      output = d.usage.output_tokens;
    }
  }
  return { input, output };
}

describe("the join", () => {
  test("the probe finds /v1/messages: capabilities say Messages alone", async () => {
    const listed = (await (await fetch(`${hub.url}/rooms/${room}/participants`)).json()) as Json;
    const p = (listed.participants as Json[]).find((x) => x.id === "claude")!;
    expect(p.capabilities).toEqual({ responses: false, chatCompletions: false, messages: true });
  });
});

describe("every recording, passed through byte for byte", () => {
  for (const f of fixtures) {
    test(f.name, async () => {
      upstream.handle(replay(f));
      const before = upstream.inference().length;
      const events = readEvents(`${hub.url}/rooms/${room}/events`);
      await events.next("connected");
      const res = await post(ask(f.stream), { "anthropic-version": "2023-06-01" });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const status = fixtureStatus(f.name);
      expect(res.status).toBe(status);
      const sent = upstream.inference()[before]!;
      expect(sent.path).toBe("/v1/messages");
      expect(JSON.parse(sent.body)).toMatchObject({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
      if (status !== 200) {
        // Errors in Anthropic's shape, whatever shape the participant used (llama.cpp answers OpenAI's).
        const body = JSON.parse(new TextDecoder().decode(bytes)) as Json;
        expect(body.type).toBe("error");
        expect(typeof body.error.type).toBe("string");
        expect(body.error.message).toContain(JSON.parse(new TextDecoder().decode(f.bytes)).error.message);
        events.close();
        return;
      }
      expect(res.headers.get("x-gambi-participant")).toBe("claude");
      expect(Buffer.from(bytes).equals(Buffer.from(f.bytes))).toBe(true);
      if (f.stream) checkMessagesStream(decodeSse(bytes), { strict: false });
      const done = await events.next("llm.complete");
      events.close();
      const { input, output } = billed(f);
      expect(done.data).toMatchObject({ protocol: "messages", adapted: false, stream: f.stream });
      expect(done.data.metrics).toMatchObject({ inputTokens: input, outputTokens: output, totalTokens: input + output });
    });
  }

  test("the ledger counts what the answers reported, nothing estimated", async () => {
    const ok = fixtures.filter((f) => fixtureStatus(f.name) === 200);
    const want = ok.map(billed).reduce((a, b) => ({ input: a.input + b.input, output: a.output + b.output }), { input: 0, output: 0 });
    let row: RoomUsage["participants"][number] | undefined;
    // Every attempt is in the ledger once its end is reported, which the events above waited for.
    expect(await waitFor(() => true)).toBe(true);
    row = (await usage()).participants.find((p) => p.participantId === "claude")!;
    expect(row.requests).toBe(fixtures.length);
    expect(row).toMatchObject({ inputTokens: want.input, outputTokens: want.output, estimatedInputTokens: 0, estimatedOutputTokens: 0 });
  });
});

describe("Anthropic's SDK against a Messages participant", () => {
  test("messages.create and messages.stream().finalMessage(): the recording's message, signatures and all", async () => {
    for (const name of ["messages/anthropic-thinking-tool-use.json", "messages/anthropic-tool-use-parallel.json", "messages/anthropic-stop-sequence.json"]) {
      upstream.handle(replay(fixture(name)));
      const msg = await anthropic().messages.create({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
      expect(msg).toEqual(JSON.parse(new TextDecoder().decode(fixture(name).bytes)));
    }
    upstream.handle(replay(fixture("messages/anthropic-thinking-tool-use.sse")));
    const final = await anthropic().messages.stream({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    const recorded = checkMessagesStream(decodeSse(fixture("messages/anthropic-thinking-tool-use.sse").bytes), { strict: false });
    expect(final.content).toEqual(recorded.content as never);
    expect((final.content[0] as Json).signature.length).toBeGreaterThan(100);
    expect(final.stop_reason).toBe("tool_use");
  });

  test("headers: the client's anthropic-version and anthropic-beta go on, 2023-06-01 when it names none; its key never does", async () => {
    upstream.handle(replay(fixture("messages/llamacpp-tiny-text.json")));
    await anthropic().beta.messages.create({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "x" }], betas: ["context-management-2025-06-27"] });
    let sent = upstream.inference().at(-1)!;
    // The SDK's own version, whatever it is.
    expect(sent.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    expect(JSON.stringify(sent.headers)).not.toContain("room-key-canary");
    await post(ask(false), { "anthropic-version": "2099-12-31" });
    expect(upstream.inference().at(-1)!.headers["anthropic-version"]).toBe("2099-12-31");
    await post(ask(false));
    sent = upstream.inference().at(-1)!;
    expect([sent.headers["anthropic-version"], sent.headers["anthropic-beta"]]).toEqual(["2023-06-01", undefined]);
  });

  test("recorded HTTP errors reach the SDK as its own error classes, with the participant's status", async () => {
    const cases: [string, new (...a: never[]) => Error, number, string][] = [
      ["messages/anthropic-error-400-invalid-request.json", Anthropic.BadRequestError, 400, "invalid_request_error"],
      ["messages/anthropic-error-404-not-found.json", Anthropic.NotFoundError, 404, "not_found_error"],
      // llama.cpp answers its Messages route with OpenAI's error envelope: re-shaped as Anthropic's.
      ["messages/llamacpp-tiny-context-exceeded-400.json", Anthropic.BadRequestError, 400, "invalid_request_error"],
    ];
    for (const [name, kind, status, type] of cases) {
      upstream.handle(replay(fixture(name)));
      const err = (await anthropic().messages.create({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(err).toBeInstanceOf(kind);
      expect(err.status).toBe(status);
      expect(err.error).toMatchObject({ type: "error", error: { type } });
      expect((err.error as Json).error.message).toContain(JSON.parse(new TextDecoder().decode(fixture(name).bytes)).error.message);
    }
  });

  test("an error event mid-stream is relayed as the participant sent it; a connection that drops ends with the hub's `event: error`", async () => {
    const head = splitEvents(fixture("messages/anthropic-text-usage.sse").bytes).slice(0, 5);
    const overloaded = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    upstream.handle(() => sseResponse([...head, overloaded]));
    let raw = checkMessagesStream(await readSse(await post(ask(true))), { strict: false });
    expect(raw.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    // The connection drops once the client has the answer's head (the hub its first bytes): sooner, the hub may see no answer at all.
    let headReached!: () => void;
    const dieAfter = new Promise<void>((resolve) => (headReached = resolve));
    upstream.handle(() => sseResponse(head, { then: "die", dieAfter }));
    const dropped = await post(ask(true));
    headReached();
    raw = checkMessagesStream(await readSse(dropped), { strict: false });
    expect(raw.error?.type).toBe("api_error");
    expect(raw.error?.message).toContain("broke off");
    const err = await anthropic().messages.stream({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
  });
});

describe("failover before the first byte", () => {
  let second: FakeUpstream;
  let code: string;
  beforeAll(async () => {
    code = await hub.createRoom({ name: "two claudes" });
    second = startFakeUpstream({ models: ["claude"], chat: false, responses: false, messages: true });
    second.handle(replay(fixture("messages/anthropic-text.json")));
    expect((await hub.join(code, { id: "busy", nickname: "busy", model: "claude", endpoint: upstream.url, ...MANY_AT_ONCE })).status).toBe(201);
    expect((await hub.join(code, { id: "spare", nickname: "spare", model: "claude", endpoint: second.url, ...MANY_AT_ONCE })).status).toBe(201);
  });
  afterAll(() => second.stop());

  test("a 529 (Anthropic's overloaded) and a stream that opens with `event: error` go to the other participant", async () => {
    const text = fixture("messages/anthropic-text.json");
    const overloaded = fixture("messages/anthropic-error-529-overloaded.json");
    for (const [label, failure] of [
      ["529", replay(overloaded)],
      ["error first", () => sseResponse(['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'])],
    ] as const) {
      // Whichever of the two the room picks first fails; the other answers.
      let failed: FakeUpstream | undefined;
      for (const u of [upstream, second]) u.handle(() => (failed ? replay(text)() : ((failed = u), failure())));
      const seen = upstream.inference().length + second.inference().length;
      const res = await post(ask(false), {}, code);
      const other = failed === upstream ? "spare" : "busy";
      expect({ label, status: res.status, by: res.headers.get("x-gambi-participant"), attempts: res.headers.get("x-gambi-attempts") }).toEqual({ label, status: 200, by: other, attempts: "2" });
      expect(await res.json()).toEqual(JSON.parse(new TextDecoder().decode(text.bytes)));
      expect(upstream.inference().length + second.inference().length).toBe(seen + 2);
      // Both were sent the same turn.
      expect(second.inference().at(-1)!.body).toBe(upstream.inference().at(-1)!.body);
    }
  });

  test("nobody left: the 529 reaches the client as Anthropic's overloaded_error, status kept", async () => {
    const only = await hub.createRoom({ name: "one claude" });
    expect((await hub.join(only, { id: "solo", nickname: "solo", model: "claude", endpoint: upstream.url, ...MANY_AT_ONCE })).status).toBe(201);
    upstream.handle(replay(fixture("messages/anthropic-error-529-overloaded.json")));
    const err = await anthropic(only).messages.create({ model: "*", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  });
});

describe("a Messages participant through a tunnel", () => {
  let endpoint: FakeUpstream;
  let code: string;
  let joiner: Awaited<ReturnType<typeof joinThroughTunnel>>;
  const KEY = "sk-ant-tunnel-canary-0123456789";
  beforeAll(async () => {
    endpoint = startFakeUpstream({ models: ["claude"], chat: false, responses: false, messages: true, requireHeader: { name: "x-api-key", value: KEY } });
    code = await hub.createRoom({ name: "tunnelled claude" });
    joiner = await joinThroughTunnel(hub.url, code, { endpoint: endpoint.url, models: ["claude"], authHeaders: { "x-api-key": KEY }, maxConcurrency: 8 });
  });
  afterAll(async () => {
    await joiner.stop();
    await endpoint.stop();
  });

  test("probed through the tunnel (Messages found, with the joiner's key); the SDK streams and creates; the key stays with the joiner", async () => {
    const listed = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as Json;
    expect(listed.participants[0]).toMatchObject({ transport: "tunnel", capabilities: { responses: false, chatCompletions: false, messages: true } });
    endpoint.handle(replay(fixture("messages/anthropic-tool-use-parallel.sse")));
    const final = await anthropic(code).messages.stream({ model: "*", max_tokens: 100, messages: [{ role: "user", content: "two tools" }] }).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(["text", "tool_use", "tool_use"]);
    expect(final.usage.output_tokens).toBe(137);
    const sent = endpoint.inference().at(-1)!;
    expect([sent.path, sent.headers["x-api-key"]]).toEqual(["/v1/messages", KEY]);
    expect(sent.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    endpoint.handle(replay(fixture("messages/anthropic-text.json")));
    const res = await post(ask(false), {}, code);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(fixture("messages/anthropic-text.json").bytes))).toBe(true);
    // A client that names no version: the hub's, through the tunnel.
    expect(endpoint.inference().at(-1)!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(hub.logs.join("\n")).not.toContain(KEY);
  });

  test("a tunnel stream cut mid-answer ends with Anthropic's `event: error`", async () => {
    const stream = controlledStream();
    endpoint.handle(() => stream.response());
    const res = post(ask(true), {}, code);
    const events = splitEvents(fixture("messages/anthropic-text-usage.sse").bytes);
    for (const e of events.slice(0, 5)) stream.send(new TextDecoder().decode(e));
    const answer = await res;
    stream.die();
    const raw = checkMessagesStream(await readSse(answer), { strict: false });
    expect(raw.error?.type).toBe("api_error");
  });
});

describe("secrets: a Messages participant whose answers echo its key", () => {
  const KEY = "sk-ant-canary-7c1e2b9d4f6a0358";
  let leaky: FakeUpstream;
  let code: string;
  const seen: string[] = [];
  beforeAll(async () => {
    leaky = startFakeUpstream({ models: ["claude"], chat: false, responses: false, messages: true, requireHeader: { name: "x-api-key", value: KEY } });
    // Echoes the key it was sent: in the text, in an error event, in a body, in an error body and a header.
    leaky.handle((_req, body, record) => {
      const key = record.headers["x-api-key"]!;
      const b = JSON.parse(body) as Json;
      const said = JSON.stringify(b.messages);
      const headers = { "x-request-id": key };
      if (said.includes("fail")) return Response.json({ type: "error", error: { type: "invalid_request_error", message: `bad key ${key}` } }, { status: 400, headers });
      if (!b.stream) return Response.json({ id: "msg_1", type: "message", role: "assistant", model: "claude", content: [{ type: "text", text: `my key is ${key}` }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 1, output_tokens: 5 } }, { headers });
      const head = splitEvents(fixture("messages/anthropic-text-usage.sse").bytes).slice(0, 3).map((e) => new TextDecoder().decode(e));
      const text = `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"key ${key}"}}\n\n`;
      const error = `event: error\ndata: {"type":"error","error":{"type":"api_error","message":"leaked ${key}"}}\n\n`;
      return sseResponse([...head, text, error], {});
    });
    code = await hub.createRoom({ name: "leaky claude" });
    expect((await hub.join(code, { id: "leaky", nickname: "leaky", model: "claude", endpoint: leaky.url, authHeaders: { "x-api-key": KEY }, ...MANY_AT_ONCE })).status).toBe(201);
  });
  afterAll(() => leaky.stop());

  test("passthrough and both adapted clients, streamed and not, errors, the stored Response, the room's events, the hub's logs: no key anywhere", async () => {
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    const keep = async (res: Response) => {
      seen.push([...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n"), await res.text());
    };
    const msg = (extra: Json) => ({ model: "*", max_tokens: 10, messages: [{ role: "user", content: extra.say ?? "hi" }], stream: extra.stream === true });
    for (const stream of [false, true]) {
      await keep(await post(msg({ stream }), {}, code));
      await keep(await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }], stream }));
      const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "hi", stream });
      const text = await res.text();
      seen.push(text);
      const id = stream ? /"id":"(resp_[^"]+)"/.exec(text)![1] : JSON.parse(text).id;
      await keep(await fetch(`${hub.url}/rooms/${code}/v1/responses/${id}`));
    }
    await keep(await post(msg({ say: "fail" }), {}, code));
    await keep(await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "fail" }] }));
    await keep(await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "fail" }));
    await keep(await fetch(`${hub.url}/rooms/${code}/participants`));
    events.close();
    const everything = [...seen, ...events.all.map((e) => JSON.stringify(e)), ...hub.logs].join("\n");
    // The echoes did happen (the hub had something to cut).
    expect(everything).toContain("my key is ");
    for (const needle of [KEY, "7c1e2b9d4f6a0358", Buffer.from(KEY).toString("base64")]) expect(everything).not.toContain(needle);
  });
});
