/**
 * Participants nobody can hijack: a join returns a participantToken, and re-joining under a
 * taken id, heartbeats and leaving need it. Each case is an attack tried over real HTTP against
 * an in-process hub, then a check that the victim still serves.
 */
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startHub, type RunningHub } from "../../src/hub/index.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { createConsola } from "consola";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setUp(limits?: { maxFailures: number }) {
  const hub = startTestHub(limits ? { access: { maxFailures: limits.maxFailures } } : {});
  const victim = startFakeUpstream({ models: ["m"] });
  const attacker = startFakeUpstream({ models: ["m"] });
  for (const u of [victim, attacker]) {
    u.handle(() => Response.json({ id: "c", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] }));
  }
  cleanups.push(() => hub.stop(), () => victim.stop(), () => attacker.stop());
  return { hub, victim, attacker };
}

const asBearer = (token: string) => ({ authorization: `Bearer ${token}` });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; type: string; param: string | null } }).error;
const chatTo = (hub: TestHub, code: string, model: string) => hub.post(`/rooms/${code}/v1/chat/completions`, { model, messages: [{ role: "user", content: "secret prompt" }] });
/** The chat requests that carried the room's prompt (the join probe posts `{}` to the same route). */
const inference = (u: FakeUpstream) => u.requests.filter((r) => r.path.endsWith("/chat/completions") && r.body.includes("secret prompt"));

async function joinVictim(hub: TestHub, victim: FakeUpstream) {
  const code = await hub.createRoom();
  const res = await hub.join(code, { id: "victim", nickname: "victim", model: "m", endpoint: victim.url });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { participantToken: string; participant: Record<string, unknown> };
  expect(body.participantToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
  expect(JSON.stringify(body.participant)).not.toContain(body.participantToken);
  return { code, token: body.participantToken };
}

test("a join under someone else's id is refused (409, none or a wrong token) and the victim keeps serving", async () => {
  const { hub, victim, attacker } = setUp();
  const { code } = await joinVictim(hub, victim);
  const hijack = { id: "victim", nickname: "evil", model: "m", endpoint: attacker.url };

  for (const headers of [{}, asBearer("guessed-token"), asBearer("")]) {
    const res = await hub.join(code, hijack, headers);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: "participant_id_taken", param: "id" });
  }
  // The hub never even probed the attacker's endpoint, and the victim is untouched.
  expect(attacker.requests).toHaveLength(0);
  const listed = ((await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as any).participants;
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ id: "victim", nickname: "victim", endpoint: victim.url });
  expect((await chatTo(hub, code, "victim")).status).toBe(200);
  expect(inference(victim)).toHaveLength(1);
  expect(inference(attacker)).toHaveLength(0);
});

test("the owner re-joins with its token, keeps it, and can change its endpoint", async () => {
  const { hub, victim, attacker } = setUp();
  const { code, token } = await joinVictim(hub, victim);
  const res = await hub.join(code, { id: "victim", nickname: "moved", model: "m", endpoint: attacker.url }, asBearer(token));
  expect(res.status).toBe(201);
  expect(((await res.json()) as any).participantToken).toBe(token);
  expect((await hub.heartbeat(code, "victim")).status).toBe(200);
  expect((await chatTo(hub, code, "victim")).status).toBe(200);
  expect(inference(attacker)).toHaveLength(1);
});

test("leaving needs the participant's token: none → 401, a wrong one → 401, the right one → 200", async () => {
  const { hub, victim } = setUp();
  const { code, token } = await joinVictim(hub, victim);
  const kick = (headers: Record<string, string>) => fetch(`${hub.url}/rooms/${code}/leave/victim`, { method: "DELETE", headers });

  const none = await kick({});
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toContain("Bearer");
  expect(await errorOf(none)).toMatchObject({ code: "participant_token_required", type: "authentication_error" });
  const wrong = await kick(asBearer("not-the-token"));
  expect(wrong.status).toBe(401);
  expect(await errorOf(wrong)).toMatchObject({ code: "invalid_participant_token" });
  // Still there and serving.
  expect(hub.hub.ctx.registry.find(code)!.participants.has("victim")).toBe(true);
  expect((await chatTo(hub, code, "victim")).status).toBe(200);

  expect(hub.logs.filter((l) => l.includes("left room"))).toEqual([]);
  expect((await kick(asBearer(token))).status).toBe(200);
  expect(hub.hub.ctx.registry.find(code)!.participants.size).toBe(0);
  // The hub's log said when it joined; it says when it left too.
  expect(hub.logs.filter((l) => l.includes("left room"))).toEqual([`info hub victim (victim) left room ${code}`]);
});

test("a heartbeat with a wrong or no token is refused and changes nothing", async () => {
  let clock = 1_000_000;
  const hub = startTestHub({ now: () => clock });
  const victim = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => hub.stop(), () => victim.stop());
  const { code } = await joinVictim(hub, victim);
  const seen = () => hub.hub.ctx.registry.find(code)!.participants.get("victim")!.lastSeen;
  const before = seen();
  clock += 5_000;
  const none = await hub.post(`/rooms/${code}/health`, { id: "victim" });
  expect(none.status).toBe(401);
  expect(await errorOf(none)).toMatchObject({ code: "participant_token_required" });
  const wrong = await hub.post(`/rooms/${code}/health`, { id: "victim" }, asBearer("nope"));
  expect(wrong.status).toBe(401);
  expect(await errorOf(wrong)).toMatchObject({ code: "invalid_participant_token" });
  expect(seen()).toBe(before);
  // Without heartbeats that count, it goes offline like any silent participant.
  clock += 30_000;
  hub.hub.sweep();
  expect(hub.hub.ctx.registry.find(code)!.participants.get("victim")!.status).toBe("offline");
  const right = await hub.heartbeat(code, "victim");
  expect(right.status).toBe(200);
  expect(((await right.json()) as any).status).toBe("online");
});

test("wrong participant tokens count against the address like wrong passwords: 429 after the limit, for guesses only", async () => {
  const { hub, victim, attacker } = setUp({ maxFailures: 3 });
  const { code, token } = await joinVictim(hub, victim);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await hub.post(`/rooms/${code}/health`, { id: "victim" }, asBearer(`guess-${i}`))).status);
  expect(statuses).toEqual([401, 401, 401]);
  // Blocked now for guesses, whatever the route: a join under its id, a heartbeat.
  const join = await hub.join(code, { id: "victim", nickname: "evil", model: "m", endpoint: attacker.url }, asBearer("guess-3"));
  expect(join.status).toBe(429);
  expect(join.headers.get("retry-after")).not.toBeNull();
  expect((await hub.post(`/rooms/${code}/health`, { id: "victim" }, asBearer("guess-4"))).status).toBe(429);
  // The right token still passes: 256 random bits, nothing to learn from it being right, and
  // the participant must not go offline because its machine's address is blocked.
  expect((await hub.post(`/rooms/${code}/health`, { id: "victim" }, asBearer(token))).status).toBe(200);
  expect(hub.logs.some((l) => l.includes("too many wrong passwords or tokens"))).toBe(true);
  // None of the tokens (given or guessed) is in a log line.
  expect(hub.logs.join("\n")).not.toContain(token);
  expect(hub.logs.join("\n")).not.toContain("guess-");
});

test("a join under a free id that another join takes while it is being probed is refused", async () => {
  const { hub, victim } = setUp();
  const code = await hub.createRoom();
  // An upstream whose model list answers only when told to: the first join waits in its probe.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let probed!: () => void;
  const probing = new Promise<void>((r) => (probed = r));
  const slow = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (new URL(req.url).pathname.endsWith("/models")) {
        probed();
        await gate;
        return Response.json({ object: "list", data: [{ id: "m", object: "model" }] });
      }
      return Response.json({ error: { message: "model is required" } }, { status: 400 }); // the route exists
    },
  });
  cleanups.push(() => slow.stop(true));
  const first = hub.join(code, { id: "contested", nickname: "slow", model: "m", endpoint: `http://127.0.0.1:${slow.port}` }, {});
  await probing;
  const second = await hub.join(code, { id: "contested", nickname: "fast", model: "m", endpoint: victim.url }, {});
  expect(second.status).toBe(201);
  release();
  const late = await first;
  expect(late.status).toBe(409);
  expect(await errorOf(late)).toMatchObject({ code: "participant_id_taken" });
  expect(hub.hub.ctx.registry.find(code)!.participants.get("contested")!.nickname).toBe("fast");
});

test("after a hub restart the participant re-joins under its id and gets a new token; the old one is worthless", async () => {
  const dir = tempDir("participant-auth");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createConsola({ level: -999 });
  const upstream = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => upstream.stop());
  const hub1: RunningHub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger } });
  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const code = ((await (await post(hub1.url, "/rooms", { name: "r" })).json()) as any).room.code as string;
  const join = { id: "p-keep", nickname: "keeper", model: "m", endpoint: upstream.url };
  const old = ((await (await post(hub1.url, `/rooms/${code}/join`, join)).json()) as any).participantToken as string;
  await hub1.stop();

  const hub2 = startHub({ port: hub1.port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger } });
  cleanups.push(() => hub2.stop());
  // The restarted hub kept the room, not the participant: its heartbeat is a 404, so it re-joins.
  const beat = await post(hub2.url, `/rooms/${code}/health`, { id: "p-keep" }, asBearer(old));
  expect(beat.status).toBe(404);
  expect(((await beat.json()) as any).error.code).toBe("participant_not_found");
  const rejoin = await post(hub2.url, `/rooms/${code}/join`, join, asBearer(old));
  expect(rejoin.status).toBe(201);
  const fresh = ((await rejoin.json()) as any).participantToken as string;
  expect(fresh).not.toBe(old);
  expect((await post(hub2.url, `/rooms/${code}/health`, { id: "p-keep" }, asBearer(fresh))).status).toBe(200);
  expect((await post(hub2.url, `/rooms/${code}/health`, { id: "p-keep" }, asBearer(old))).status).toBe(401);
});

test("the participant token is in no event and in no participant view", async () => {
  const { hub, victim } = setUp();
  const code = await hub.createRoom();
  const events = readEvents(`${hub.url}/rooms/${code}/events`);
  await events.next("connected");
  const res = await hub.join(code, { id: "watched", nickname: "w", model: "m", endpoint: victim.url });
  const token = ((await res.json()) as any).participantToken as string;
  const joined = await events.next("participant.joined");
  expect(JSON.stringify(joined)).not.toContain(token);
  await hub.heartbeat(code, "watched");
  await hub.leave(code, "watched");
  const left = await events.next("participant.left");
  expect(JSON.stringify(left)).not.toContain(token);
  events.close();
  for (const path of [`/rooms/${code}/participants`, `/rooms/${code}`, "/rooms", `/rooms/${code}/v1/models`]) {
    expect(await (await fetch(hub.url + path)).text()).not.toContain(token);
  }
});
