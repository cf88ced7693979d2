/**
 * `GET /metrics` on a real hub (port 0) with fake upstreams: the text parses, its figures match
 * the requests the test made (by room, participant, model, protocol, result, stage; tokens;
 * retries), gauges are read off the rooms, room labels past the cap fold into `other`, the hub
 * token or `--metrics-token` guards it, `promtool check metrics` passes when promtool is
 * installed (Debian's `prometheus`; .ci/run installs it), and no secret (a provider key, a room
 * password, a participant token, a hostId, a caller's bearer) ever appears in it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startFakeUpstream, sseResponse } from "../helpers/fake-upstream.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KEY = `sk-canary-metrics-${crypto.randomUUID()}`;
const PASSWORD = `room-pass-${crypto.randomUUID().slice(0, 8)}`;
const BEARER = `caller-bearer-${crypto.randomUUID()}`;
const HUB_TOKEN = `hub-token-${crypto.randomUUID()}`;
const METRICS_TOKEN = `metrics-token-${crypto.randomUUID()}`;

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const stream = () =>
  sseResponse([
    chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content: "Hello" }, finish_reason: null }] }),
    chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "m", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } }),
    "data: [DONE]\n\n",
  ]);

/** `name{labels} value` lines → samples; throws on a line that is neither a comment nor a sample. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (samples: ReturnType<typeof parse>, name: string, where: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

async function scrape(hub: TestHub, token?: string): Promise<string> {
  const res = await fetch(`${hub.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return res.text();
}

function chat(hub: TestHub, code: string, bearer: string, body: Record<string, unknown> = {}) {
  return fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ model: "*", stream: true, messages: [{ role: "user", content: "hi" }], ...body }),
  });
}

describe("/metrics", () => {
  test("figures match the requests made; gauges; promtool; no secret in it", async () => {
    const hub = startTestHub({ metricsLimits: { roomCap: 2 } });
    const good = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: `Bearer ${KEY}` } });
    const bad = startFakeUpstream({ models: ["m"] });
    cleanups.push(() => hub.stop(), () => good.stop(), () => bad.stop());
    good.handle(() => stream());
    bad.handle(() => Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 503 }));

    const createRes = await hub.post("/rooms", { name: "locked", password: PASSWORD });
    const { room, hostId } = (await createRes.json()) as { room: { code: string }; hostId: string };
    const open = await hub.createRoom({ name: "open" });
    const third = await hub.createRoom({ name: "third" });
    expect((await hub.join(room.code, { id: "good-1", nickname: "Alice Nickname", model: "m", endpoint: good.url, password: PASSWORD, authHeaders: { Authorization: `Bearer ${KEY}` } })).status).toBe(201);
    expect((await hub.join(open, { id: "bad-1", nickname: "Bob Nickname", model: "m", endpoint: bad.url })).status).toBe(201);
    expect((await hub.join(open, { id: "good-2", nickname: "Carol", model: "m", endpoint: good.url, authHeaders: { Authorization: `Bearer ${KEY}` } })).status).toBe(201);
    expect((await hub.join(third, { id: "good-3", nickname: "Dan", model: "m", endpoint: good.url, authHeaders: { Authorization: `Bearer ${KEY}` } })).status).toBe(201);

    for (let i = 0; i < 3; i++) await (await chat(hub, room.code, PASSWORD)).text();
    // The open room: 3 answers from good-2, and a 503 from bad-1 (named: no failover).
    for (let i = 0; i < 3; i++) {
      const res = await chat(hub, open, BEARER, { model: "good-2" });
      expect(res.status).toBe(200);
      await res.text();
    }
    const failing = await chat(hub, open, BEARER, { model: "bad-1" });
    expect(failing.status).toBe(503);
    await failing.text();
    await (await chat(hub, third, BEARER)).text();
    // A model nobody serves: a request that ends in the queue stage, with no participant.
    expect((await chat(hub, open, BEARER, { model: "nobody-serves-this" })).status).toBe(404);

    const text = await scrape(hub);
    const samples = parse(text);
    const locked = { room: room.code, participant: "good-1", model: "m", protocol: "chat", adapted: "false" };
    expect(sum(samples, "gambi_requests_total", { ...locked, result: "ok", stage: "none" })).toBe(3);
    expect(sum(samples, "gambi_requests_total", { room: open, participant: "good-2", result: "ok" })).toBe(3);
    expect(sum(samples, "gambi_requests_total", { room: open, participant: "bad-1", result: "error", stage: "upstream" })).toBe(1);
    expect(sum(samples, "gambi_requests_total", { room: open, participant: "none", result: "error", stage: "queue" })).toBe(1);
    // The third room is past the cap of 2: its figures are under `other`.
    expect(sum(samples, "gambi_requests_total", { room: "other", participant: "good-3", result: "ok" })).toBe(1);
    expect(samples.some((s) => s.labels.room === third)).toBe(false);
    expect(sum(samples, "gambi_input_tokens_total", { room: room.code, participant: "good-1" })).toBe(21);
    expect(sum(samples, "gambi_output_tokens_total", { room: room.code, participant: "good-1" })).toBe(9);
    expect(sum(samples, "gambi_estimated_output_tokens_total")).toBe(0);
    expect(sum(samples, "gambi_ttft_seconds_count", locked)).toBe(3);
    expect(sum(samples, "gambi_request_duration_seconds_count", locked)).toBe(3);
    expect(sum(samples, "gambi_queue_wait_seconds_count", { room: room.code })).toBe(3);
    expect(sum(samples, "gambi_hub_overhead_seconds_count", { protocol: "chat" })).toBe(8);
    expect(sum(samples, "gambi_participants", { room: open, status: "online", transport: "direct" })).toBe(2);
    expect(sum(samples, "gambi_participants", { room: "other" })).toBe(1);
    expect(sum(samples, "gambi_requests_in_flight")).toBe(0);
    expect(sum(samples, "gambi_queue_depth")).toBe(0);
    expect(sum(samples, "gambi_rooms")).toBe(3);
    expect(sum(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sum(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);

    // Canaries: nothing secret, no nickname.
    for (const secret of [KEY, PASSWORD, BEARER, hostId, ...hub.tokens.values(), "Alice Nickname", "Bob Nickname"]) expect(text.includes(secret), secret).toBe(false);

    const promtool = Bun.which("promtool");
    if (!promtool) {
      console.warn("SKIP promtool check: promtool is not installed (Debian: apt-get install prometheus)");
      return;
    }
    const proc = Bun.spawn([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(`${out}${err}`.trim()).toBe("");
    expect(code).toBe(0);
  });

  test("retries and failover are counted", async () => {
    const hub = startTestHub();
    const good = startFakeUpstream({ models: ["m"] });
    const bad = startFakeUpstream({ models: ["m"] });
    cleanups.push(() => hub.stop(), () => good.stop(), () => bad.stop());
    good.handle(() => stream());
    bad.handle(() => Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 503 }));
    const code = await hub.createRoom({ name: "r" });
    expect((await hub.join(code, { id: "bad", nickname: "b", model: "m", endpoint: bad.url, maxConcurrency: 8 })).status).toBe(201);
    expect((await hub.join(code, { id: "good", nickname: "g", model: "m", endpoint: good.url, maxConcurrency: 1 })).status).toBe(201);
    // The bad one is less loaded for its capacity: it is tried first, then the good one.
    for (let i = 0; i < 4; i++) {
      const res = await chat(hub, code, BEARER);
      expect(res.status).toBe(200);
      await res.text();
    }
    const samples = parse(await scrape(hub));
    const retries = sum(samples, "gambi_retries_total", { room: code, reason: "http_503" });
    expect(retries).toBe(sum(samples, "gambi_requests_total", { participant: "bad", result: "error" }));
    expect(sum(samples, "gambi_requests_total", { participant: "good", result: "ok" })).toBe(4);
  });

  test("the hub token guards it; --metrics-token too; a wrong one is a 401 in the envelope", async () => {
    const plain = startTestHub();
    cleanups.push(() => plain.stop());
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(200);

    const hub = startTestHub({ token: HUB_TOKEN, metricsToken: METRICS_TOKEN });
    cleanups.push(() => hub.stop());
    const none = await fetch(`${hub.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("metrics_token_required");
    const wrong = await fetch(`${hub.url}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("invalid_metrics_token");
    const text = await scrape(hub, METRICS_TOKEN);
    await scrape(hub, HUB_TOKEN);
    expect(text.includes(HUB_TOKEN) || text.includes(METRICS_TOKEN)).toBe(false);
    // The metrics token creates no room.
    expect((await hub.post("/rooms", { name: "x" }, { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(401);
  });
});
