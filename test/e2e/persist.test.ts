/**
 * Restarts lose nothing: a real hub on a temporary data directory, rooms created (one with a
 * password, one with defaults), a participant joined with a canary auth header, the hub
 * stopped, a new hub started on the same directory and port. The rooms are back as they were,
 * the password is still checked, the participant's runtime joins again by itself, and the
 * canary is in no byte of any file in the data directory (database, WAL) at any point.
 */
import { afterEach, expect, test } from "bun:test";
import { createConsola } from "consola";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHub, startHub, type RunningHub } from "../../src/hub/index.ts";
import { createHubClient } from "../../src/client.ts";
import { startParticipant } from "../../src/join/runtime.ts";
import { DB_FILE, openRoomDatabase } from "../../src/hub/persist/sqlite.ts";
import { PersistError } from "../../src/hub/persist/room-store.ts";
import { hostIdDigest } from "../../src/hub/access/credentials.ts";
import { startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { prng } from "../helpers/prng.ts";

const CANARY = `sk-canary-persist-${crypto.randomUUID()}`;
const PASSWORD = "correct horse battery";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function quietLogs() {
  const lines: string[] = [];
  const logger = createConsola({ level: 999, reporters: [{ log: (o) => lines.push(`${o.type} ${o.args.map(String).join(" ")}`) }] });
  return { lines, logger };
}

/** Every file under dir, with its bytes as text (latin1 keeps every byte). */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, text: readFileSync(path).toString("latin1") });
  }
  return out;
}

function expectNoSecretsIn(dir: string, hostIds: string[] = []): string[] {
  const files = filesUnder(dir);
  for (const f of files) {
    expect(f.text.includes(CANARY), `canary in ${f.path}`).toBe(false);
    expect(f.text.includes(PASSWORD), `room password in ${f.path}`).toBe(false);
    for (const h of hostIds) expect(f.text.includes(h), `a hostId in ${f.path}`).toBe(false);
  }
  return files.map((f) => f.path.slice(dir.length + 1)).sort();
}

function chatAnswer(upstream: FakeUpstream) {
  upstream.handle(() =>
    Response.json({ id: "c1", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }] }),
  );
}

const chat = (hub: RunningHub, code: string, password?: string) =>
  fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(password ? { authorization: `Bearer ${password}` } : {}) },
    body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "hello" }] }),
  });

test("rooms survive a restart: same codes, defaults and password; the participant re-joins; no secret on disk", async () => {
  const dir = tempDir("persist");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: `Bearer ${CANARY}` } });
  cleanups.push(() => upstream.stop());
  chatAnswer(upstream);
  const logs1 = quietLogs();
  const hub1 = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger: logs1.logger } });
  let hub1Stopped = false;
  cleanups.push(() => hub1Stopped || hub1.stop());

  const client1 = createHubClient(hub1.url);
  const open = await client1.createRoom({ name: "open room", config: { temperature: 0.3, instructions: "be brief" } });
  const locked = await client1.createRoom({ name: "locked room", password: PASSWORD });
  const before = (await client1.listRooms()).rooms;

  // The participant runtime, joined with the canary as its key, heartbeating fast.
  const participant = startParticipant({
    client: createHubClient(hub1.url),
    code: locked.room.code,
    log: quietLogs().logger,
    heartbeatMs: 50,
    maxBackoffMs: 100,
    request: { id: "p-persist", nickname: "keeper", model: "m", endpoint: upstream.url, password: PASSWORD, authHeaders: { Authorization: `Bearer ${CANARY}` } },
  });
  await participant.start();
  cleanups.push(() => participant.stop());
  expect((await chat(hub1, locked.room.code, PASSWORD)).status).toBe(200);

  // While it runs: the database and its WAL hold the rooms, never the key or the password.
  const running = expectNoSecretsIn(dir, [open.hostId, locked.hostId]);
  expect(running).toContain(DB_FILE);
  expect(running).toContain(`${DB_FILE}-wal`);
  expect(readFileSync(join(dir, `${DB_FILE}-wal`)).toString("latin1")).toContain(locked.room.code);

  await hub1.stop();
  hub1Stopped = true;
  expect(await waitFor(() => participant.state === "hub-unreachable", 5_000)).toBe(true);
  expectNoSecretsIn(dir, [open.hostId, locked.hostId]);

  const logs2 = quietLogs();
  const hub2 = startHub({ port: hub1.port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger: logs2.logger } });
  cleanups.push(() => hub2.stop());
  const client2 = createHubClient(hub2.url);
  expect((await client2.listRooms()).rooms).toEqual(before.map((r) => ({ ...r, participantCount: 0 })));
  expect((await client2.getRoom(open.room.code)).room).toMatchObject({ id: open.room.id, name: "open room", defaults: { temperature: 0.3, instructions: "be brief" }, passwordProtected: false });
  // The owner's credential came back as its digest: the hostId itself is on no disk.
  expect(hub2.hub.ctx.registry.find(locked.room.code)!.hostIdDigest).toBe(hostIdDigest(locked.hostId));

  // The password hash came back: wrong → 401, right → 201.
  const joinWith = (password: string) =>
    fetch(`${hub2.url}/rooms/${locked.room.code}/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "p-other", nickname: "other", model: "m", endpoint: upstream.url, password, authHeaders: { Authorization: `Bearer ${CANARY}` } }),
    });
  const wrong = await joinWith("not the password");
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("invalid_password");
  expect((await joinWith(PASSWORD)).status).toBe(201);

  // The runtime joins again by itself, and the room serves as before.
  expect(await waitFor(() => participant.state === "joined" && hub2.hub.ctx.registry.find(locked.room.code)!.participants.has("p-persist"), 5_000)).toBe(true);
  expect(participant.rejoins).toBeGreaterThanOrEqual(1);
  expect((await chat(hub2, locked.room.code)).status).toBe(401);
  expect((await chat(hub2, locked.room.code, PASSWORD)).status).toBe(200);

  expectNoSecretsIn(dir);
  for (const line of [...logs1.lines, ...logs2.lines]) expect(line).not.toContain(CANARY);
});

test("a room created after a restart gets a code no restored room has; the new hub writes it through", async () => {
  const dir = tempDir("persist");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Same seeded randomness in both hubs: the second's first draw is the code the first hub gave out.
  const hub1 = createHub({ dataDir: dir, random: prng(11) });
  const first = hub1.ctx.registry.create("first", null, {});
  hub1.close();
  const hub2 = createHub({ dataDir: dir, random: prng(11) });
  const second = hub2.ctx.registry.create("second", null, {});
  expect(second.code).not.toBe(first.code);
  expect(hub2.ctx.registry.list().map((r) => r.name)).toEqual(["first", "second"]);
  hub2.close();
  const hub3 = createHub({ dataDir: dir });
  expect(hub3.ctx.registry.list().map((r) => r.code)).toEqual([first.code, second.code]);
  hub3.close();
});

test("without a data directory a hub writes nothing: createHub() and startHub() stay in memory", async () => {
  const cwd = readdirSync(process.cwd()).sort();
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quietLogs().logger } });
  expect(hub.hub.ctx.roomStore.file).toBeUndefined();
  await createHubClient(hub.url).createRoom({ name: "fleeting" });
  await hub.stop();
  expect(readdirSync(process.cwd()).sort()).toEqual(cwd);
});

test("the room store: a second hub on the same directory is refused while the first runs; delete writes through", () => {
  const dir = tempDir("persist");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = openRoomDatabase(dir);
  store.insert({ id: "r1", code: "AAAAAA", name: "a", hostIdDigest: "d1", createdAt: 1, passwordHash: null, config: { seed: 7 } });
  store.insert({ id: "r2", code: "BBBBBB", name: "b", hostIdDigest: "d2", createdAt: 2, passwordHash: "$argon2id$x", config: {} });
  let refused: unknown;
  try {
    openRoomDatabase(dir);
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(PersistError);
  expect((refused as Error).message).toContain(join(dir, DB_FILE));
  expect((refused as Error).message).toContain("in use by another gambi hub");
  store.delete("AAAAAA");
  store.close();
  store.close(); // twice is fine (stop() may run after a failed start)
  const again = openRoomDatabase(dir);
  expect(again.load()).toEqual([{ id: "r2", code: "BBBBBB", name: "b", hostIdDigest: "d2", createdAt: 2, passwordHash: "$argon2id$x", config: {} }]);
  again.close();
  expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(false);
});

// The database holds password hashes and hostId digests; so does its write-ahead log, page for
// page, for as long as the hub runs (and after a crash). With --data-dir naming a directory
// that exists, open to others, the file was made 0600 after the log had been created 0644.
test.skipIf(process.platform === "win32")("in a data directory others can read, the database and its write-ahead log are the owner's only", () => {
  const dir = tempDir("persist-open-dir");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const store = openRoomDatabase(dir);
  store.insert({ id: "r1", code: "AAAAAA", name: "a", hostIdDigest: "d1", createdAt: 1, passwordHash: "$argon2id$x", config: {} });
  const wal = join(dir, `${DB_FILE}-wal`);
  expect(existsSync(wal)).toBe(true);
  expect((statSync(join(dir, DB_FILE)).mode & 0o777).toString(8)).toBe("600");
  expect((statSync(wal).mode & 0o777).toString(8)).toBe("600");
  store.close();
});

test("a room the store cannot save is not created: 503 in the envelope, the error in the hub's log", async () => {
  const logs = quietLogs();
  const failing = { load: () => [], insert: () => { throw new Error("disk I/O error"); }, delete() {}, saveActivity() {}, close() {}, file: "/nowhere/gambi.db" };
  const hub = createHub({ roomStore: failing, logger: logs.logger });
  const res = await hub.app.handle(new Request("http://localhost/rooms", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "unsaved" }) }));
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ error: { message: "the hub could not save the room (see the hub's log); try again", type: "service_unavailable", code: "room_not_saved", param: null } });
  expect(hub.ctx.registry.size).toBe(0);
  expect(logs.lines.join("\n")).toContain("could not save room");
  expect(logs.lines.join("\n")).toContain("disk I/O error");
});

test("a database from before hostIds were hashed (schema 1) comes back with their digests, and the plain ids are gone from it", async () => {
  const dir = tempDir("persist");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { Database } = await import("bun:sqlite");
  const old = new Database(join(dir, DB_FILE), { create: true });
  old.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
  old.exec("INSERT INTO schema_version (version) VALUES (1)");
  old.exec("CREATE TABLE rooms (code TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, host_id TEXT NOT NULL, created_at INTEGER NOT NULL, password_hash TEXT, config TEXT NOT NULL)");
  const plain = crypto.randomUUID();
  old.query("INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?)").run("OLDONE", "r-old", "from v1", plain, 1, null, "{}");
  old.close();

  const store = openRoomDatabase(dir);
  expect(store.load()).toEqual([{ id: "r-old", code: "OLDONE", name: "from v1", hostIdDigest: hostIdDigest(plain), createdAt: 1, passwordHash: null, config: {} }]);
  store.close();
  expect(readFileSync(join(dir, DB_FILE)).toString("latin1")).not.toContain(plain);
  // And the creator's old hostId still deletes the room.
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir: dir, logger: quietLogs().logger } });
  cleanups.push(() => hub.stop());
  expect((await fetch(`${hub.url}/rooms/OLDONE`, { method: "DELETE", headers: { authorization: `Bearer ${plain}` } })).status).toBe(200);
});
