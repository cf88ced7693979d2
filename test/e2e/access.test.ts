/**
 * Access to a real hub: a password-protected room guards its inference plane, participants and
 * events with the password as the bearer token (the `openai` package's apiKey), open rooms stay
 * open, wrong guesses from one address are answered 429 with Retry-After until the block ends,
 * and a hub token guards creating and listing rooms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { readEvents } from "../helpers/events.ts";

const PASSWORD = "room-pw-6d1f0b";
const fixture = (name: string) => splitEvents(loadFixtures().find((f) => f.name === name)!.bytes);

let upstream: FakeUpstream;
let hub: TestHub;
let code: string;
let openCode: string;

beforeAll(async () => {
  upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/chat/completions") return sseResponse(fixture("chat/openai-text-usage.sse"));
    if (path === "/v1/responses") return Response.json({ id: "resp_access_1", object: "response", status: "completed", output: [] });
    return Response.json({ id: "resp_access_1", object: "response", seen: req.method + " " + path });
  });
  // The route sweep below makes more wrong guesses than the default budget allows.
  hub = startTestHub({ access: { maxFailures: 1000 } });
  code = await hub.createRoom({ name: "locked", password: PASSWORD });
  expect((await hub.join(code, { id: "p1", nickname: "alice", model: "m", endpoint: upstream.url, password: PASSWORD })).status).toBe(201);
  openCode = await hub.createRoom({ name: "open" });
  expect((await hub.join(openCode, { id: "p2", nickname: "bob", model: "m", endpoint: upstream.url })).status).toBe(201);
  // A response id the lifecycle routes can find (non-streamed, so the hub records its owner).
  expect((await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "hi" }, { authorization: `Bearer ${PASSWORD}` })).status).toBe(200);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const routes = (room: string) => [
  { method: "GET", path: `/rooms/${room}/v1/models` },
  { method: "POST", path: `/rooms/${room}/v1/chat/completions`, body: { model: "*", messages: [{ role: "user", content: "hi" }] } },
  { method: "POST", path: `/rooms/${room}/v1/chat/completions`, body: { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] } },
  { method: "POST", path: `/rooms/${room}/v1/responses`, body: { model: "*", input: "hi" } },
  { method: "GET", path: `/rooms/${room}/v1/responses/resp_access_1` },
  { method: "GET", path: `/rooms/${room}/v1/responses/resp_access_1/input_items` },
  { method: "POST", path: `/rooms/${room}/v1/responses/resp_access_1/cancel` },
  { method: "DELETE", path: `/rooms/${room}/v1/responses/resp_access_1` },
  { method: "GET", path: `/rooms/${room}/participants` },
  { method: "GET", path: `/rooms/${room}/events` },
];

async function call(r: { method: string; path: string; body?: unknown }, authorization?: string): Promise<{ status: number; text: string; headers: Headers }> {
  const abort = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(hub.url + r.path, { method: r.method, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body), signal: abort.signal });
  // The event stream never ends: its first bytes are enough.
  let text: string;
  if (r.path.endsWith("/events") && res.ok) {
    const { value } = await res.body!.getReader().read();
    text = new TextDecoder().decode(value);
    abort.abort();
  } else text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

describe("password-protected room", () => {
  test("every protected route: 401 without a bearer, 401 with a wrong one, success with the password", async () => {
    for (const r of routes(code)) {
      const missing = await call(r);
      expect([r.path, missing.status]).toEqual([r.path, 401]);
      const body = JSON.parse(missing.text);
      expect(body).toEqual({ error: { message: expect.stringContaining("Authorization: Bearer <room password>"), type: "authentication_error", code: "room_password_required", param: null } });
      expect(missing.headers.get("www-authenticate")).toBe(`Bearer realm="gambi room ${code}"`);

      const wrong = await call(r, "Bearer not-the-password-81f2");
      expect([r.path, wrong.status]).toEqual([r.path, 401]);
      expect(JSON.parse(wrong.text).error.code).toBe("invalid_room_password");
      expect(wrong.text).not.toContain("not-the-password-81f2");

      // Another scheme is no bearer at all.
      expect((await call(r, `Basic ${btoa(`x:${PASSWORD}`)}`)).status).toBe(401);

      const right = await call(r, `Bearer ${PASSWORD}`);
      expect([r.path, right.status]).toEqual([r.path, 200]);
    }
  });

  test("the password is checked before the body: a bad body without it is still 401", async () => {
    const res = await call({ method: "POST", path: `/rooms/${code}/v1/chat/completions`, body: { nope: true } });
    expect(res.status).toBe(401);
    const ok = await call({ method: "POST", path: `/rooms/${code}/v1/chat/completions`, body: { nope: true } }, `Bearer ${PASSWORD}`);
    expect(ok.status).toBe(400);
  });

  test("a password a header could not carry is refused when the room is created, without echoing it", async () => {
    for (const password of ["senha-ção", " padded "]) {
      const res = await hub.post("/rooms", { name: "x", password });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatchObject({ code: "invalid_password", param: "password", message: expect.stringContaining("printable ASCII") });
      expect(text).not.toContain(password.trim());
    }
  });

  test("an unknown room is 404 whatever the header", async () => {
    expect((await call({ method: "GET", path: "/rooms/ZZZZZZ/v1/models" })).status).toBe(404);
  });

  test("the room password never reaches the participant's endpoint", async () => {
    for (const r of upstream.requests) expect(JSON.stringify(r)).not.toContain(PASSWORD);
    expect(upstream.inference().length).toBeGreaterThan(3);
  });

  test("the event stream with the password carries the room's events", async () => {
    const events = readEventsWith(`${hub.url}/rooms/${code}/events`, PASSWORD);
    try {
      await events.next("connected");
      expect((await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "x" }] }, { authorization: `Bearer ${PASSWORD}` })).status).toBe(200);
      expect((await events.next("llm.complete")).data.participantId).toBe("p1");
    } finally {
      await events.close();
    }
  });

  test("the official openai package with apiKey = the password streams; a wrong key is an AuthenticationError", async () => {
    const client = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: PASSWORD, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "*", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["p1"]);

    const wrong = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "wrong-key", maxRetries: 0 });
    const err = await wrong.chat.completions.create({ model: "*", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.code).toBe("invalid_room_password");
  });

  test("join and heartbeat keep their own password handling", async () => {
    const join = (password?: string) => hub.join(code, { id: "p3", nickname: "carol", model: "m", endpoint: upstream.url, ...(password === undefined ? {} : { password }) });
    const missing = await join();
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error.code).toBe("password_required");
    const wrong = await join("nope");
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error).toMatchObject({ code: "invalid_password", param: "password" });
    expect((await join(PASSWORD)).status).toBe(201);
    expect((await hub.heartbeat(code, "p3")).status).toBe(200);
    expect((await hub.leave(code, "p3")).status).toBe(200);
  });
});

describe("open room", () => {
  test("every route works without a header, and with any bearer (SDKs insist on an apiKey)", async () => {
    for (const r of routes(openCode).filter((x) => !x.path.includes("resp_access_1"))) {
      expect([r.path, (await call(r)).status]).toEqual([r.path, 200]);
      expect([r.path, (await call(r, "Bearer unused")).status]).toEqual([r.path, 200]);
    }
  });
});

describe("repeated failures", () => {
  test("N wrong passwords from one address → 429 with Retry-After, even for the right one; recovers after the block", async () => {
    let now = 1_700_000_000_000;
    const limited = startTestHub({ now: () => now, access: { maxFailures: 3, windowMs: 60_000, blockMs: 120_000 } });
    try {
      const room = await limited.createRoom({ name: "limited", password: PASSWORD });
      const models = (authorization?: string) => fetch(`${limited.url}/rooms/${room}/v1/models`, { headers: authorization ? { authorization } : {} });
      expect((await models(`Bearer ${PASSWORD}`)).status).toBe(200);
      // Missing headers are not guesses.
      for (let i = 0; i < 5; i++) expect((await models()).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await models(`Bearer guess-${i}`)).status).toBe(401);

      const blocked = await models(`Bearer ${PASSWORD}`);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get("retry-after")).toBe("120");
      expect(await blocked.json()).toEqual({ error: { message: expect.stringContaining("try again in 120 s"), type: "rate_limit_error", code: "too_many_failed_attempts", param: null } });
      // Every password-checking route of every room is blocked for that address, joins too.
      expect((await limited.join(room, { nickname: "x", model: "m", endpoint: upstream.url, password: PASSWORD })).status).toBe(429);
      expect((await fetch(`${limited.url}/rooms/${room}/participants`, { headers: { authorization: `Bearer ${PASSWORD}` } })).status).toBe(429);
      // Open rooms and the rest of the hub are not.
      const open = await limited.createRoom({ name: "open" });
      expect((await fetch(`${limited.url}/rooms/${open}/v1/models`)).status).toBe(200);
      expect((await fetch(`${limited.url}/health`)).status).toBe(200);
      expect(limited.logs.some((l) => l.startsWith("warn") && l.includes("answering 429 for 120 s"))).toBe(true);

      now += 60_000;
      expect((await models(`Bearer ${PASSWORD}`)).headers.get("retry-after")).toBe("60");
      now += 60_000;
      expect((await models(`Bearer ${PASSWORD}`)).status).toBe(200);
      expect(limited.logs.join("\n")).not.toContain(PASSWORD);
    } finally {
      await limited.stop();
    }
  });

  test("wrong join passwords count too: joins are no way around the limit", async () => {
    const limited = startTestHub({ access: { maxFailures: 2 } });
    try {
      const room = await limited.createRoom({ name: "limited", password: PASSWORD });
      const join = (password: string) => limited.join(room, { nickname: "x", model: "m", endpoint: upstream.url, password });
      expect((await join("a")).status).toBe(401);
      expect((await join("b")).status).toBe(401);
      const blocked = await join(PASSWORD);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  test("an Anthropic client retrying one mistyped room password (Claude Code retries a 401) is one mistake: never 429, and a participant on that machine keeps serving", async () => {
    const limited = startTestHub({ access: { maxFailures: 3 } });
    try {
      const room = await limited.createRoom({ name: "retried", password: PASSWORD });
      const joined = await limited.join(room, { id: "same-machine", nickname: "laptop", model: "m", endpoint: upstream.url, password: PASSWORD });
      const { participantToken } = (await joined.json()) as { participantToken: string };
      const messages = (key: string) =>
        fetch(`${limited.url}/rooms/${room}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await messages("room-pw-6d1f0c");
        statuses.push(res.status);
        expect(((await res.json()) as { type: string; error: { type: string } }).error.type).toBe("authentication_error");
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
      // Its heartbeats, from the same address, go on; and once the key is fixed, it works.
      expect((await limited.post(`/rooms/${room}/health`, { id: "same-machine" }, { authorization: `Bearer ${participantToken}` })).status).toBe(200);
      expect((await fetch(`${limited.url}/rooms/${room}/v1/models`, { headers: { authorization: `Bearer ${PASSWORD}` } })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  test("a burst of concurrent guesses gets no more argon2 runs than the budget", async () => {
    const limited = startTestHub({ access: { maxFailures: 3 } });
    try {
      const room = await limited.createRoom({ name: "burst", password: PASSWORD });
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => fetch(`${limited.url}/rooms/${room}/v1/models`, { headers: { authorization: `Bearer burst-${i}` } }).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 401).length).toBe(3);
      expect(statuses.filter((s) => s === 429).length).toBe(37);
    } finally {
      await limited.stop();
    }
  });
});

describe("hub token", () => {
  const TOKEN = "hub-token-3a9e77";
  let guarded: TestHub;
  beforeAll(() => {
    guarded = startTestHub({ token: TOKEN });
  });
  afterAll(() => guarded.stop());

  test("POST /rooms and GET /rooms need it (401 in the envelope); with it they work", async () => {
    const create = (headers: Record<string, string>, body: unknown = { name: "t" }) =>
      fetch(`${guarded.url}/rooms`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const missing = await create({});
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error).toMatchObject({ type: "authentication_error", code: "hub_token_required" });
    const wrong = await create({ authorization: "Bearer hub-token-3a9e7" });
    expect(wrong.status).toBe(401);
    const wrongText = await wrong.text();
    expect(JSON.parse(wrongText).error.code).toBe("invalid_hub_token");
    expect(wrongText).not.toContain("hub-token");
    // Checked before the body: an invalid body without the token says nothing about the body.
    expect((await create({}, { bad: 1 })).status).toBe(401);
    const ok = await create({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    const room = ((await ok.json()) as any).room.code as string;

    expect((await fetch(`${guarded.url}/rooms`)).status).toBe(401);
    const listed = await fetch(`${guarded.url}/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as any).rooms.map((r: any) => r.code)).toEqual([room]);

    // Everything else is unchanged: a room's own view, joining, inference of an open room, health.
    expect((await fetch(`${guarded.url}/rooms/${room}`)).status).toBe(200);
    expect((await guarded.join(room, { id: "t1", nickname: "t", model: "m", endpoint: upstream.url })).status).toBe(201);
    expect((await fetch(`${guarded.url}/rooms/${room}/v1/models`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
  });

  test("without a token, POST /rooms and GET /rooms stay open", async () => {
    expect((await hub.post("/rooms", { name: "free" })).status).toBe(201);
    expect((await fetch(`${hub.url}/rooms`)).status).toBe(200);
  });
});

/** readEvents with a bearer: the helper's fetch has no headers, so wrap fetch for the call. */
function readEventsWith(url: string, password: string) {
  const original = globalThis.fetch;
  globalThis.fetch = ((input: string, init: RequestInit = {}) => original(input, { ...init, headers: { authorization: `Bearer ${password}` } })) as typeof fetch;
  try {
    return readEvents(url);
  } finally {
    globalThis.fetch = original;
  }
}
