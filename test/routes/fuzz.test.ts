/**
 * Property-based fuzzing of every route (fast-check, seeded, bounded in runs and time): random
 * and mutated bodies, headers, paths, room codes and SSE-breaking strings. Whatever comes in,
 * the hub answers below 500, every error is in the documented envelope, and the room and
 * participants registered before the run are intact after it.
 *
 * GAMBI_FUZZ_SEED reproduces a run; GAMBI_FUZZ_RUNS scales it (default 150 per property).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";

type Json = Record<string, any>;

const SEED = Number(process.env.GAMBI_FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.GAMBI_FUZZ_RUNS ?? 150);
const params = { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 8_000, markInterruptAsFailure: false };

let hub: TestHub;
let chatOnly: FakeUpstream;
let both: FakeUpstream;
/** Speaks both protocols but keeps no Responses state (llama.cpp): its Responses turns are the hub's to keep. */
let stateless: FakeUpstream;
let code: string;
/** Joins land here, so the fuzzed room's own participants stay exactly as registered. */
let joinRoom: string;

beforeAll(async () => {
  hub = startTestHub();
  both = startFakeUpstream({ models: ["m"] });
  chatOnly = startFakeUpstream({ models: ["m"], responses: false });
  stateless = startFakeUpstream({ models: ["m"], responsesState: "stateless" });
  const ok = (_req: Request, body: string) => {
    const stream = (() => {
      try {
        return JSON.parse(body).stream === true;
      } catch {
        return false;
      }
    })();
    if (stream) return new Response('data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n', { headers: { "content-type": "text/event-stream" } });
    return Response.json({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] });
  };
  both.handle(ok);
  chatOnly.handle(ok);
  // A Response with an id, so the hub keeps each turn and later fuzzed bodies meet a filled store.
  let n = 0;
  stateless.handle((req, body) => {
    if (new URL(req.url).pathname !== "/v1/responses") return ok(req, body);
    return Response.json({ id: `resp_fuzz_${++n}`, object: "response", status: "completed", model: "m", output: [{ id: `msg_${n}`, type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "ok", annotations: [] }] }] });
  });
  code = await hub.createRoom({ name: "fuzzed" });
  expect((await hub.join(code, { id: "p-both", nickname: "both", model: "m", endpoint: both.url })).status).toBe(201);
  expect((await hub.join(code, { id: "p-chat", nickname: "chat", model: "m", endpoint: chatOnly.url })).status).toBe(201);
  expect((await hub.join(code, { id: "p-stateless", nickname: "stateless", model: "m", endpoint: stateless.url })).status).toBe(201);
  joinRoom = await hub.createRoom({ name: "joins" });
  VALID["/rooms/JOIN/join"]!.endpoint = both.url;
});
afterAll(async () => {
  await hub.stop();
  await both.stop();
  await chatOnly.stop();
  await stateless.stop();
});

/** Strings that break naive parsers: SSE framing, control bytes, lone surrogates, long runs. */
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom("\n\ndata: [DONE]\n\n", "\r\n\r\nevent: error\n", "\u0000", "\ud800", "%00", "../../etc/passwd", "*", "model:", "any", "A".repeat(70_000), "😀".repeat(500)),
  fc.string({ unit: "binary" }),
);

const anyJson = fc.jsonValue({ maxDepth: 4 });

/** A valid body for each POST route, mutated at a random top-level key or replaced entirely. */
const VALID: Record<string, Json> = {
  "/rooms": { name: "r", password: "pw" },
  "/rooms/JOIN/join": { id: "fz", nickname: "fz", model: "m", endpoint: "set in beforeAll" },
  "/rooms/CODE/health": { id: "p-both" },
  "/rooms/CODE/v1/chat/completions": { model: "*", messages: [{ role: "user", content: "hi" }] },
  "/rooms/CODE/v1/responses": { model: "*", input: "hi" },
};

const mutatedBody = fc.oneof(
  anyJson.map((v) => JSON.stringify(v)),
  nasty,
  fc.tuple(fc.constantFrom(...Object.keys(VALID)), fc.string({ maxLength: 20 }), fc.oneof(anyJson, nasty)).map(([route, key, value]) => {
    const base = { ...VALID[route]! };
    const keys = Object.keys(base);
    const target = key.length % 2 === 0 && keys.length ? keys[key.length % keys.length]! : key;
    return JSON.stringify({ ...base, [target]: value });
  }),
);

const contentType = fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=latin1");

async function expectEnvelope(res: Response, what: string): Promise<void> {
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${what} → ${res.status}: ${text.slice(0, 300)}`);
  if (res.status < 400) return;
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${what} → ${res.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (typeof json.error?.message !== "string" || typeof json.error?.type !== "string") throw new Error(`${what} → ${res.status} outside the envelope: ${text.slice(0, 200)}`);
}

test("POST bodies: random and mutated, on every POST route", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...Object.keys(VALID)), mutatedBody, contentType, async (route, body, type) => {
      const res = await fetch(hub.url + route.replace("CODE", code).replace("JOIN", joinRoom), { method: "POST", headers: type ? { "content-type": type } : {}, body });
      await expectEnvelope(res, `POST ${route} ${type} ${body.slice(0, 120)}`);
    }),
    params,
  );
});

test("paths, room codes and methods", async () => {
  // A lone surrogate cannot be percent-encoded as UTF-8: send it as the invalid bytes instead.
  const encode = (s: string) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return "%ED%A0%80";
    }
  };
  const segment = fc.oneof(nasty.map((s) => encode(s.slice(0, 200))), fc.constant(code), fc.constant(code.toLowerCase()), fc.stringMatching(/^[A-Z0-9]{1,8}$/));
  const path = fc.tuple(segment, fc.constantFrom("", "/participants", "/events?x=1", "/v1/models", "/v1/responses/", "/v1/responses/resp_x/input_items?limit=", "/leave/", "/join", "/v1/chat/completions")).map(([room, tail]) => `/rooms/${room}${tail}`);
  const method = fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS");
  await fc.assert(
    fc.asyncProperty(path, method, async (p, m) => {
      const abort = new AbortController();
      const res = await fetch(hub.url + p, { method: m, body: m === "GET" || m === "OPTIONS" ? undefined : "{}", headers: { "content-type": "application/json" }, signal: abort.signal });
      // An event stream that opened fine is not read to the end.
      if (res.status === 200 && (res.headers.get("content-type") ?? "").includes("event-stream")) {
        abort.abort();
        return;
      }
      await expectEnvelope(res, `${m} ${p}`);
    }),
    params,
  );
});

test("headers: random Authorization, content types and junk header values", async () => {
  const headerValue = fc.string({ maxLength: 300 }).filter((s) => !/[\r\n\0]/.test(s) && [...s].every((c) => c.charCodeAt(0) < 256));
  await fc.assert(
    fc.asyncProperty(headerValue, headerValue, contentType, fc.boolean(), async (auth, extra, type, stream) => {
      const res = await fetch(`${hub.url}/rooms/${code}/v1/responses`, {
        method: "POST",
        headers: { "content-type": type || "application/json", authorization: auth, "x-junk": extra, "accept-encoding": extra },
        body: JSON.stringify({ model: "*", input: "hi", stream }),
      });
      await expectEnvelope(res, `headers ${JSON.stringify([auth, extra, type])}`);
    }),
    params,
  );
});

test("SSE-breaking strings in every text field a request carries", async () => {
  await fc.assert(
    fc.asyncProperty(nasty, fc.boolean(), fc.constantFrom("chat", "responses"), async (s, stream, protocol) => {
      const body = protocol === "chat" ? { model: s, stream, messages: [{ role: "user", content: s, name: s }], user: s } : { model: s, stream, input: [{ role: "user", content: s }], instructions: s, user: s };
      const res = await hub.post(`/rooms/${code}/v1/${protocol === "chat" ? "chat/completions" : "responses"}`, body);
      await expectEnvelope(res, `${protocol} ${JSON.stringify(s).slice(0, 80)}`);
    }),
    params,
  );
});

test("what was registered before the fuzzing is intact after it", async () => {
  const room = hub.hub.ctx.registry.find(code)!;
  expect(room.name).toBe("fuzzed");
  expect([...room.participants.keys()].sort()).toEqual(["p-both", "p-chat", "p-stateless"]);
  for (const p of room.participants.values()) expect(room.scheduler.memberView(p.id)?.inFlight).toBe(0);
  const res = await hub.post(`/rooms/${code}/v1/responses`, { model: "*", input: "still there?" });
  expect(res.status).toBe(200);
});

test("CR/LF in an auth header, a bad header name, an oversized nickname → 400", async () => {
  const join = (body: Json) => hub.post(`/rooms/${joinRoom}/join`, { id: "x400", nickname: "n", model: "m", endpoint: both.url, ...body });
  for (const res of [
    await join({ authHeaders: { Authorization: "Bearer a\r\nX-Injected: 1" } }),
    await join({ authHeaders: { "Bad Name": "v" } }),
    await join({ nickname: "n".repeat(10_000) }),
  ]) {
    expect(res.status).toBe(400);
    await expectEnvelope(res, "join");
  }
});

test("non-UTF-8 bytes in a JSON body → 400 on every POST route", async () => {
  const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"'), 0xff, 0xfe, 0xc3, ...new TextEncoder().encode('"}')]);
  for (const route of ["/rooms", `/rooms/${joinRoom}/join`, `/rooms/${code}/v1/chat/completions`, `/rooms/${code}/v1/responses`]) {
    const res = await fetch(hub.url + route, { method: "POST", headers: { "content-type": "application/json" }, body: bytes });
    expect({ route, status: res.status }).toEqual({ route, status: 400 });
    expect(((await res.json()) as Json).error.code).toBe("invalid_encoding");
  }
});

test("a body over the configured limit → 413 in the envelope", async () => {
  const small = (await import("../../src/hub/index.ts")).startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, maxRequestBodySize: 1024 });
  try {
    const res = await fetch(`${small.url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x".repeat(4096) }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Json).error).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
    // A chunked body declares no length: the hub counts the bytes it reads.
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(JSON.stringify({ name: "y".repeat(4096) })));
        c.close();
      },
    });
    const res2 = await fetch(`${small.url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: chunked });
    expect(res2.status).toBe(413);
    expect(((await res2.json()) as Json).error.code).toBe("request_too_large");
    // Far over the limit (Bun's own cap once sat 64 KiB above it and answered an empty 413):
    // every route answers in its API's shape, whatever the body's type, declared or chunked.
    const huge = "z".repeat(256 * 1024);
    const chunkedHuge = () =>
      new ReadableStream({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode(huge));
          c.close();
        },
      });
    const targets: [string, string][] = [
      ["/rooms", "application/json"],
      ["/rooms", "application/x-www-form-urlencoded"],
      ["/rooms", "text/plain"],
      ["/rooms/ABCDEF/v1/chat/completions", "application/json"],
      ["/rooms/ABCDEF/v1/messages", "application/json"],
    ];
    for (const [path, type] of targets) {
      for (const [how, body] of [
        ["declared", JSON.stringify({ name: huge })],
        ["chunked", chunkedHuge()],
      ] as const) {
        const big = await fetch(`${small.url}${path}`, { method: "POST", headers: { "content-type": type }, body });
        const text = await big.text();
        expect({ path, type, how, status: big.status }).toEqual({ path, type, how, status: 413 });
        const json = JSON.parse(text) as Json;
        if (path.endsWith("/messages")) expect(json).toMatchObject({ type: "error", error: { type: "request_too_large" } });
        else expect(json.error).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
      }
    }
  } finally {
    await small.stop();
  }
});
