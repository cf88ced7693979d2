/**
 * Embeddings through a room of two real llama-servers joined with `gambi join`: one plain (chat
 * only: its /v1/embeddings answers 501, "Start it with `--embeddings`"), one started with
 * `--embeddings --pooling mean` (the tiny model's default pooling, `none`, is "not OAI
 * compatible") and joined with `--embedding-model tiny` alone. Both name their model `tiny`, so
 * the kind of request alone decides who serves it. Clients: the openai package and raw HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

describe.skipIf(!REAL)("real llama.cpp: embeddings", () => {
  let room: RealRoom;
  let client: OpenAI;
  let chatId: string;
  let embedId: string;
  beforeAll(async () => {
    room = await realRoom([[], ["--embeddings", "--pooling", "mean"]], [["--model", "tiny"], ["--embedding-model", "tiny"]]);
    [chatId, embedId] = room.ids as [string, string];
    client = new OpenAI({ baseURL: room.v1, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => room?.close());

  test("the join: the embedding server serves only embeddings, the plain one only chat", () => {
    const participants = room.hub.hub.ctx.registry.find(room.code)!.participants;
    expect(participants.get(embedId)).toMatchObject({ models: [], embeddingModels: ["tiny"], capabilities: { embeddings: true } });
    expect(participants.get(chatId)).toMatchObject({ models: ["tiny"], embeddingModels: [] });
  });

  test("openai package, its default (base64, decoded by the SDK) and float: the same vector, the size of the model's n_embd", async () => {
    const b64 = await client.embeddings.create({ model: "tiny", input: "The food was delicious" });
    const float = await client.embeddings.create({ model: "tiny", input: "The food was delicious", encoding_format: "float" });
    expect(b64.data[0]!.embedding).toHaveLength(64);
    expect(float.data[0]!.embedding).toHaveLength(64);
    // base64 is float32: the same numbers as the float answer, rounded to float32.
    expect(b64.data[0]!.embedding).toEqual(float.data[0]!.embedding.map((x) => Math.fround(x)));
    expect(float.usage.prompt_tokens).toBeGreaterThan(0);
    const batch = await client.embeddings.create({ model: "*", input: ["one", "two words", "three little words"] });
    expect(batch.data.map((d) => d.index)).toEqual([0, 1, 2]);
  });

  test("the hub's answer is llama-server's, byte for byte (same input, same server)", async () => {
    const body = JSON.stringify({ model: "tiny", input: ["hello world", "good night"], encoding_format: "base64" });
    const direct = await fetch(`${room.llamas[1]!.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const through = await fetch(`${room.v1}/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(through.status).toBe(200);
    expect(through.headers.get("x-gambi-participant")).toBe(embedId);
    expect(new Uint8Array(await through.arrayBuffer())).toEqual(new Uint8Array(await direct.arrayBuffer()));
  });

  test("chat for `tiny` goes to the plain server; embeddings pinned to it → 400 naming the model that embeds", async () => {
    const chat = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4 }).withResponse();
    expect(chat.response.headers.get("x-gambi-participant")).toBe(chatId);
    const err = await client.embeddings.create({ model: chatId, input: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("model_not_embedding");
    expect((err as Error).message).toContain('"tiny"');
  });

  test("the ledger counts the tokens llama-server reported: input only, nothing estimated", async () => {
    const usage = (await (await fetch(`${room.hub.url}/rooms/${room.code}/usage`)).json()) as { participants: { participantId: string; inputTokens: number; outputTokens: number; estimatedInputTokens: number; requests: number }[] };
    const row = usage.participants.find((p) => p.participantId === embedId)!;
    expect(row.requests).toBe(4);
    expect(row.inputTokens).toBeGreaterThan(0);
    expect([row.outputTokens, row.estimatedInputTokens]).toEqual([0, 0]);
  });
});
