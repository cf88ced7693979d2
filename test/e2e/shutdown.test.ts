/**
 * Graceful shutdown in process (`startHub(...).shutdown(graceMs)`): what the spawned tests
 * (shutdown-cli.test.ts) cannot time exactly. A request still waiting for its first byte at
 * the cutoff, and one arriving while the hub drains, both get a 503 `hub_shutting_down`; the
 * participant is not blamed for it.
 */
import { afterEach, expect, test } from "bun:test";
import { startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { startTestHub } from "../helpers/hub.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test("in process: a request still waiting for its first byte at the cutoff gets a 503; one arriving while draining too; no health fault", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => upstream.stop());
  upstream.handle(() => new Promise<Response>(() => {})); // accepts, never answers
  const hub = startTestHub();
  let stopped = false;
  cleanups.push(() => stopped || hub.stop());
  const code = await hub.createRoom();
  expect((await hub.join(code, { id: "p-slow", nickname: "slow", model: "m", endpoint: upstream.url })).status).toBe(201);

  const waiting = hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] });
  expect(await waitFor(() => upstream.inference().length === 1, 5_000)).toBe(true);
  const done = hub.shutdown(300);
  const late = await hub.hub.app.handle(new Request("http://localhost/health"));
  expect(late.status).toBe(503);
  expect(late.headers.get("connection")).toBe("close");
  expect(((await late.json()) as { error: { code: string } }).error.code).toBe("hub_shutting_down");

  const res = await waiting;
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ error: { message: expect.stringContaining("shutting down"), type: "service_unavailable", code: "hub_shutting_down", param: null } });
  expect(await done).toEqual({ cut: 1 });
  stopped = true;
  expect(await waitFor(() => upstream.inference()[0]!.aborted, 2_000)).toBe(true);
  const p = hub.hub.ctx.registry.find(code)!.participants.get("p-slow")!;
  expect(p.faults).toBe(0);
  expect(hub.hub.ctx.registry.find(code)!.scheduler.memberView(p.id)?.inFlight).toBe(0);
});
