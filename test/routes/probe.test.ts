/** Join-time probing against fake endpoints: credentials, reachability, protocols, base URLs. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { isLoopbackAddress } from "../../src/hub/rooms/join.ts";

const SECRET = "Bearer sk-probe-canary-123456";
let hub: TestHub;
const upstreams: FakeUpstream[] = [];
const fake = (opts: Parameters<typeof startFakeUpstream>[0]) => {
  const u = startFakeUpstream(opts);
  upstreams.push(u);
  return u;
};

beforeAll(() => {
  hub = startTestHub({ probeTimeoutMs: 2000 });
});
afterAll(async () => {
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
});

async function join(endpoint: string, extra: Record<string, unknown> = {}) {
  const code = await hub.createRoom();
  const res = await hub.join(code, { nickname: "n", model: "test-model", endpoint, ...extra });
  return { res, body: (await res.json()) as any, code };
}

describe("credentials", () => {
  test("401 from the endpoint → join fails naming the header, never its value", async () => {
    const u = fake({ requireHeader: { name: "authorization", value: "Bearer right" } });
    const { res, body } = await join(u.url, { authHeaders: { Authorization: SECRET } });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("endpoint_credentials_rejected");
    expect(body.error.message).toContain('"Authorization"');
    expect(JSON.stringify(body)).not.toContain("sk-probe-canary");
    expect(hub.logs.join("\n")).not.toContain("sk-probe-canary");
  });

  test("no auth headers against a protected endpoint says credentials are needed", async () => {
    const u = fake({ requireHeader: { name: "authorization", value: "Bearer right" } });
    const { res, body } = await join(u.url);
    expect(res.status).toBe(400);
    expect(body.error.message).toContain("needs credentials");
  });

  test("the right header passes, and the endpoint sees it on every probe", async () => {
    const u = fake({ requireHeader: { name: "x-api-key", value: "k-123" } });
    const { res, body } = await join(u.url, { authHeaders: { "X-Api-Key": "k-123" } });
    expect(res.status).toBe(201);
    expect(body.participant.hasAuth).toBe(true);
    // /models, /responses, /chat/completions and /messages, and the Responses state probe.
    expect(u.requests.length).toBe(5);
    for (const r of u.requests) expect(r.headers["x-api-key"]).toBe("k-123");
    expect(JSON.stringify(body)).not.toContain("k-123");
  });
});

describe("reachability", () => {
  test("unreachable endpoint → 502 naming the URL and the network error", async () => {
    const u = startFakeUpstream();
    const url = u.url;
    await u.stop(); // the port is now closed
    const { res, body } = await join(url);
    expect(res.status).toBe(502);
    expect(body.error.code).toBe("endpoint_unreachable");
    expect(body.error.message).toContain(`${url}/v1/models`);
    expect(body.error.message.length).toBeGreaterThan(`could not reach endpoint ${url}/v1/models: `.length);
  });

  test("loopback detection for the localhost hint", () => {
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("192.168.1.20")).toBe(false);
  });
});

describe("capabilities", () => {
  test.each([
    ["both", { chat: true, responses: true }, { responses: true, chatCompletions: true, messages: false }],
    ["chat only", { chat: true, responses: false }, { responses: false, chatCompletions: true, messages: false }],
    ["responses only", { chat: false, responses: true }, { responses: true, chatCompletions: false, messages: false }],
    ["all three", { chat: true, responses: true, messages: true }, { responses: true, chatCompletions: true, messages: true }],
    ["Messages only", { chat: false, responses: false, messages: true }, { responses: false, chatCompletions: false, messages: true }],
  ])("%s", async (_label, opts, caps) => {
    const u = fake(opts);
    const { res, body } = await join(u.url);
    expect(res.status).toBe(201);
    expect(body.participant.capabilities).toEqual(caps);
  });

  test.each([
    ["OpenAI's previous_response_not_found", "stateful", "stateful"],
    ["llama.cpp's refusal of previous_response_id", "stateless", "stateless"],
    ["a validation error that tells nothing", "ambiguous", "unknown"],
  ] as const)("the Responses state probe: %s → %s", async (_label, answers, state) => {
    const u = fake({ responsesState: answers });
    const { res, body } = await join(u.url);
    expect(res.status).toBe(201);
    expect(body.participant.responsesState).toBe(state);
    const probe = u.requests.find((r) => r.body.includes("resp_gambi_state_probe"))!;
    // Nothing a server could generate from: no model, an input item of no known type.
    expect(JSON.parse(probe.body)).toEqual({ previous_response_id: "resp_gambi_state_probe", input: [{ type: "gambi_state_probe" }] });
    expect(hub.logs.join("\n")).toContain(`responses=true (state ${state})`);
  });

  test("a chat-only endpoint's Responses state is unknown (its Responses requests are the hub's own)", async () => {
    const u = fake({ responses: false, responsesState: "stateless" });
    const { body } = await join(u.url);
    expect(body.participant.responsesState).toBe("unknown");
  });

  test("no protocol at all → 400 asking whether this is an OpenAI- or Anthropic-compatible base URL", async () => {
    const u = fake({ chat: false, responses: false });
    const { res, body } = await join(u.url);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("endpoint_not_openai_compatible");
    expect(body.error.message).toContain("/v1/messages");
  });

  test("/v1/messages is probed with {} and anthropic-version (so is the model list): Anthropic wants it on every request", async () => {
    const u = fake({ messages: true });
    const { res } = await join(u.url);
    expect(res.status).toBe(201);
    const asked = u.requests.find((r) => r.path === "/v1/messages")!;
    expect([asked.method, asked.body, asked.headers["anthropic-version"]]).toEqual(["POST", "{}", "2023-06-01"]);
    expect(u.requests.find((r) => r.path === "/v1/models")!.headers["anthropic-version"]).toBe("2023-06-01");
    // The OpenAI routes are asked as before, without it.
    expect(u.requests.find((r) => r.path === "/v1/chat/completions")!.headers["anthropic-version"]).toBeUndefined();
  });

  test("the participant's own anthropic-version (any case) is the one sent, once", async () => {
    const u = fake({ messages: true });
    const { res } = await join(u.url, { authHeaders: { "Anthropic-Version": "2099-01-01" } });
    expect(res.status).toBe(201);
    expect(u.requests.find((r) => r.path === "/v1/messages")!.headers["anthropic-version"]).toBe("2099-01-01");
  });

  /** A fake that speaks all three protocols, but answers these paths with this status and body. */
  const answering = (paths: string | string[], status: number, body: unknown) => {
    const answered = new Set(typeof paths === "string" ? [paths] : paths);
    const u = fake({ messages: true });
    const inner = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        const url = new URL(req.url);
        if (answered.has(url.pathname)) return Response.json(body, { status });
        return fetch(`${u.url}${url.pathname}`, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.text() });
      },
    });
    upstreams.push({ stop: async () => void inner.stop(true) } as FakeUpstream);
    return `http://127.0.0.1:${inner.port}`;
  };

  test("a 200 to the empty Messages body is a catch-all (LM Studio answers any route so), not Messages", async () => {
    const url = answering("/v1/messages", 200, { error: "Unexpected endpoint or method. (POST /v1/messages)" });
    const { res, body } = await join(url);
    expect(res.status).toBe(201);
    expect(body.participant.capabilities).toEqual({ responses: true, chatCompletions: true, messages: false });
  });

  test("llama.cpp's 500 \"'messages' is required\" to {} means the route is there", async () => {
    const url = answering("/v1/messages", 500, { error: { code: 500, message: "'messages' is required", type: "server_error" } });
    const { body } = await join(url);
    expect(body.participant.capabilities.messages).toBe(true);
  });

  test("a 401 on /v1/messages alone, where the OpenAI routes took the key, leaves Messages out; the join stands", async () => {
    const url = answering("/v1/messages", 401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    const { res, body } = await join(url);
    expect(res.status).toBe(201);
    expect(body.participant.capabilities.messages).toBe(false);
  });

  test("and the other way: a 401 on the OpenAI routes while /v1/messages took the key leaves them out", async () => {
    const url = answering(["/v1/chat/completions", "/v1/responses"], 401, { error: { message: "use Authorization", type: "authentication_error" } });
    const { res, body } = await join(url);
    expect(res.status).toBe(201);
    expect(body.participant.capabilities).toEqual({ responses: false, chatCompletions: false, messages: true });
  });

  test("a 401 on /v1/messages of a Messages-only endpoint is a rejected key", async () => {
    const u = fake({ chat: false, responses: false, messages: true, requireHeader: { name: "x-api-key", value: "right" } });
    const { res, body } = await join(u.url, { authHeaders: { "x-api-key": "wrong" } });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("endpoint_credentials_rejected");
    expect(body.error.message).toContain('"x-api-key"');
  });

  test("an endpoint without /v1/models is accepted on the other probes", async () => {
    const u = fake({ models: null });
    const { res } = await join(u.url, { model: "anything" });
    expect(res.status).toBe(201);
  });
});

describe("base URLs", () => {
  test.each(["", "/", "/v1", "/v1/"])("prefix /api with suffix %p normalises to the same base", async (suffix) => {
    const u = fake({ prefix: "/api" });
    const { res, body } = await join(u.url + suffix);
    expect(res.status).toBe(201);
    expect(body.participant.endpoint).toBe(u.url);
    expect(u.requests.map((r) => r.path).sort()).toEqual(["/api/v1/chat/completions", "/api/v1/messages", "/api/v1/models", "/api/v1/responses", "/api/v1/responses"]);
  });

  test("a deeper prefix works (Fireworks-style /inference, Groq-style /openai)", async () => {
    const u = fake({ prefix: "/openai" });
    const { res } = await join(`${u.url}/v1`);
    expect(res.status).toBe(201);
  });
});
