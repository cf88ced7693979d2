/**
 * Graceful shutdown, as users run it: `gambi hub` spawned, streams in flight from a fake
 * upstream that never stops on its own, then SIGTERM. New connections are refused at once, the
 * rooms' event streams end, the in-flight streams keep receiving events until the grace period
 * is over and then end with their protocol's error event (`hub_shutting_down`), the upstream
 * requests are aborted, and the process exits 0 within grace + margin. A stream that finishes
 * within the grace period finishes whole, and the hub exits without waiting out the rest. A
 * joined participant sees the hub go and joins again when it is back on the same directory.
 */
import { afterEach, expect, test } from "bun:test";
import { createConsola } from "consola";
import { rmSync } from "node:fs";
import { createHubClient } from "../../src/client.ts";
import { startParticipant } from "../../src/join/runtime.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnHub, tempDir } from "../helpers/hub-process.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  killHubProcesses();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = new TextEncoder();
const chunk = (content: string, role?: string) =>
  `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { ...(role ? { role } : {}), content }, finish_reason: null }] })}\n\n`;
const last = `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`;

/** A chat stream with one event every `everyMs`: forever, or `count` of them then the end. */
function ticking(everyMs: number, count = Infinity): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  let n = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(chunk("", "assistant")));
      timer = setInterval(() => {
        if (n >= count) {
          clearInterval(timer);
          controller.enqueue(enc.encode(last));
          controller.close();
          return;
        }
        controller.enqueue(enc.encode(chunk(`tick${n++} `)));
      }, everyMs);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

function upstreamFor(handler: (body: { messages?: { content: string }[] }) => Response): FakeUpstream {
  const upstream = startFakeUpstream({ models: ["m"], responses: false });
  upstream.handle((_req, body) => handler(JSON.parse(body)));
  cleanups.push(() => upstream.stop());
  return upstream;
}

/** An open response body read in the background: its text so far, when each byte came, and whether it ended. */
function collect(res: Response) {
  const state = { text: "", done: false, error: undefined as unknown, lastAt: 0, chunksAfter: (t: number) => arrivals.filter((a) => a > t).length };
  const arrivals: number[] = [];
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const c of res.body as AsyncIterable<Uint8Array>) {
        state.text += decoder.decode(c, { stream: true });
        state.lastAt = performance.now();
        arrivals.push(state.lastAt);
      }
    } catch (err) {
      state.error = err;
    }
    state.done = true;
  })();
  return state;
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch (err) {
    return /ECONNREFUSED|Unable to connect/i.test(String((err as Error).message) + String((err as { code?: string }).code));
  }
}

async function setUpRoom(base: string, upstream: FakeUpstream): Promise<string> {
  const created = await fetch(`${base}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "shutdown" }) });
  const code = ((await created.json()) as { room: { code: string } }).room.code;
  // Twice: a participant on this machine takes one request at a time (hub/pool/member.ts), and
  // the tests keep two streams in flight.
  for (const id of ["p-ticker", "p-ticker-2"]) {
    const joined = await fetch(`${base}/rooms/${code}/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, nickname: "ticker", model: "m", endpoint: upstream.url }),
    });
    expect(joined.status).toBe(201);
  }
  return code;
}

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("SIGTERM: new connections refused, events end, in-flight streams run until the grace period, then an error event; exit 0", async () => {
  const GRACE_S = 3;
  const upstream = upstreamFor(() => ticking(40));
  const hub = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", "--shutdown-grace", String(GRACE_S)]);
  const base = `http://127.0.0.1:${await hub.port()}`;
  const code = await setUpRoom(base, upstream);

  const events = collect(await fetch(`${base}/rooms/${code}/events`));
  const chat = collect(await post(`${base}/rooms/${code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "go" }] }));
  // Responses on a chat-only participant: the adapted relay, ended through its mapper's fail().
  const responses = collect(await post(`${base}/rooms/${code}/v1/responses`, { model: "*", stream: true, input: "go" }));
  expect(await waitFor(() => chat.text.includes("tick2") && responses.text.includes("tick2") && events.text.includes("connected"), 5_000)).toBe(true);

  const signalledAt = performance.now();
  hub.p.kill("SIGTERM");
  // Both well before the grace period is over (deadlines leave room for a loaded machine).
  expect(await waitFor(() => events.done, 2_000)).toBe(true);
  let refusedNow = false;
  const refuseDeadline = signalledAt + 2_500;
  while (!refusedNow && performance.now() < refuseDeadline) refusedNow = await refused(`${base}/health`);
  expect(refusedNow).toBe(true);

  // The streams go on through the grace period...
  expect(await waitFor(() => chat.done && responses.done, (GRACE_S + 4) * 1000)).toBe(true);
  const endedAfter = (performance.now() - signalledAt) / 1000;
  expect(endedAfter).toBeGreaterThanOrEqual(GRACE_S - 0.1);
  for (const s of [chat, responses]) {
    expect(s.error).toBeUndefined();
    expect(s.chunksAfter(signalledAt + 500)).toBeGreaterThan(3);
  }
  // ...then end with their protocol's error event, and nothing after it.
  const chatEvents = chat.text.trim().split("\n\n");
  expect(JSON.parse(chatEvents.at(-1)!.replace(/^data: /, ""))).toEqual({
    error: { message: expect.stringContaining("shutting down"), type: "service_unavailable", code: "hub_shutting_down", param: null },
  });
  expect(chat.text).not.toContain("[DONE]");
  const responsesEvents = responses.text.trim().split("\n\n");
  const failed = responsesEvents.at(-1)!;
  expect(failed).toStartWith("event: response.failed");
  expect(JSON.parse(failed.split("\ndata: ")[1]!).response.error).toMatchObject({ code: "hub_shutting_down" });
  expect(responsesEvents.at(-2)!).toStartWith("event: error");

  expect(await hub.exited()).toBe(0);
  expect((performance.now() - signalledAt) / 1000).toBeLessThan(GRACE_S + 4);
  expect(await waitFor(() => upstream.inference().length === 2 && upstream.inference().every((r) => r.aborted), 2_000)).toBe(true);
  expect(hub.out.stdout + hub.out.stderr).toMatch(/\d requests? still running after 3 s: ended with an error event/);
});

test("SIGTERM: a stream that ends within the grace period ends whole, and the hub exits without waiting out the rest", async () => {
  const upstream = upstreamFor(() => ticking(50, 10));
  const hub = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", "--shutdown-grace", "20"]);
  const base = `http://127.0.0.1:${await hub.port()}`;
  const code = await setUpRoom(base, upstream);
  const chat = collect(await post(`${base}/rooms/${code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "go" }] }));
  expect(await waitFor(() => chat.text.includes("tick1"), 5_000)).toBe(true);

  const signalledAt = performance.now();
  hub.p.kill("SIGTERM");
  expect(await hub.exited()).toBe(0);
  expect((performance.now() - signalledAt) / 1000).toBeLessThan(10);
  expect(await waitFor(() => chat.done, 2_000)).toBe(true);
  expect(chat.text).toContain("tick9");
  expect(chat.text).toEndWith("data: [DONE]\n\n");
  expect(chat.text).not.toContain("hub_shutting_down");
  expect(hub.out.stdout + hub.out.stderr).not.toContain("still running");
});

test("a joined participant sees the hub go, and joins again when a hub is back on the same data directory", async () => {
  const dataDir = tempDir("shutdown-data");
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const upstream = upstreamFor(() => ticking(50, 1));
  const first = spawnHub(["--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--shutdown-grace", "5"]);
  const port = await first.port();
  const base = `http://127.0.0.1:${port}`;
  const client = createHubClient(base);
  const { room } = await client.createRoom({ name: "comes back" });
  const participant = startParticipant({
    client,
    code: room.code,
    log: createConsola({ level: -999 }),
    heartbeatMs: 50,
    maxBackoffMs: 100,
    request: { id: "p-back", nickname: "back", model: "m", endpoint: upstream.url },
  });
  await participant.start();
  cleanups.push(() => participant.stop());

  first.p.kill("SIGTERM");
  expect(await first.exited()).toBe(0);
  expect(await waitFor(() => participant.state === "hub-unreachable", 5_000)).toBe(true);

  const second = spawnHub(["--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir]);
  await second.port();
  expect(await waitFor(() => participant.state === "joined" && participant.rejoins >= 1, 10_000)).toBe(true);
  const participants = await fetch(`${base}/rooms/${room.code}/participants`);
  expect(((await participants.json()) as { participants: { id: string }[] }).participants.map((p) => p.id)).toEqual(["p-back"]);
  const answer = await post(`${base}/rooms/${room.code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "back?" }] });
  expect(await answer.text()).toEndWith("data: [DONE]\n\n");
});
