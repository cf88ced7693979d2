/**
 * Rooms end: deleted by their creator (the hostId `POST /rooms` returned) or the hub token, or
 * removed by the sweeper once empty and unused for `roomTtlMs` (`gambi hub --room-ttl`).
 */
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startHub } from "../../src/hub/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { createConsola } from "consola";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DAY = 24 * 60 * 60 * 1000;
const asBearer = (token: string) => ({ authorization: `Bearer ${token}` });
const remove = (hub: TestHub, code: string, headers: Record<string, string> = {}) => fetch(`${hub.url}/rooms/${code}`, { method: "DELETE", headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; type: string } }).error;

async function create(hub: TestHub, headers: Record<string, string> = {}) {
  const res = await hub.post("/rooms", { name: "doomed" }, headers);
  expect(res.status).toBe(201);
  return (await res.json()) as { room: { code: string }; hostId: string };
}

test("the creator deletes its room with the hostId: participants leave, the event stream ends, the room is gone", async () => {
  const hub = startTestHub();
  const upstream = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => hub.stop(), () => upstream.stop());
  const { room, hostId } = await create(hub);
  expect(hostId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The hostId is its creator's alone: no listing shows it.
  for (const path of ["/rooms", `/rooms/${room.code}`]) expect(await (await fetch(hub.url + path)).text()).not.toContain(hostId);

  expect((await hub.join(room.code, { id: "a", nickname: "a", model: "m", endpoint: upstream.url })).status).toBe(201);
  expect((await hub.join(room.code, { id: "b", nickname: "b", model: "m", endpoint: upstream.url })).status).toBe(201);
  const events = readEvents(`${hub.url}/rooms/${room.code}/events`);
  await events.next("connected");

  const none = await remove(hub, room.code);
  expect(none.status).toBe(401);
  expect(await errorOf(none)).toMatchObject({ code: "room_owner_required", type: "authentication_error" });
  const wrong = await remove(hub, room.code, asBearer("not-the-host-id"));
  expect(wrong.status).toBe(401);
  expect(await errorOf(wrong)).toMatchObject({ code: "invalid_room_owner" });
  expect(hub.hub.ctx.registry.find(room.code)).toBeDefined();

  const ok = await remove(hub, room.code, asBearer(hostId));
  expect(ok.status).toBe(200);
  const left = [await events.next("participant.left"), await events.next("participant.left")];
  expect(left.map((e) => e.data.participantId).sort()).toEqual(["a", "b"]);
  expect(left.every((e) => e.data.reason === "room_deleted")).toBe(true);
  await events.next("room.deleted");
  await events.ended();
  expect((await fetch(`${hub.url}/rooms/${room.code}`)).status).toBe(404);
  expect((await hub.heartbeat(room.code, "a")).status).toBe(404);
  expect((await remove(hub, room.code, asBearer(hostId))).status).toBe(404);
  expect(hub.logs.join("\n")).not.toContain(hostId);
});

test("with a hub token, the token deletes any room; a hostId still deletes its own", async () => {
  const hub = startTestHub({ token: "hub-admin-token" });
  cleanups.push(() => hub.stop());
  const admin = asBearer("hub-admin-token");
  const first = await create(hub, admin);
  const second = await create(hub, admin);
  expect((await remove(hub, first.room.code, asBearer(second.hostId))).status).toBe(401);
  expect((await remove(hub, first.room.code, admin)).status).toBe(200);
  expect((await remove(hub, second.room.code, asBearer(second.hostId))).status).toBe(200);
  expect(hub.hub.ctx.registry.size).toBe(0);
  // The log says which credential deleted each room, and holds neither.
  expect(hub.logs.some((l) => l.includes(`room ${first.room.code} deleted (with its hub token)`))).toBe(true);
  expect(hub.logs.some((l) => l.includes(`room ${second.room.code} deleted (with its hostId)`))).toBe(true);
  expect(hub.logs.join("\n")).not.toContain("hub-admin-token");
  expect(hub.logs.join("\n")).not.toContain(second.hostId);
});

test("a deleted room is gone from the data directory; its code may come back as a new, empty room", async () => {
  const dir = tempDir("room-removal");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createConsola({ level: -999 });
  const hub1 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger } });
  const post = (base: string, path: string, body: unknown) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const kept = ((await (await post(hub1.url, "/rooms", { name: "kept" })).json()) as any).room.code as string;
  const doomed = (await (await post(hub1.url, "/rooms", { name: "doomed" })).json()) as any;
  // A response the hub keeps for the room must not outlive it.
  hub1.hub.ctx.responseStore.set(doomed.room.code, { id: "resp_old", input: [], response: { id: "resp_old", output: [] }, status: "completed" } as never);
  expect((await fetch(`${hub1.url}/rooms/${doomed.room.code}`, { method: "DELETE", headers: asBearer(doomed.hostId) })).status).toBe(200);
  expect(hub1.hub.ctx.responseStore.get(doomed.room.code, "resp_old")).toBeUndefined();
  await hub1.stop();

  const hub2 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger } });
  cleanups.push(() => hub2.stop());
  const codes = (((await (await fetch(`${hub2.url}/rooms`)).json()) as any).rooms as { code: string }[]).map((r) => r.code);
  expect(codes).toEqual([kept]);
});

test("a room with no participant and no request for --room-ttl is removed, with a log line; activity keeps it", async () => {
  let clock = 1_000_000;
  const hub = startTestHub({ now: () => clock, roomTtlMs: 7 * DAY });
  const upstream = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => hub.stop(), () => upstream.stop());
  const idle = (await create(hub)).room.code;
  const used = (await create(hub)).room.code;
  const occupied = (await create(hub)).room.code;
  expect((await hub.join(occupied, { id: "stays", nickname: "s", model: "m", endpoint: upstream.url })).status).toBe(201);

  clock += 6 * DAY;
  // A request to the room counts as use (even one no participant can serve).
  await hub.post(`/rooms/${used}/v1/chat/completions`, { model: "*", messages: [{ role: "user", content: "anyone?" }] });
  hub.hub.sweep();
  expect(hub.hub.ctx.registry.size).toBe(3);

  clock += 1 * DAY;
  // The occupied room's participant keeps beating; so it stays however long.
  expect((await hub.heartbeat(occupied, "stays")).status).toBe(200);
  hub.hub.sweep();
  expect(hub.hub.ctx.registry.find(idle)).toBeUndefined();
  expect(hub.hub.ctx.registry.find(used)).toBeDefined();
  expect(hub.hub.ctx.registry.find(occupied)).toBeDefined();
  expect(hub.logs.some((l) => l.includes(`room ${idle} removed: no participant and no request for 7 days`))).toBe(true);

  clock += 6 * DAY;
  expect((await hub.heartbeat(occupied, "stays")).status).toBe(200);
  hub.hub.sweep();
  expect(hub.hub.ctx.registry.find(used)).toBeUndefined();
  expect(hub.hub.ctx.registry.find(occupied)).toBeDefined();
});

test("--room-ttl counts across restarts: a hub restarted more often than the TTL still removes a room nobody uses", async () => {
  let clock = 1_000_000;
  const dir = tempDir("room-ttl");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createConsola({ level: 0 });
  const start = () => startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, now: () => clock, roomTtlMs: 7 * DAY, logger } });
  let hub = start();
  const create = async (name: string) => ((await (await fetch(`${hub.url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) })).json()) as { room: { code: string } }).room.code;
  const idle = await create("idle");
  const used = await create("used");
  // Restarted every 3 days, seven times over three weeks; `used` gets a request before each restart.
  for (let day = 3; day <= 21; day += 3) {
    clock += 3 * DAY;
    await fetch(`${hub.url}/rooms/${used}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "x" }] }) }).then((r) => r.arrayBuffer());
    hub.hub.sweep();
    await hub.stop();
    hub = start();
    hub.hub.sweep();
    // Unused for 7 days (created at day 0): gone from day 9 on, whatever the restarts.
    expect({ day, idle: hub.hub.ctx.registry.find(idle) !== undefined, used: hub.hub.ctx.registry.find(used) !== undefined }).toEqual({ day, idle: day < 7, used: true });
  }
  await hub.stop();
});

test("--room-ttl 0 keeps empty rooms forever", async () => {
  let clock = 1_000_000;
  const hub = startTestHub({ now: () => clock, roomTtlMs: 0 });
  cleanups.push(() => hub.stop());
  const code = (await create(hub)).room.code;
  clock += 10_000 * DAY;
  hub.hub.sweep();
  expect(hub.hub.ctx.registry.find(code)).toBeDefined();
});
