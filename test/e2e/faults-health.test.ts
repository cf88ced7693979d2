/**
 * A participant whose endpoint goes away: after 3 faults in a row (unreachable, timed out) it
 * is marked unhealthy (`participant.unhealthy` on the room's events, `health` in the public
 * view), routing skips it while a healthy participant can serve, the sweeper re-probes it with
 * the join probe until it answers (`participant.healthy`), and a successful request resets the
 * count. The hub's clock is a test clock, so re-probe times are exact; sockets are real.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";

type Mode = "ok" | "hang" | "500";

/** A participant endpoint that can be switched off (its port closed) and on again on the same port. */
function flakyEndpoint() {
  let server: Server<unknown> | undefined;
  let port = 0;
  const state = { mode: "ok" as Mode, probes: 0, requests: 0 };
  const start = () => {
    server = Bun.serve({
      port,
      hostname: "127.0.0.1",
      idleTimeout: 0,
      async fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/v1/models") {
          state.probes++;
          return Response.json({ object: "list", data: [{ id: "m", object: "model" }] });
        }
        const body = await req.text();
        if (body === "{}") {
          state.probes++;
          return Response.json({ error: { message: "you must provide a model parameter", type: "invalid_request_error" } }, { status: 400 });
        }
        state.requests++;
        if (state.mode === "hang") return new Promise<Response>((resolve) => req.signal.addEventListener("abort", () => resolve(new Response(null))));
        if (state.mode === "500") return Response.json({ error: { message: "model crashed", type: "server_error" } }, { status: 500 });
        return Response.json(completion("flaky"));
      },
    });
    port = server.port!;
  };
  start();
  return {
    state,
    url: `http://127.0.0.1:${port}`,
    down: () => server!.stop(true),
    up: start,
  };
}

const completion = (who: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: `hi from ${who}` }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
});

let clock = 1_000_000;
let hub: TestHub;
let steady: FakeUpstream;
let flaky: ReturnType<typeof flakyEndpoint>;
let code: string;
let events: ReturnType<typeof readEvents>;

beforeAll(async () => {
  hub = startTestHub({
    now: () => clock,
    // Always the first of the least busy: without health, "*" would pick `flaky` (it joined first).
    random: () => 0,
    timeouts: { connectMs: 200, firstByteMs: 300, idleMs: 300 },
    unhealthyAfter: 3,
    reprobeEveryMs: 10_000,
    offlineAfterMs: 24 * 3600_000,
  });
  flaky = flakyEndpoint();
  steady = startFakeUpstream({ models: ["m"] });
  steady.handle(() => Response.json(completion("steady")));
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "flaky", nickname: "flaky", model: "m", endpoint: flaky.url })).status).toBe(201);
  expect((await hub.join(code, { id: "steady", nickname: "steady", model: "m", endpoint: steady.url })).status).toBe(201);
  events = readEvents(`${hub.url}/rooms/${code}/events`);
  await events.next("connected");
});
afterAll(async () => {
  await events.close();
  await hub.stop();
  await steady.stop();
  await flaky.down();
});

const ask = (model: string) => hub.post(`/rooms/${code}/v1/chat/completions`, { model, messages: [{ role: "user", content: "hi" }] });
const participant = () => hub.hub.ctx.registry.find(code)!.participants.get("flaky")!;
async function healthView(): Promise<Record<string, string>> {
  const list = ((await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any).participants as { id: string; health: string }[];
  return Object.fromEntries(list.map((p) => [p.id, p.health]));
}
/** One sweeper pass, then wait for the re-probe it may have started. */
async function sweep() {
  hub.hub.sweep();
  expect(await waitFor(() => !participant().probing, 5000)).toBe(true);
}

describe("unhealthy after repeated faults, skipped, re-probed, healthy again", () => {
  test("starts healthy, and the public view says so", async () => {
    expect(await healthView()).toEqual({ flaky: "healthy", steady: "healthy" });
    const res = await ask("*");
    expect(res.headers.get("x-gambi-participant")).toBe("flaky");
  });

  test("HTTP error answers are answers: five 500s leave it healthy", async () => {
    flaky.state.mode = "500";
    for (let i = 0; i < 5; i++) expect((await ask("flaky")).status).toBe(500);
    expect(participant().faults).toBe(0);
    expect((await healthView()).flaky).toBe("healthy");
    flaky.state.mode = "ok";
  });

  test("two timeouts, a success, two timeouts: the success reset the count", async () => {
    flaky.state.mode = "hang";
    for (let i = 0; i < 2; i++) expect((await ask("flaky")).status).toBe(504);
    expect(participant().faults).toBe(2);
    flaky.state.mode = "ok";
    expect((await ask("flaky")).status).toBe(200);
    expect(participant().faults).toBe(0);
    flaky.state.mode = "hang";
    for (let i = 0; i < 2; i++) expect((await ask("flaky")).status).toBe(504);
    expect((await healthView()).flaky).toBe("healthy");
    flaky.state.mode = "ok";
    expect((await ask("flaky")).status).toBe(200);
  });

  test("the endpoint goes away: the third failure in a row marks it unhealthy, on the event bus too", async () => {
    await flaky.down();
    for (let i = 0; i < 2; i++) {
      const res = await ask("flaky");
      expect(res.status).toBe(502);
      expect(((await res.json()) as any).error.code).toBe("participant_unreachable");
    }
    expect((await healthView()).flaky).toBe("healthy");
    expect((await ask("flaky")).status).toBe(502);
    const ev = await events.next("participant.unhealthy");
    expect(ev.data.participant).toMatchObject({ id: "flaky", health: "unhealthy", status: "online" });
    expect(ev.data.faults).toBe(3);
    expect(ev.data.reason).toContain("could not be reached");
    expect(await healthView()).toEqual({ flaky: "unhealthy", steady: "healthy" });
  });

  test("routing skips it while a healthy participant can serve", async () => {
    for (const model of ["*", "m", "model:m"]) {
      for (let i = 0; i < 5; i++) {
        const res = await ask(model);
        expect(res.status).toBe(200);
        expect(res.headers.get("x-gambi-participant")).toBe("steady");
      }
    }
  });

  test("asked for by id, it is still tried (nobody else can serve that)", async () => {
    const res = await ask("flaky");
    expect(res.status).toBe(502);
    expect(res.headers.get("x-gambi-participant") ?? "flaky").toBe("flaky");
  });

  test("the sweeper re-probes only when its time comes; a failed probe keeps it unhealthy", async () => {
    await sweep();
    expect(participant().health).toBe("unhealthy");
    const next = participant().nextProbeAt;
    clock = next;
    await sweep();
    expect(participant().health).toBe("unhealthy");
    expect(participant().nextProbeAt).toBeGreaterThanOrEqual(next + 10_000);
  });

  test("the endpoint comes back: the next re-probe marks it healthy and routing uses it again", async () => {
    flaky.up();
    const probesBefore = flaky.state.probes;
    await sweep(); // not due yet
    expect(flaky.state.probes).toBe(probesBefore);
    expect(participant().health).toBe("unhealthy");
    clock = participant().nextProbeAt;
    await sweep();
    expect(flaky.state.probes).toBeGreaterThan(probesBefore);
    const ev = await events.next("participant.healthy");
    expect(ev.data.participant).toMatchObject({ id: "flaky", health: "healthy" });
    expect(await healthView()).toEqual({ flaky: "healthy", steady: "healthy" });
    expect(participant().faults).toBe(0);
    const res = await ask("*");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gambi-participant")).toBe("flaky");
  });

  test("a successful request heals an unhealthy participant at once", async () => {
    flaky.state.mode = "hang";
    for (let i = 0; i < 3; i++) expect((await ask("flaky")).status).toBe(504);
    const ev = await events.next("participant.unhealthy");
    expect(ev.data.reason).toContain("first-byte timeout");
    flaky.state.mode = "ok";
    expect((await ask("flaky")).status).toBe(200);
    expect((await events.next("participant.healthy")).data.participant.id).toBe("flaky");
  });

  test("a client that gives up does not count against the participant", async () => {
    flaky.state.mode = "hang";
    for (let i = 0; i < 4; i++) {
      const abort = new AbortController();
      const pending = fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "flaky", messages: [] }),
        signal: abort.signal,
      }).catch(() => undefined);
      const before = flaky.state.requests;
      expect(await waitFor(() => flaky.state.requests > before, 2000)).toBe(true);
      abort.abort();
      await pending;
      expect(await waitFor(() => hub.hub.ctx.registry.find(code)!.scheduler.memberView("flaky")?.inFlight === 0, 2000)).toBe(true);
    }
    expect(participant().faults).toBe(0);
    expect(participant().health).toBe("healthy");
    flaky.state.mode = "ok";
  });

  test("re-joining resets health (the join probe just succeeded)", async () => {
    flaky.state.mode = "hang";
    for (let i = 0; i < 3; i++) expect((await ask("flaky")).status).toBe(504);
    expect(participant().health).toBe("unhealthy");
    flaky.state.mode = "ok";
    expect((await hub.join(code, { id: "flaky", nickname: "flaky", model: "m", endpoint: flaky.url })).ok).toBe(true);
    expect(participant()).toMatchObject({ health: "healthy", faults: 0 });
  });
});
