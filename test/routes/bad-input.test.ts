/** Hostile and malformed input: always a 4xx in OpenAI's envelope, never a 500, nothing lost. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

let hub: TestHub;
let upstream: FakeUpstream;
let code: string;

beforeAll(async () => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"] });
  upstream.handle(() => Response.json({ id: "ok", object: "chat.completion", choices: [] }));
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "keep", nickname: "keeper", model: "m", endpoint: upstream.url })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const bodies: [string, string][] = [
  ["empty", ""],
  ["not JSON", "{model:"],
  ["array", "[1,2]"],
  ["string", '"hello"'],
  ["null", "null"],
  ["number model", '{"model":5,"messages":[]}'],
  ["stream as string", '{"model":"*","stream":"yes","messages":[]}'],
  ["messages not array", '{"model":"*","messages":"hi"}'],
  ["empty model", '{"model":"","messages":[]}'],
  ["deep nesting", `${"[".repeat(5000)}${"]".repeat(5000)}`],
  ["NUL bytes", '{"model":"\\u0000","messages":[]}'],
  ["SSE breaker", '{"model":"*\\n\\ndata: [DONE]\\n\\n","messages":[]}'],
];

const routes = ["/rooms", `/rooms/${"CODE"}/join`, `/rooms/${"CODE"}/health`, `/rooms/CODE/v1/chat/completions`, `/rooms/CODE/v1/responses`];

// `messages` means nothing to the Responses API: it is passed on like any unknown field.
const cases = routes.flatMap((r) => bodies.map(([label, body]) => [r, label, body] as const)).filter(([r, label]) => !(r.endsWith("/responses") && label === "messages not array"));

test.each(cases)("POST %s with %s → 4xx envelope", async (route, _label, body) => {
  for (const contentType of ["application/json", "text/plain"]) {
    const res = await fetch(hub.url + route.replace("CODE", code), { method: "POST", headers: { "content-type": contentType }, body });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const json = (await res.json()) as any;
    expect(typeof json.error.message).toBe("string");
    expect(typeof json.error.type).toBe("string");
  }
});

test.each(["/rooms/%00", "/rooms/%E0%A4%A/participants", `/rooms/${"x".repeat(5000)}/v1/models`, "/rooms/AB12CD/v1/responses/%2F..%2F", "/rooms/../../etc/passwd"])(
  "odd path %p → 4xx",
  async (path) => {
    const res = await fetch(hub.url + path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  },
);

test("the room and its participant survive all of it", async () => {
  const { participants } = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any;
  expect(participants.map((p: any) => p.id)).toEqual(["keep"]);
  const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "hi" }] });
  expect(res.status).toBe(200);
});

test("events stream sends a comment heartbeat so idle proxies keep it open", async () => {
  const quick = startTestHub({ eventsHeartbeatMs: 20 });
  const room = await quick.createRoom();
  const abort = new AbortController();
  const res = await fetch(`${quick.url}/rooms/${room}/events`, { signal: abort.signal });
  const reader = res.body!.getReader();
  let text = "";
  const deadline = Date.now() + 2000;
  while (!text.includes(": heartbeat") && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
  expect(text).toContain("event: connected");
  expect(text).toContain(": heartbeat\n\n");
  abort.abort();
  await quick.stop();
});
