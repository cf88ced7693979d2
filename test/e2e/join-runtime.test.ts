/** The participant runtime against real hubs: heartbeats, re-join after a hub restart, room gone. */
import { expect, test } from "bun:test";
import { createConsola } from "consola";
import { startHub } from "../../src/hub/index.ts";
import { createHubClient, type HeartbeatAnswer } from "../../src/client.ts";
import { startParticipant } from "../../src/join/runtime.ts";
import { startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { prng } from "../helpers/prng.ts";

const quiet = () => createConsola({ level: -999 });

test("after a hub restart the participant finds its room gone, then re-joins when it is back", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const hub1 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { random: prng(7), logger: quiet() } });
  const client = createHubClient(hub1.url);
  const { room } = await client.createRoom({ name: "r" });
  const lines: string[] = [];
  const log = createConsola({ level: 5, reporters: [{ log: (o) => lines.push(`${o.type} ${o.args.join(" ")}`) }] });
  const p = startParticipant({
    client,
    code: room.code,
    log,
    heartbeatMs: 20,
    maxBackoffMs: 40,
    request: { id: "p-restart", nickname: "restarter", model: "m", endpoint: upstream.url, authHeaders: { Authorization: "Bearer sk-runtime-secret" } },
  });
  await p.start();
  expect(p.state).toBe("joined");

  await hub1.stop();
  expect(await waitFor(() => p.state === "hub-unreachable", 3000)).toBe(true);

  // Same seed → the new hub's first room gets the same code, as if it had been restored.
  const hub2 = startHub({ port: hub1.port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { random: prng(7), logger: quiet() } });
  expect(await waitFor(() => p.state === "room-gone", 3000)).toBe(true);
  const again = await createHubClient(hub2.url).createRoom({ name: "r" });
  expect(again.room.code).toBe(room.code);
  expect(await waitFor(() => p.state === "joined" && p.rejoins >= 1, 3000)).toBe(true);
  const participants = hub2.hub.ctx.registry.find(room.code)!.participants;
  expect(participants.get("p-restart")?.authHeaders.Authorization).toBe("Bearer sk-runtime-secret");

  const text = lines.join("\n");
  expect(text).toContain("no longer exists");
  expect(text).toContain("is back");
  expect(text).not.toContain("sk-runtime-secret");

  await p.stop();
  expect(participants.has("p-restart")).toBe(false);
  await hub2.stop();
  await upstream.stop();
});

test("a hub that forgot the participant (404 on heartbeat) gets a re-join", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  const client = createHubClient(hub.url);
  const { room } = await client.createRoom({ name: "r" });
  const p = startParticipant({ client, code: room.code, log: quiet(), heartbeatMs: 20, request: { id: "p-forgot", nickname: "f", model: "m", endpoint: upstream.url } });
  await p.start();
  // What a hub restart with persisted rooms looks like: the room is there, the participant is not.
  const kept = hub.hub.ctx.registry.find(room.code)!;
  hub.hub.ctx.registry.leave(kept, "p-forgot");
  expect(await waitFor(() => p.rejoins === 1 && hub.hub.ctx.registry.find(room.code)!.participants.has("p-forgot"), 3000)).toBe(true);
  await p.stop();
  await hub.stop();
  await upstream.stop();
});

test("after the hub stops answering, the first retry comes soon, not after a doubled heartbeat", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const hub1 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { random: prng(11), logger: quiet() } });
  const client = createHubClient(hub1.url);
  const { room } = await client.createRoom({ name: "r" });
  const p = startParticipant({ client, code: room.code, log: quiet(), heartbeatMs: 3_000, firstRetryMs: 50, request: { id: "p-quick", nickname: "q", model: "m", endpoint: upstream.url } });
  await p.start();
  await hub1.stop();
  expect(await waitFor(() => p.state === "hub-unreachable", 6_000)).toBe(true);
  const hub2 = startHub({ port: hub1.port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { random: prng(11), logger: quiet() } });
  await createHubClient(hub2.url).createRoom({ name: "r" });
  const back = performance.now();
  // The old backoff waited 2 × heartbeat (6 s) here; the first retry is now 50 ms away.
  expect(await waitFor(() => p.state === "joined", 2_500)).toBe(true);
  expect(performance.now() - back).toBeLessThan(2_500);
  await p.stop();
  await hub2.stop();
  await upstream.stop();
});

test("an id someone else took while the hub had forgotten this participant: the joiner moves to a new id and serves on", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const squatter = startFakeUpstream({ models: ["m"] });
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  const client = createHubClient(hub.url);
  const { room } = await client.createRoom({ name: "r" });
  const p = startParticipant({ client, code: room.code, log: quiet(), heartbeatMs: 20, firstRetryMs: 20, request: { id: "p-taken", nickname: "owner", model: "m", endpoint: upstream.url } });
  await p.start();
  // The hub forgets it (as after a restart), and someone else joins under its id first.
  const kept = hub.hub.ctx.registry.find(room.code)!;
  hub.hub.ctx.registry.leave(kept, "p-taken");
  await client.join(room.code, { id: "p-taken", nickname: "squatter", model: "m", endpoint: squatter.url });
  // The squatter keeps its id; the joiner comes back under a new one, with its own endpoint.
  expect(await waitFor(() => p.id !== "p-taken" && kept.participants.get(p.id)?.endpoint === upstream.url && p.state === "joined", 5000)).toBe(true);
  expect(kept.participants.get("p-taken")!.nickname).toBe("squatter");
  await p.stop();
  expect(kept.participants.has(p.id)).toBe(false);
  await hub.stop();
  await upstream.stop();
  await squatter.stop();
});

test("each heartbeat's answer reaches onHeartbeat: the participant's own view and the room's queue", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  const client = createHubClient(hub.url);
  const { room } = await client.createRoom({ name: "r" });
  const answers: HeartbeatAnswer[] = [];
  const p = startParticipant({ client, code: room.code, log: quiet(), heartbeatMs: 20, onHeartbeat: (a) => answers.push(a), request: { id: "p-beat", nickname: "b", model: "m", endpoint: upstream.url, maxConcurrency: 3 } });
  await p.start();
  expect(await waitFor(() => answers.length >= 2, 3000)).toBe(true);
  expect(answers[0]!.participant).toMatchObject({ id: "p-beat", maxConcurrency: 3, limit: 3, inFlight: 0 });
  expect(answers[0]!.queue).toMatchObject({ waiting: 0 });
  await p.stop();
  await hub.stop();
  upstream.stop();
});
