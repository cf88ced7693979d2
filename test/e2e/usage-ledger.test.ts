/**
 * The room's usage ledger (src/hub/ledger/) through real hubs on port 0 and fake upstreams:
 * figures match what the upstream reported; a stream without usage gets the hub's estimate,
 * flagged; `stream_options.include_usage` is added when the client did not ask (and its chunk
 * kept from the client), left alone when it did; the ledger survives a restart on a data
 * directory and stays in memory with none; a protected room wants its password; CSV; and no
 * bearer token, password, address or provider key shows in the answer, the CSV, the database
 * or the logs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { startFakeUpstream, sseResponse, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { tempDir } from "../helpers/hub-process.ts";
import type { RoomUsage } from "../../src/hub/ledger/usage-view.ts";
import { manualTimers } from "../helpers/fake-timers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KEY = `sk-canary-ledger-${crypto.randomUUID()}`;
const CALLER_TOKEN = `caller-secret-${crypto.randomUUID()}`;

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const content = (text: string) => chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama3", choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
const finish = chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama3", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
const usageChunk = (input: number, output: number) =>
  chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama3", choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } });

/** A chat stream of `words` content chunks; with usage, only when the request asked for it (as OpenAI does). */
function chatStream(words: string[], usage: { input: number; output: number } | "never") {
  return (_req: Request, body: string) => {
    const asked = (JSON.parse(body) as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true;
    const tail = usage !== "never" && asked ? [usageChunk(usage.input, usage.output)] : [];
    return sseResponse([...words.map(content), finish, ...tail, "data: [DONE]\n\n"]);
  };
}

async function setup(deps: Parameters<typeof startTestHub>[0] = {}, roomBody: Record<string, unknown> = { name: "ledger" }) {
  const hub = startTestHub(deps);
  const upstream = startFakeUpstream({ models: ["llama3"], requireHeader: { name: "authorization", value: `Bearer ${KEY}` } });
  cleanups.push(() => hub.stop(), () => upstream.stop());
  const code = await hub.createRoom(roomBody);
  const join = await hub.join(code, { id: "alice-1", nickname: "alice", model: "llama3", endpoint: upstream.url, password: roomBody.password, authHeaders: { Authorization: `Bearer ${KEY}` } });
  expect(join.status).toBe(201);
  return { hub, upstream, code };
}

function chat(hub: TestHub, code: string, body: Record<string, unknown>, bearer = CALLER_TOKEN) {
  return fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "Tell me about the sea, please." }], ...body }),
  });
}

/** The usage once `ready` says so (a request's end is counted just after its answer is out). */
async function waitForUsage(hub: TestHub, code: string, ready: (u: RoomUsage) => boolean): Promise<RoomUsage> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const u = await usage(hub, code);
    if (ready(u)) return u;
    if (performance.now() > deadline) throw new Error(`the ledger did not get there: ${JSON.stringify(u)}`);
    await Bun.sleep(10);
  }
}

async function usage(hub: TestHub, code: string, headers: Record<string, string> = {}): Promise<RoomUsage> {
  const res = await fetch(`${hub.url}/rooms/${code}/usage`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as RoomUsage;
}

function filesUnder(dir: string): string {
  let all = "";
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    all += statSync(path).isDirectory() ? filesUnder(path) : readFileSync(path).toString("latin1");
  }
  return all;
}

describe("the usage ledger", () => {
  test("figures match the upstream's usage, per participant and per caller; include_usage asked for and its chunk kept from the client", async () => {
    const { hub, upstream, code } = await setup();
    upstream.handle(chatStream(["The ", "sea ", "is ", "wide."], { input: 11, output: 4 }));
    const res = await chat(hub, code, { stream: true });
    const text = await res.text();
    expect(res.status).toBe(200);
    // The hub asked for usage…
    const sent = JSON.parse(upstream.inference().at(-1)!.body) as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
    // …and the client, who did not, never sees that chunk; everything else came as it was.
    expect(text).not.toContain('"usage"');
    expect(text).toBe([..."The |sea |is |wide.".split("|").map(content), finish, "data: [DONE]\n\n"].join(""));

    // A non-streaming answer with usage, read although nobody watches the room.
    upstream.handle(() =>
      Response.json({ id: "c2", object: "chat.completion", created: 0, model: "llama3", choices: [{ index: 0, message: { role: "assistant", content: "Deep." }, finish_reason: "stop" }], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
    );
    expect((await chat(hub, code, {})).status).toBe(200);

    const u = await usage(hub, code);
    expect(u.room).toBe(code);
    expect(Date.parse(u.since)).toBeGreaterThan(0);
    expect(u.participants).toHaveLength(1);
    expect(u.participants[0]).toMatchObject({ participantId: "alice-1", nickname: "alice", model: "llama3", requests: 2, errors: 0, inputTokens: 20, outputTokens: 6, estimatedInputTokens: 0, estimatedOutputTokens: 0 });
    expect(u.participants[0]!.meanTtftMs).toBeGreaterThanOrEqual(0);
    expect(u.callers).toHaveLength(1);
    expect(u.callers[0]!.caller).toMatch(/^caller-[0-9a-f]{8}$/);
    expect(u.callers[0]).toMatchObject({ model: "llama3", requests: 2, inputTokens: 20, outputTokens: 6, estimatedInputTokens: 0, estimatedOutputTokens: 0 });
    expect(u.totals).toEqual({ requests: 2, errors: 0, inputTokens: 20, outputTokens: 6, estimatedInputTokens: 0, estimatedOutputTokens: 0 });

    // Another bearer is another caller.
    await (await chat(hub, code, {}, "someone-else")).text();
    expect((await usage(hub, code)).callers).toHaveLength(2);
  });

  test("a client that asks for usage gets its chunk, and the body goes upstream as it sent it", async () => {
    const { hub, upstream, code } = await setup();
    upstream.handle(chatStream(["Hi."], { input: 5, output: 1 }));
    const res = await chat(hub, code, { stream: true, stream_options: { include_usage: true } });
    const text = await res.text();
    expect(text).toContain(usageChunk(5, 1));
    expect(JSON.parse(upstream.inference().at(-1)!.body).stream_options).toEqual({ include_usage: true });
    expect((await usage(hub, code)).participants[0]).toMatchObject({ inputTokens: 5, outputTokens: 1, estimatedOutputTokens: 0 });
  });

  test("a stream whose upstream never reports usage is estimated, flagged, never zero", async () => {
    const { hub, upstream, code } = await setup();
    const words = Array.from({ length: 20 }, (_, i) => `w${i} `);
    upstream.handle(chatStream(words, "never"));
    const text = await (await chat(hub, code, { stream: true })).text();
    expect(text).toContain("w19");
    const p = (await usage(hub, code)).participants[0]!;
    // About one token per content event, the request's ~30 characters ÷ 4.
    expect(p.estimatedOutputTokens).toBe(p.outputTokens);
    expect(p.outputTokens).toBeGreaterThanOrEqual(18);
    expect(p.outputTokens).toBeLessThanOrEqual(22);
    expect(p.estimatedInputTokens).toBe(p.inputTokens);
    expect(p.inputTokens).toBe(Math.ceil("Tell me about the sea, please.".length / 4));
    const totals = (await usage(hub, code)).totals;
    expect(totals.estimatedOutputTokens).toBe(p.outputTokens);
  });

  test("errors are counted for the participant that failed", async () => {
    const { hub, upstream, code } = await setup();
    upstream.handle(() => Response.json({ error: { message: "bad", type: "invalid_request_error" } }, { status: 400 }));
    expect((await chat(hub, code, {})).status).toBe(400);
    expect((await usage(hub, code)).participants[0]).toMatchObject({ requests: 1, errors: 1, inputTokens: 0, outputTokens: 0 });
  });

  test("requests no participant took count for their caller (model \"\", an error each unless the client left, no tokens), not for any participant", async () => {
    const timers = manualTimers();
    // One slot, a queue of one, a 5 s queue deadline on the test's clock; no upstream deadlines (the slot is held).
    const { hub, upstream, code } = await setup({ timers, queueSize: 1, queueTimeoutMs: 5_000, timeouts: { connectMs: 0, firstByteMs: 0, idleMs: 0 } });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const answer = chatStream(["Hi."], { input: 3, output: 1 });
    upstream.handle(async (req, body) => {
      if (upstream.inference().length === 1) await held;
      return answer(req, body);
    });
    const room = hub.hub.ctx.registry.find(code)!;
    const holder = chat(hub, code, { stream: true });
    expect(await waitFor(() => upstream.inference().length === 1)).toBe(true);

    // No one serves the model: 404 at once.
    expect((await chat(hub, code, { model: "nobody-serves-this" })).status).toBe(404);
    // One waits; the next finds the queue full (429); the one waiting times out (503).
    const late = chat(hub, code, {});
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    expect((await chat(hub, code, {})).status).toBe(429);
    timers.advance(5_000);
    expect((await late).status).toBe(503);
    // A client that leaves while it waits: a request, no error.
    const abort = new AbortController();
    const leaving = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${CALLER_TOKEN}` },
      body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "never mind" }] }),
      signal: abort.signal,
    }).catch((e: Error) => e);
    expect(await waitFor(() => room.scheduler.waiting === 1)).toBe(true);
    abort.abort();
    expect(((await leaving) as Error).name).toBe("AbortError");
    expect(await waitFor(() => room.scheduler.waiting === 0)).toBe(true);
    release();
    expect((await holder).status).toBe(200);
    await (await holder).text().catch(() => "");

    const u = await waitForUsage(hub, code, (x) => x.callers.reduce((n, c) => n + c.requests, 0) === 5);
    const [caller] = u.callers.map((c) => c.caller);
    expect(u.callers).toEqual([
      { caller: caller!, model: "llama3", requests: 1, errors: 0, inputTokens: 3, outputTokens: 1, estimatedInputTokens: 0, estimatedOutputTokens: 0 },
      { caller: caller!, model: "", requests: 4, errors: 3, inputTokens: 0, outputTokens: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0 },
    ]);
    // The participant served one request; the totals are what participants served.
    expect(u.participants).toHaveLength(1);
    expect(u.participants[0]).toMatchObject({ requests: 1, errors: 0 });
    expect(u.totals).toMatchObject({ requests: 1, errors: 0 });
    // The name asked for is never kept: no row, no CSV cell holds it.
    const csv = await (await fetch(`${hub.url}/rooms/${code}/usage?format=csv`)).text();
    expect(csv).not.toContain("nobody-serves-this");
    expect(csv).toMatch(/\r\ncaller,caller-[0-9a-f]{8},,,4,3,0,0,0,0,,\r\n/);
  });

  test("a request that every participant failed before its first byte: one error for its caller, one for each participant tried", async () => {
    const { hub, upstream, code } = await setup();
    const second = startFakeUpstream({ models: ["llama3"] });
    cleanups.push(() => second.stop());
    expect((await hub.join(code, { id: "bob-2", nickname: "bob", model: "llama3", endpoint: second.url })).status).toBe(201);
    const broken = () => Response.json({ error: { message: "down", type: "server_error" } }, { status: 503 });
    upstream.handle(broken);
    second.handle(broken);
    const res = await chat(hub, code, {});
    expect(res.status).toBe(503);
    expect(res.headers.get("x-gambi-attempts")).toBe("2");
    const u = await usage(hub, code);
    expect(u.participants.map((p) => [p.participantId, p.requests, p.errors]).sort()).toEqual([
      ["alice-1", 1, 1],
      ["bob-2", 1, 1],
    ]);
    expect(u.callers).toEqual([expect.objectContaining({ model: "llama3", requests: 1, errors: 1, inputTokens: 0, outputTokens: 0 })]);
  });

  test("?format=csv: a header and one row per kind, id and model; a bad format is a 400", async () => {
    const { hub, upstream, code } = await setup();
    upstream.handle(chatStream(["Hi."], { input: 3, output: 1 }));
    await (await chat(hub, code, { stream: true })).text();
    const res = await fetch(`${hub.url}/rooms/${code}/usage?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("kind,id,nickname,model,requests,errors,inputTokens,outputTokens,estimatedInputTokens,estimatedOutputTokens,meanTtftMs,tokensPerSecond");
    expect(lines[1]).toStartWith("participant,alice-1,alice,llama3,1,0,3,1,0,0,");
    expect(lines[2]).toMatch(/^caller,caller-[0-9a-f]{8},,llama3,1,0,3,1,0,0,,$/);
    const bad = await fetch(`${hub.url}/rooms/${code}/usage?format=xml`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("format");
    expect((await fetch(`${hub.url}/rooms/NOPE42/usage`)).status).toBe(404);
  });

  test("a password-protected room's ledger wants its password", async () => {
    const password = "ledger-room-password";
    const { hub, upstream, code } = await setup({}, { name: "locked", password });
    upstream.handle(chatStream(["Hi."], { input: 3, output: 1 }));
    await (await chat(hub, code, { stream: true }, password)).text();
    expect((await fetch(`${hub.url}/rooms/${code}/usage`)).status).toBe(401);
    expect((await fetch(`${hub.url}/rooms/${code}/usage`, { headers: { authorization: "Bearer wrong-one" } })).status).toBe(401);
    const u = await usage(hub, code, { authorization: `Bearer ${password}` });
    expect(u.totals.requests).toBe(1);
    // The room's password is everyone's bearer there: callers are told apart by address, never named by it.
    expect(u.callers[0]!.caller).toMatch(/^caller-[0-9a-f]{8}$/);
    expect(JSON.stringify(u)).not.toContain("127.0.0.1");
    expect(JSON.stringify(u)).not.toContain(password);
  });

  test("survives a restart on a data directory (same caller label); no secret in the database, the answers or the logs", async () => {
    const dir = tempDir("ledger");
    const first = await setup({ dataDir: dir });
    first.upstream.handle(chatStream(["One ", "two."], { input: 7, output: 2 }));
    await (await chat(first.hub, first.code, { stream: true })).text();
    const before = await usage(first.hub, first.code);
    const csvBefore = await (await fetch(`${first.hub.url}/rooms/${first.code}/usage?format=csv`)).text();
    await first.hub.stop();

    const hub = startTestHub({ dataDir: dir });
    cleanups.push(() => hub.stop());
    const after = await usage(hub, first.code);
    expect(after).toEqual(before);
    // The participant joins again (a restart forgets participants), the same caller calls again.
    expect((await hub.join(first.code, { id: "alice-1", nickname: "alice", model: "llama3", endpoint: first.upstream.url, authHeaders: { Authorization: `Bearer ${KEY}` } })).status).toBe(201);
    await (await chat(hub, first.code, { stream: true })).text();
    const again = await usage(hub, first.code);
    expect(again.callers).toHaveLength(1);
    expect(again.callers[0]!.caller).toBe(before.callers[0]!.caller);
    expect(again.participants[0]).toMatchObject({ requests: 2, inputTokens: 14, outputTokens: 4 });
    hub.hub.flushLedger();

    for (const text of [filesUnder(dir), JSON.stringify(again), csvBefore, first.hub.logs.join("\n"), hub.logs.join("\n")]) {
      expect(text.includes(CALLER_TOKEN)).toBe(false);
      expect(text.includes(KEY)).toBe(false);
    }
  });

  test("--ephemeral (no data directory): kept in memory, gone with the hub; a deleted room takes its ledger", async () => {
    const { hub, upstream, code } = await setup();
    upstream.handle(chatStream(["Hi."], { input: 3, output: 1 }));
    await (await chat(hub, code, { stream: true })).text();
    expect((await usage(hub, code)).totals.requests).toBe(1);
    expect(hub.hub.ctx.roomStore.file).toBeUndefined();
    const room = hub.hub.ctx.registry.find(code)!;
    hub.hub.ctx.registry.remove(room, "deleted");
    expect(hub.hub.ctx.ledger.rowsOf(room)).toEqual([]);
  });
});
