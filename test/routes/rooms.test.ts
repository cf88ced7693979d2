/** Room management API: create, list, join validation, passwords, leave, error envelopes. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

let hub: TestHub;
let upstream: FakeUpstream;

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["llama3:latest", "qwen2.5:7b", "mistral"] });
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const joinBody = (extra: Record<string, unknown> = {}) => ({ nickname: "alice", model: "mistral", endpoint: upstream.url, ...extra });

function expectEnvelope(body: any) {
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.type).toBe("string");
  expect("code" in body.error).toBe(true);
  expect("param" in body.error).toBe(true);
}

describe("health", () => {
  test("reports status, version, uptime and room count", async () => {
    const res = await fetch(`${hub.url}/health`);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: "ok", version: expect.any(String), uptime: expect.any(Number), rooms: expect.any(Number) });
  });
});

describe("POST /rooms", () => {
  test("creates a room with an unambiguous 6-character code", async () => {
    const res = await hub.post("/rooms", { name: "team", config: { temperature: 0.2 } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body.room.code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
    expect(body.room).toMatchObject({ name: "team", passwordProtected: false, defaults: { temperature: 0.2 } });
    expect(body.hostId).toBe(body.room.hostId);
    expect(typeof body.room.id).toBe("string");
    expect(typeof body.room.createdAt).toBe("number");
  });

  test("codes are unique across many rooms", async () => {
    const codes = await Promise.all(Array.from({ length: 50 }, (_, i) => hub.createRoom({ name: `r${i}` })));
    expect(new Set(codes).size).toBe(50);
  });

  test.each([
    ["missing name", {}],
    ["empty name", { name: "" }],
    ["wrong type", { name: 42 }],
    ["bad config", { name: "x", config: { temperature: "hot" } }],
    ["unknown config key", { name: "x", config: { temprature: 1 } }],
  ])("rejects %s with a 400 in OpenAI's envelope", async (_label, body) => {
    const res = await hub.post("/rooms", body);
    expect(res.status).toBe(400);
    expectEnvelope(await res.json());
  });

  test("malformed JSON is a 400 that says what to fix", async () => {
    const res = await hub.post("/rooms", "{not json");
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expectEnvelope(body);
    expect(body.error.message).toContain("JSON");
  });
});

describe("GET /rooms", () => {
  test("lists public summaries without passwords or hashes", async () => {
    await hub.createRoom({ name: "secret room", password: "hunter2-password" });
    const res = await fetch(`${hub.url}/rooms`);
    const text = await res.text();
    expect(text).not.toContain("hunter2-password");
    expect(text).not.toContain("argon2");
    const { rooms } = JSON.parse(text) as any;
    const room = rooms.find((r: any) => r.name === "secret room");
    expect(room).toMatchObject({ passwordProtected: true, participantCount: 0 });
    expect(room.hostId).toBeUndefined();
  });
});

describe("POST /rooms/:code/join", () => {
  test("joins, returns the public view, and counts the participant", async () => {
    const code = await hub.createRoom();
    const res = await hub.join(code, joinBody({ id: "alice-1", specs: { cpu: "M2", ramGb: 16 }, config: { instructions: "be brief" } }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body.participant).toMatchObject({
      id: "alice-1",
      nickname: "alice",
      model: "mistral",
      endpoint: upstream.url,
      status: "online",
      hasAuth: false,
      capabilities: { responses: true, chatCompletions: true },
      specs: { cpu: "M2", ramGb: 16 },
      config: { hasInstructions: true },
    });
    expect(JSON.stringify(body)).not.toContain("be brief");
    expect(typeof body.roomId).toBe("string");
    const { rooms } = (await (await fetch(`${hub.url}/rooms`)).json()) as any;
    expect(rooms.find((r: any) => r.code === code).participantCount).toBe(1);
  });

  test("joining again with the same id updates instead of duplicating", async () => {
    const code = await hub.createRoom();
    const first = (await (await hub.join(code, joinBody({ id: "same" }))).json()) as any;
    const again = await hub.join(code, joinBody({ id: "same", nickname: "alice2", model: "qwen2.5:7b" }));
    expect(again.status).toBe(201);
    const { participants } = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any;
    expect(participants).toHaveLength(1);
    expect(participants[0]).toMatchObject({ id: "same", nickname: "alice2", model: "qwen2.5:7b", joinedAt: first.participant.joinedAt });
  });

  test("room codes are case-insensitive", async () => {
    const code = await hub.createRoom();
    const res = await hub.join(code.toLowerCase(), joinBody());
    expect(res.status).toBe(201);
  });

  test("unknown room → 404 in the envelope", async () => {
    const res = await hub.join("ZZZZZZ", joinBody());
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expectEnvelope(body);
    expect(body.error.code).toBe("room_not_found");
  });

  test("Ollama's implicit :latest tag matches", async () => {
    const code = await hub.createRoom();
    expect((await hub.join(code, joinBody({ model: "llama3" }))).status).toBe(201);
  });

  test("a model the endpoint does not list → 400 naming some that it does", async () => {
    const code = await hub.createRoom();
    const res = await hub.join(code, joinBody({ model: "mistrall" }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain("mistral");
    expect(body.error.message).toContain("allowUnlistedModel");
  });

  test("allowUnlistedModel accepts a model missing from the list", async () => {
    const code = await hub.createRoom();
    expect((await hub.join(code, joinBody({ model: "secret-model", allowUnlistedModel: true }))).status).toBe(201);
  });

  test.each([
    ["missing nickname", { model: "m", endpoint: "http://127.0.0.1:1" }],
    ["endpoint not a URL", { nickname: "a", model: "m", endpoint: "not a url" }],
    ["ftp endpoint", { nickname: "a", model: "m", endpoint: "ftp://example.com" }],
    ["credentials in URL", { nickname: "a", model: "m", endpoint: "http://u:p@127.0.0.1:1" }],
    ["bad id", { id: "has spaces", nickname: "a", model: "m", endpoint: "http://127.0.0.1:1" }],
    ["oversized nickname", { nickname: "n".repeat(65), model: "m", endpoint: "http://127.0.0.1:1" }],
    ["auth header with CRLF", { nickname: "a", model: "m", endpoint: "http://127.0.0.1:1", authHeaders: { Authorization: "Bearer x\r\nX-Evil: 1" } }],
    ["auth header bad name", { nickname: "a", model: "m", endpoint: "http://127.0.0.1:1", authHeaders: { "Bad Name": "x" } }],
  ])("rejects %s with a 400", async (_label, body) => {
    const code = await hub.createRoom();
    const res = await hub.join(code, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as any;
    expectEnvelope(json);
    expect(JSON.stringify(json)).not.toContain("X-Evil");
  });
});

describe("password-protected rooms", () => {
  test("join needs the right password", async () => {
    const code = await hub.createRoom({ name: "locked", password: "open sesame" });
    const missing = await hub.join(code, joinBody());
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error.code).toBe("password_required");
    const wrong = await hub.join(code, joinBody({ password: "nope" }));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe("invalid_password");
    const right = await hub.join(code, joinBody({ password: "open sesame" }));
    expect(right.status).toBe(201);
  });
});

describe("leave", () => {
  test("removes the participant; leaving twice is a 404", async () => {
    const code = await hub.createRoom();
    await hub.join(code, joinBody({ id: "leaver" }));
    const res = await hub.leave(code, "leaver");
    expect(res.status).toBe(200);
    const { participants } = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any;
    expect(participants).toHaveLength(0);
    const again = await hub.leave(code, "leaver");
    expect(again.status).toBe(404);
    expectEnvelope(await again.json());
  });
});

describe("unknown routes", () => {
  test("404 in the envelope", async () => {
    const res = await fetch(`${hub.url}/nope`);
    expect(res.status).toBe(404);
    expectEnvelope(await res.json());
  });
});
