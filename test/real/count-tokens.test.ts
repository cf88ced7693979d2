/**
 * `POST /rooms/:code/v1/messages/count_tokens` with a real llama-server as the room's
 * participant (joined with `gambi join`): llama.cpp counts with its own tokenizer at its
 * `/v1/messages/count_tokens`, and Anthropic's SDK gets that count through the hub, the same
 * number the server gives when asked directly; a model nobody serves is the 404 `/v1/messages`
 * answers for it, in Anthropic's shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

describe.skipIf(!REAL)("real llama.cpp: count_tokens", () => {
  let room: RealRoom;
  let anthropic: Anthropic;
  beforeAll(async () => {
    room = await realRoom();
    anthropic = new Anthropic({ baseURL: `${room.hub.url}/rooms/${room.code}`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => room?.close());

  test("llama-server's own count, through the hub, for `*` and its model", async () => {
    const body = { system: "You are terse.", messages: [{ role: "user" as const, content: "Count the tokens of this sentence, please." }] };
    const direct = await fetch(`${room.llamas[0]!.url}/v1/messages/count_tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", ...body }) });
    expect(direct.status).toBe(200);
    const own = ((await direct.json()) as { input_tokens: number }).input_tokens;
    expect(own).toBeGreaterThan(0);
    for (const model of ["*", "tiny"]) expect((await anthropic.messages.countTokens({ model, ...body })).input_tokens).toBe(own);
    // Not the hub's estimate (the characters ÷ 4), which the room would answer without it.
    const chars = body.system.length + body.messages[0]!.content.length;
    expect(own).not.toBe(Math.ceil(chars / 4));
  });

  test("the answer says which participant counted; a model nobody serves is the 404 /v1/messages gives", async () => {
    const post = (route: string, model: string) =>
      fetch(`${room.hub.url}/rooms/${room.code}/v1/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "x".repeat(40) }] }) });
    const counted = await post("messages/count_tokens", "tiny");
    expect([counted.status, counted.headers.get("x-gambi-participant")]).toEqual([200, room.ids[0]!]);
    const unknown = await post("messages/count_tokens", "nobody");
    const asMessages = await post("messages", "nobody");
    const body = (await unknown.json()) as { type: string; error: { type: string } };
    expect([unknown.status, unknown.headers.get("x-gambi-participant"), body.type, body.error.type]).toEqual([404, null, "error", "not_found_error"]);
    expect([asMessages.status, await asMessages.json()]).toEqual([404, body]);
  });
});
