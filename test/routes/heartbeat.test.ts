/** Heartbeats, offline/online transitions and their events, driven by an injected clock. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";

let clock = 1_700_000_000_000;
let hub: TestHub;
let upstream: FakeUpstream;

beforeAll(() => {
  hub = startTestHub({ now: () => clock, offlineAfterMs: 30_000, removeAfterMs: 600_000 });
  upstream = startFakeUpstream();
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

const participants = async (code: string) => ((await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any).participants;

test("no heartbeat for 30 s → offline with an event; the next heartbeat → online", async () => {
  const code = await hub.createRoom();
  const events = readEvents(`${hub.url}/rooms/${code}/events`);
  await events.next("connected");
  await hub.join(code, { id: "hb", nickname: "hb", model: "test-model", endpoint: upstream.url });
  expect((await events.next("participant.joined")).data.participant.id).toBe("hb");

  clock += 29_000;
  hub.hub.sweep();
  expect((await participants(code))[0].status).toBe("online");

  clock += 1_000;
  hub.hub.sweep();
  expect((await participants(code))[0].status).toBe("offline");
  expect((await events.next("participant.offline")).data.participant.id).toBe("hb");
  // The hub's log says it too, as it does for a tunnel that closes.
  expect(hub.logs.join("\n")).toContain(`hb (hb) in room ${code}: no heartbeat for 30 s; offline until it is heard from`);
  // Offline participants are not offered for inference.
  const models = (await (await fetch(`${hub.url}/rooms/${code}/v1/models`)).json()) as any;
  expect(models.data).toHaveLength(0);

  const beat = await hub.heartbeat(code, "hb");
  expect(beat.status).toBe(200);
  const answer = (await beat.json()) as any;
  expect(answer.status).toBe("online");
  // Its own public view (what its status line shows) and the room's queue; never its token.
  expect(answer.participant).toMatchObject({ id: "hb", status: "online", inFlight: 0, cooldownUntil: null });
  expect(answer.participant.limit).toBe(answer.participant.maxConcurrency);
  expect(answer.queue).toEqual({ waiting: 0, queueSize: 256 });
  expect(JSON.stringify(answer)).not.toContain(hub.tokens.get(`${code}/hb`)!);
  expect((await events.next("participant.online")).data.participant.id).toBe("hb");
  expect(hub.logs.join("\n")).toContain(`hb (hb) in room ${code}: heard from again; online`);
  expect((await participants(code))[0]).toMatchObject({ status: "online", lastSeen: clock });
  events.close();
});

test("heartbeats keep a participant online indefinitely", async () => {
  const code = await hub.createRoom();
  await hub.join(code, { id: "steady", nickname: "steady", model: "test-model", endpoint: upstream.url });
  for (let i = 0; i < 10; i++) {
    clock += 10_000;
    expect((await hub.heartbeat(code, "steady")).status).toBe(200);
    hub.hub.sweep();
  }
  expect((await participants(code))[0].status).toBe("online");
});

test("long-offline participants are forgotten (participant.left)", async () => {
  const code = await hub.createRoom();
  const events = readEvents(`${hub.url}/rooms/${code}/events`);
  await events.next("connected");
  await hub.join(code, { id: "gone", nickname: "gone", model: "test-model", endpoint: upstream.url });
  clock += 30_000;
  hub.hub.sweep();
  clock += 600_000;
  hub.hub.sweep();
  expect(await participants(code)).toHaveLength(0);
  expect((await events.next("participant.left")).data).toMatchObject({ participantId: "gone", reason: "timeout" });
  events.close();
});

test("heartbeat for an unknown participant → 404 so the client re-joins", async () => {
  const code = await hub.createRoom();
  const res = await hub.post(`/rooms/${code}/health`, { id: "never-joined" });
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error.code).toBe("participant_not_found");
  const noRoom = await hub.post(`/rooms/ZZZZZZ/health`, { id: "x" });
  expect(noRoom.status).toBe(404);
});
