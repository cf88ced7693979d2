/**
 * `POST /rooms/:code/v1/embeddings` through a real hub on port 0 and fake participants on port
 * 0, over real HTTP: routed only to a participant that declared the model among its
 * `embeddingModels` (a chat-only participant beside it never sees one), the recorded answers
 * (test/fixtures/embeddings/) relayed byte for byte, float and base64 alike, the request body
 * passed on with only `model` rewritten, a chat model or a participant that does not embed → 400
 * `model_not_embedding` naming the models that can, usage in the room's ledger (no output
 * tokens, nothing estimated), the openai package's `embeddings.create`, failover before the
 * first byte, and bad input answered in OpenAI's envelope, never a 500.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { chatCompletion, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";
import { readEvents } from "../helpers/events.ts";
import { killHubProcesses, spawnCli } from "../helpers/hub-process.ts";
import { waitFor } from "../helpers/fake-upstream.ts";
import type { RoomUsage } from "../../src/hub/ledger/usage-view.ts";

type Json = Record<string, any>;
const FIXTURES = ["openai-3-small-float.json", "openai-3-small-base64.json", "ollama-base64-ignored.json", "mistral-embed.json", "openrouter-3-small-cost.json"];
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES_DIR, "embeddings", name)));

let hub: TestHub;
const upstreams: FakeUpstream[] = [];

/** A participant's endpoint that embeds: answers each embeddings request with the fixture its `next` names. */
function embedder(listed: string[], opts: { chat?: boolean } = {}) {
  const u = startFakeUpstream({ models: listed, embeddings: true, chat: opts.chat ?? false, responses: false });
  const state = { next: "openai-3-small-float.json", status: 200 };
  u.handle((req, body) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/chat/completions")) return chatCompletion(JSON.parse(body).model, "chatted");
    if (state.status !== 200) return Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: state.status });
    return new Response(fixture(state.next), { headers: { "content-type": "application/json" } });
  });
  upstreams.push(u);
  return Object.assign(u, { state });
}

/** A chat-only participant's endpoint (no /v1/embeddings: a 404, as most chat servers answer). */
function chatter(listed: string[]) {
  const u = startFakeUpstream({ models: listed, responses: false });
  u.handle((_req, body) => chatCompletion(JSON.parse(body).model, "chatted"));
  upstreams.push(u);
  return u;
}

const embed = (code: string, body: unknown) => hub.post(`/rooms/${code}/v1/embeddings`, body);

async function joined(code: string, body: Json): Promise<string> {
  const res = await hub.join(code, { maxConcurrency: 8, ...body });
  expect(res.status).toBe(201);
  return ((await res.json()) as Json).participant.id;
}

beforeAll(() => {
  hub = startTestHub();
});
afterAll(async () => {
  killHubProcesses();
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
});

/** A room with a chat-only participant and one that only embeds. */
async function mixedRoom() {
  const code = await hub.createRoom();
  const chat = chatter(["llama3"]);
  const emb = embedder(["text-embedding-3-small", "other-embedder"]);
  const chatId = await joined(code, { nickname: "chatty", model: "llama3", endpoint: chat.url });
  const embId = await joined(code, { nickname: "embedder", embeddingModels: ["text-embedding-3-small"], endpoint: emb.url });
  return { code, chat, emb, chatId, embId };
}

describe("routing", () => {
  test("an embeddings request goes to the participant that embeds; the chat-only one never sees it, nor a chat request the embedder", async () => {
    const { code, chat, emb, embId } = await mixedRoom();
    for (const model of ["text-embedding-3-small", "*", embId, `${embId}/text-embedding-3-small`]) {
      const res = await embed(code, { model, input: "hello" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gambi-participant")).toBe(embId);
      await res.arrayBuffer();
    }
    expect(chat.inference()).toHaveLength(0);
    const sent = emb.inference();
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.path === "/v1/embeddings")).toBe(true);
    expect(sent.map((r) => JSON.parse(r.body).model)).toEqual(Array(4).fill("text-embedding-3-small"));
    // Chat for `*` goes to the chat participant only: the embedder serves no chat model.
    for (let i = 0; i < 4; i++) {
      const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(emb.inference()).toHaveLength(4);
    expect(chat.inference()).toHaveLength(4);
  });

  test("the body goes on with only `model` rewritten: encoding_format, dimensions, user, token-id input untouched; no room defaults", async () => {
    const code = await hub.createRoom({ name: "defaults", config: { temperature: 0.3, max_tokens: 99 } });
    const emb = embedder(["text-embedding-3-small"]);
    const id = await joined(code, { nickname: "e", embeddingModels: ["text-embedding-3-small"], endpoint: emb.url, config: { temperature: 0.1 } });
    const body = { input: [[1, 2, 3], [4, 5]], model: id, encoding_format: "base64", dimensions: 256, user: "u-1" };
    const res = await embed(code, body);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(emb.inference().at(-1)!.body).toBe(JSON.stringify({ ...body, model: "text-embedding-3-small" }));
  });

  test("a chat-only model → 400 model_not_embedding naming the models that can embed; a participant that does not embed too", async () => {
    const { code, chat, emb, chatId } = await mixedRoom();
    for (const model of ["llama3", chatId, `${chatId}/llama3`]) {
      const res = await embed(code, { model, input: "hello" });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as Json;
      expect(error.code).toBe("model_not_embedding");
      expect(error.param).toBe("model");
      expect(error.message).toContain('"text-embedding-3-small"');
    }
    // An unknown name stays a 404, said with the models that embed.
    const res = await embed(code, { model: "nope", input: "x" });
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as Json;
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain('"text-embedding-3-small"');
    expect(chat.inference()).toHaveLength(0);
    expect(emb.inference()).toHaveLength(0);
  });

  test("a room where nobody embeds: `*` → 400 saying so; a chat request for an embedding model is not served", async () => {
    const code = await hub.createRoom();
    await joined(code, { nickname: "chatty", model: "llama3", endpoint: chatter(["llama3"]).url });
    const res = await embed(code, { model: "*", input: "x" });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error.code).toBe("model_not_embedding");
    expect(error.message).toContain("no participant in this room serves an embedding model");

    const { code: mixed } = await mixedRoom();
    const chat = await hub.post(`/rooms/${mixed}/v1/chat/completions`, { model: "text-embedding-3-small", messages: [{ role: "user", content: "hi" }] });
    expect(chat.status).toBe(404);
    const refused = ((await chat.json()) as Json).error;
    expect(refused).toMatchObject({ code: "model_not_found", param: "model" });
    expect(refused.message).toStartWith('"text-embedding-3-small" is an embedding model in this room: send it to /v1/embeddings');
  });

  test("one model in both lists (llama.cpp's server with --embeddings chats and embeds): both kinds of request reach it", async () => {
    const code = await hub.createRoom();
    const both = embedder(["tiny"], { chat: true });
    const id = await joined(code, { nickname: "both", model: "tiny", embeddingModels: ["tiny"], endpoint: both.url });
    const e = await embed(code, { model: "tiny", input: "x" });
    const c = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "tiny", messages: [{ role: "user", content: "hi" }] });
    expect([e.status, c.status]).toEqual([200, 200]);
    expect([e.headers.get("x-gambi-participant"), c.headers.get("x-gambi-participant")]).toEqual([id, id]);
    await Promise.all([e.arrayBuffer(), c.arrayBuffer()]);
    expect(both.inference().map((r) => r.path)).toEqual(["/v1/embeddings", "/v1/chat/completions"]);
  });
});

describe("the answer", () => {
  test("every recorded answer (float, base64, Ollama's ignored base64, Mistral, OpenRouter) relayed byte for byte", async () => {
    const { code, emb } = await mixedRoom();
    for (const name of FIXTURES) {
      emb.state.next = name;
      const res = await embed(code, { model: "text-embedding-3-small", input: "The food was delicious", encoding_format: name.includes("base64") ? "base64" : "float" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture(name));
    }
  });

  test("usage goes to the ledger as the participant reported it: input tokens, no output, nothing estimated; events say `embeddings`", async () => {
    const { code, emb, embId } = await mixedRoom();
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    const expected: Record<string, number> = { "openai-3-small-float.json": 7, "mistral-embed.json": 11, "openrouter-3-small-cost.json": 7 };
    for (const name of Object.keys(expected)) {
      emb.state.next = name;
      const res = await embed(code, { model: "text-embedding-3-small", input: "The food was delicious" });
      await res.arrayBuffer();
    }
    const complete = await events.next("llm.complete");
    expect(complete.data).toMatchObject({ protocol: "embeddings", stream: false, adapted: false, participantId: embId, model: "text-embedding-3-small", metrics: { inputTokens: 7, totalTokens: 7 } });
    await events.close();
    const res = await fetch(`${hub.url}/rooms/${code}/usage`);
    expect(res.status).toBe(200);
    const usage = (await res.json()) as RoomUsage;
    const row = usage.participants.find((p) => p.participantId === embId)!;
    expect(row).toMatchObject({ model: "text-embedding-3-small", requests: 3, inputTokens: 25, outputTokens: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0, errors: 0 });
  });

  test("an answer without usage: input estimated from `input` and flagged; output still 0", async () => {
    const code = await hub.createRoom();
    const u = startFakeUpstream({ models: ["e"], embeddings: true });
    upstreams.push(u);
    u.handle(() => Response.json({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5, 0.25] }], model: "e" }));
    const id = await joined(code, { nickname: "no-usage", embeddingModels: ["e"], endpoint: u.url });
    const res = await embed(code, { model: "e", input: ["abcdefgh", "ijkl"] });
    await res.arrayBuffer();
    const usage = (await (await fetch(`${hub.url}/rooms/${code}/usage`)).json()) as RoomUsage;
    expect(usage.participants.find((p) => p.participantId === id)).toMatchObject({ inputTokens: 3, estimatedInputTokens: 3, outputTokens: 0, estimatedOutputTokens: 0 });
  });
});

describe("clients", () => {
  test("the openai package's embeddings.create: its default (base64, decoded by the SDK) and float", async () => {
    const { code, emb } = await mixedRoom();
    const client = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
    emb.state.next = "openai-3-small-base64.json";
    const b64 = await client.embeddings.create({ model: "text-embedding-3-small", input: "The food was delicious and the waiter..." });
    const recorded = JSON.parse(new TextDecoder().decode(fixture("openai-3-small-base64.json")));
    const floats = new Float32Array(Buffer.from(recorded.data[0].embedding, "base64").buffer.slice(0));
    expect(b64.data[0]!.embedding).toHaveLength(1536);
    expect(b64.data[0]!.embedding).toEqual(Array.from(floats));
    expect(b64.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(JSON.parse(emb.inference().at(-1)!.body).encoding_format).toBe("base64");

    emb.state.next = "openai-3-small-float.json";
    const float = await client.embeddings.create({ model: "*", input: "hello", encoding_format: "float", dimensions: 768 });
    expect(float.data[0]!.embedding).toHaveLength(768);
    expect(float.data[0]!.embedding[0]).toBe(-0.060699462890625);
    expect(float.model).toBe("text-embedding-3-small");
  });

  test("a chat-only model through the SDK: a BadRequestError with the code", async () => {
    const { code } = await mixedRoom();
    const client = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "unused", maxRetries: 0 });
    const err = await client.embeddings.create({ model: "llama3", input: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("model_not_embedding");
  });
});

describe("failover and bad input", () => {
  test("every participant that embeds the model answers 503: both tried, the last answer stands", async () => {
    const code = await hub.createRoom();
    const a = embedder(["text-embedding-3-small"]);
    const b = embedder(["text-embedding-3-small"]);
    a.state.status = 503;
    b.state.status = 503;
    await joined(code, { nickname: "a", embeddingModels: ["text-embedding-3-small"], endpoint: a.url });
    await joined(code, { nickname: "b", embeddingModels: ["text-embedding-3-small"], endpoint: b.url });
    const res = await embed(code, { model: "text-embedding-3-small", input: "x" });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-gambi-attempts")).toBe("2");
    expect(((await res.json()) as Json).error.message).toBe("overloaded");
    expect([a.inference().length, b.inference().length]).toEqual([1, 1]);
  });

  test("a 502 before the first byte: the request goes to another participant that embeds the model (x-gambi-attempts 2)", async () => {
    const code = await hub.createRoom();
    const a = embedder(["m"]);
    const b = embedder(["m"]);
    a.state.status = 502;
    await joined(code, { nickname: "a", embeddingModels: ["m"], endpoint: a.url });
    // b joins while a is the only one: a serves the room's first request, fails, b takes it.
    const bId = await joined(code, { nickname: "b", embeddingModels: ["m"], endpoint: b.url });
    let retried = false;
    for (let i = 0; i < 8 && !retried; i++) {
      const res = await embed(code, { model: "m", input: "x" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gambi-participant")).toBe(bId);
      retried = res.headers.get("x-gambi-attempts") === "2";
      await res.arrayBuffer();
    }
    expect(retried).toBe(true);
  });

  test("no input, a wrong input, an empty array, bad JSON, no body: OpenAI-shaped 400s, never a 500", async () => {
    const { code, emb } = await mixedRoom();
    const cases: [unknown, string, string | null][] = [
      [{ model: "text-embedding-3-small" }, "invalid_request", "input"],
      [{ model: "text-embedding-3-small", input: 5 }, "invalid_request", "input"],
      [{ model: "text-embedding-3-small", input: null }, "invalid_request", "input"],
      [{ model: "text-embedding-3-small", input: [] }, "invalid_request", "input"],
      [{ input: "x" }, "invalid_request", "model"],
      [["not", "an", "object"], "invalid_request", null],
      ['{"model": "text-embedding-3-small", "input": ', "invalid_json", null],
    ];
    for (const [body, code_, param] of cases) {
      const res = await embed(code, body);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as Json;
      expect(error.code).toBe(code_);
      if (param) expect(error.param).toBe(param);
      expect(typeof error.message).toBe("string");
    }
    const empty = await fetch(`${hub.url}/rooms/${code}/v1/embeddings`, { method: "POST" });
    expect(empty.status).toBe(400);
    await empty.arrayBuffer();
    expect(emb.inference()).toHaveLength(0);
  });

  test("the participant's own 400 (an input it refuses) comes back as it came", async () => {
    const code = await hub.createRoom();
    const u = startFakeUpstream({ models: ["e"], embeddings: true });
    upstreams.push(u);
    u.handle(() => Response.json({ error: { message: '"input" or "content" must be provided', type: "invalid_request_error", code: 400 } }, { status: 400 }));
    await joined(code, { nickname: "picky", embeddingModels: ["e"], endpoint: u.url });
    const res = await embed(code, { model: "e", input: "" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.message).toContain("must be provided");
  });
});

describe("joining with embedding models", () => {
  test("an endpoint without /v1/embeddings → 400 endpoint_no_embeddings; an unlisted one → 400 model_not_found on embeddingModels", async () => {
    const code = await hub.createRoom();
    const chat = chatter(["llama3", "nomic"]);
    const res = await hub.join(code, { nickname: "x", model: "llama3", embeddingModels: ["nomic"], endpoint: chat.url });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error).toMatchObject({ code: "endpoint_no_embeddings", param: "embeddingModels" });
    expect(error.message).toContain("--embeddings");

    const emb = embedder(["e1"]);
    const unlisted = await hub.join(code, { nickname: "y", embeddingModels: ["e2"], endpoint: emb.url });
    expect(unlisted.status).toBe(400);
    expect(((await unlisted.json()) as Json).error).toMatchObject({ code: "model_not_found", param: "embeddingModels" });

    // Chat models on an endpoint that only embeds: refused as before.
    const only = await hub.join(code, { nickname: "z", model: "e1", endpoint: emb.url });
    expect(only.status).toBe(400);
    expect(((await only.json()) as Json).error.code).toBe("endpoint_not_openai_compatible");
  });

  test("the view and GET /v1/models show what embeds", async () => {
    const { code, embId, chatId } = await mixedRoom();
    const listed = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as Json;
    const e = listed.participants.find((p: Json) => p.id === embId);
    expect(e).toMatchObject({ model: "text-embedding-3-small", models: [], embeddingModels: ["text-embedding-3-small"], capabilities: { embeddings: true } });
    const models = (await (await fetch(`${hub.url}/rooms/${code}/v1/models`)).json()) as Json;
    expect(models.data.map((m: Json) => [m.id, m.gambi.chat, m.gambi.embeddings])).toEqual([
      [chatId, true, false],
      [embId, false, true],
    ]);
  });
});

describe("gambi join --embedding-model", () => {
  test("a participant that only embeds (no --model), and one that chats and embeds with one model", async () => {
    const code = await hub.createRoom();
    const room = () => hub.hub.ctx.registry.find(code)!;
    const only = embedder(["nomic-embed"]);
    const both = embedder(["tiny"], { chat: true });
    const a = spawnCli(["join", "--hub", hub.url, "--code", code, "--endpoint", only.url, "--embedding-model", "nomic-embed", "--nickname", "only", "--no-interactive", "--no-specs"]);
    const b = spawnCli(["join", "--hub", hub.url, "--code", code, "--endpoint", both.url, "--model", "tiny", "--embedding-model", "tiny", "--nickname", "both", "--no-interactive", "--no-specs"]);
    expect(await waitFor(() => room().participants.size === 2 || a.p.exitCode !== null || b.p.exitCode !== null, 20_000)).toBe(true);
    expect([a.p.exitCode, b.p.exitCode]).toEqual([null, null]);
    const byName = Object.fromEntries([...room().participants.values()].map((p) => [p.nickname, { models: p.models, embeddingModels: p.embeddingModels, embeddings: p.capabilities.embeddings }]));
    expect(byName).toEqual({ only: { models: [], embeddingModels: ["nomic-embed"], embeddings: true }, both: { models: ["tiny"], embeddingModels: ["tiny"], embeddings: true } });
    expect(await waitFor(() => a.out.stdout.includes("serving nomic-embed (embeddings)") || a.out.stderr.includes("serving nomic-embed (embeddings)"), 5000)).toBe(true);
    const res = await embed(code, { model: "nomic-embed", input: "x" });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(only.inference()).toHaveLength(1);
  });

  test("through a tunnel: the probe goes through it, and so do the embeddings, byte for byte", async () => {
    const code = await hub.createRoom();
    const room = () => hub.hub.ctx.registry.find(code)!;
    const emb = embedder(["nomic-embed"]);
    emb.state.next = "mistral-embed.json";
    const t = spawnCli(["join", "--hub", hub.url, "--code", code, "--endpoint", emb.url, "--embedding-model", "nomic-embed", "--tunnel", "--nickname", "tunnelled", "--no-interactive", "--no-specs"]);
    expect(await waitFor(() => [...room().participants.values()].some((p) => p.status === "online" && p.capabilities.embeddings === true) || t.p.exitCode !== null, 20_000)).toBe(true);
    const res = await embed(code, { model: "*", input: "x" });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fixture("mistral-embed.json"));
  });

  test("--embedding-model on an endpoint without /v1/embeddings: the joiner says so and exits non-zero", async () => {
    const code = await hub.createRoom();
    const c = spawnCli(["join", "--hub", hub.url, "--code", code, "--endpoint", chatter(["nomic"]).url, "--embedding-model", "nomic", "--no-interactive", "--no-specs"]);
    await c.p.exited;
    expect(c.p.exitCode).not.toBe(0);
    expect(await waitFor(() => `${c.out.stdout}${c.out.stderr}`.includes("has no /v1/embeddings"), 2000)).toBe(true);
  });
});
