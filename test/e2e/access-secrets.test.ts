/**
 * The room password and the hub token are canaries too (as in secrets.test.ts): across a whole
 * scenario — create with and without the token, joins with right and wrong passwords, inference
 * with right, wrong and blocked bearers, lifecycle routes, participants, the event stream —
 * neither they nor a wrong guess appear in any response body or header, SSE event, hub log line
 * (every level) or request to a participant.
 */
import { afterAll, expect, test } from "bun:test";
import { startTestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

const TOKEN = "hub-canary-tok-90c1e4f2";
const PASSWORD = "room-canary-pw-3b7d5a19";
const GUESS = "guess-canary-6e2f81";

const hub = startTestHub({ token: TOKEN, access: { maxFailures: 4 } });
const upstream = startFakeUpstream({ models: ["m"] });
const seen: string[] = [];
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

async function call(path: string, init: RequestInit & { auth?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", ...((init.headers as Record<string, string>) ?? {}) };
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  const res = await fetch(hub.url + path, { ...init, headers });
  const text = await res.text();
  res.headers.forEach((v, k) => seen.push(`${k}: ${v}`));
  seen.push(text);
  return new Response(text, { status: res.status, headers: res.headers });
}
const post = (path: string, body: unknown, auth?: string) => call(path, { method: "POST", body: JSON.stringify(body), auth });

test("the password, the token and a wrong guess never reach a client, a log or a participant", async () => {
  const fixture = splitEvents(loadFixtures().find((f) => f.name === "chat/openai-text-usage.sse")!.bytes);
  upstream.handle((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/responses") return Response.json({ id: "resp_canary", object: "response", status: "completed", output: [] });
    if (path.startsWith("/v1/responses/")) return Response.json({ id: "resp_canary", object: "response" });
    return sseResponse(fixture);
  });

  expect((await post("/rooms", { name: "canary", password: PASSWORD })).status).toBe(401);
  expect((await post("/rooms", { name: "canary", password: PASSWORD }, GUESS)).status).toBe(401);
  const created = await post("/rooms", { name: "canary", password: PASSWORD }, TOKEN);
  expect(created.status).toBe(201);
  const code = ((await created.json()) as any).room.code as string;

  // The event stream, read with the password for the whole scenario.
  const stopEvents = new AbortController();
  const events = await fetch(`${hub.url}/rooms/${code}/events`, { headers: { authorization: `Bearer ${PASSWORD}` }, signal: stopEvents.signal });
  expect(events.status).toBe(200);
  const eventBytes: string[] = [];
  const reading = (async () => {
    const reader = events.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) eventBytes.push(new TextDecoder().decode(r.value));
  })().catch(() => undefined);

  // Each wrong guess a different one: the same wrong secret sent again counts once (limiter.ts).
  expect((await post(`/rooms/${code}/join`, { nickname: "x", model: "m", endpoint: upstream.url, password: `${GUESS}-join` })).status).toBe(401);
  expect((await post(`/rooms/${code}/join`, { id: "pc", nickname: "canary", model: "m", endpoint: upstream.url, password: PASSWORD })).status).toBe(201);

  for (const path of ["/health", `/rooms/${code}`, `/rooms/${code}/participants`, `/rooms/${code}/v1/models`]) expect((await call(path, { auth: PASSWORD })).status).toBe(200);
  expect((await call("/rooms", { auth: TOKEN })).status).toBe(200);
  expect((await call(`/rooms/${code}/participants`, { auth: `${GUESS}-list` })).status).toBe(401);

  const chat = (auth: string | undefined, stream = true) => post(`/rooms/${code}/v1/chat/completions`, { model: "*", stream, messages: [{ role: "user", content: "hi" }] }, auth);
  expect((await chat(PASSWORD)).status).toBe(200);
  expect((await chat(undefined)).status).toBe(401);
  expect((await post(`/rooms/${code}/v1/responses`, { model: "*", input: "hi" }, PASSWORD)).status).toBe(200);
  for (const [method, suffix] of [["GET", ""], ["GET", "/input_items"], ["POST", "/cancel"], ["DELETE", ""]] as const) {
    expect((await call(`/rooms/${code}/v1/responses/resp_canary${suffix}`, { method, auth: PASSWORD })).status).toBe(200);
  }
  // A bad body with the right password: the validation message names fields, not the bearer.
  expect((await post(`/rooms/${code}/v1/chat/completions`, { model: 7 }, PASSWORD)).status).toBe(400);

  // The fourth wrong guess (token, join, participants, now chat) blocks the address, and the
  // hub logs it; then the right password is refused too.
  expect((await chat(`${GUESS}-chat`)).status).toBe(401);
  expect((await chat(PASSWORD)).status).toBe(429);
  expect(hub.logs.some((l) => l.includes("answering 429"))).toBe(true);

  stopEvents.abort();
  await reading;
  expect(eventBytes.join("")).toContain("llm.complete");

  const everything = [...seen, ...eventBytes, ...hub.logs, ...upstream.requests.map((r) => JSON.stringify(r))];
  expect(everything.length).toBeGreaterThan(40);
  for (const text of everything) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(GUESS);
  }
});
