/**
 * A data directory whose writes start failing while the hub runs (the disk filled up, the
 * volume went read-only). The usage ledger is retried every second and rooms' last use at
 * every sweep; in the field pass each retry logged the same warning again, 20 lines in 20 s
 * of a full tmpfs, so an hour of it buried everything else in the log. The failure is said
 * once, its end is said once, and what was kept in memory meanwhile reaches the disk.
 * A real SQLite store (persist/sqlite.ts) whose writes are made to fail as a full disk fails
 * them; the hub on port 0, its flush and sweep called directly (no waiting on timers).
 */
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openRoomDatabase } from "../../src/hub/persist/sqlite.ts";
import type { RoomStore } from "../../src/hub/persist/room-store.ts";
import type { LedgerStore } from "../../src/hub/persist/ledger-store.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { tempDir } from "../helpers/hub-process.ts";

let hub: TestHub | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The real store, with its batched writes failing while `full.on`, as SQLite fails them on a full disk. */
function storeThatFills(dir: string): { store: RoomStore; full: { on: boolean } } {
  const real = openRoomDatabase(dir);
  const full = { on: false };
  const fail = () => {
    if (full.on) throw new Error("database or disk is full");
  };
  const ledger: LedgerStore = {
    salt: () => real.ledger!.salt(),
    startedAt: () => real.ledger!.startedAt(),
    load: () => real.ledger!.load(),
    save: (rows) => (fail(), real.ledger!.save(rows)),
    forget: (id) => real.ledger!.forget(id),
  };
  const store: RoomStore = {
    file: real.file,
    load: () => real.load(),
    insert: (room) => real.insert(room),
    delete: (code) => real.delete(code),
    saveActivity: (rooms) => (fail(), real.saveActivity(rooms)),
    ledger,
    close: () => real.close(),
  };
  return { store, full };
}

const unknownModel = (code: string) => hub!.post(`/rooms/${code}/v1/chat/completions`, { model: "nobody-serves-this", messages: [{ role: "user", content: "hi" }] });
const lines = (text: string) => hub!.logs.filter((l) => l.includes(text));

test("a full disk is said once per failure and once when writes work again; the ledger kept meanwhile is written", async () => {
  const dir = tempDir("full-disk");
  dirs.push(dir);
  const { store, full } = storeThatFills(dir);
  hub = startTestHub({ roomStore: store });
  const code = await hub.createRoom();

  full.on = true;
  for (let i = 0; i < 5; i++) {
    expect((await unknownModel(code)).status).toBe(404);
    hub.hub.flushLedger();
    hub.hub.sweep();
  }
  expect(lines("usage ledger could not be written")).toHaveLength(1);
  expect(lines("usage ledger could not be written")[0]).toContain("database or disk is full");
  expect(lines("could not save when rooms were last used")).toHaveLength(1);

  full.on = false;
  hub.hub.flushLedger();
  hub.hub.sweep();
  expect(lines("usage ledger is written again")).toHaveLength(1);
  expect(lines("rooms' last use is saved again")).toHaveLength(1);
  // The five requests, counted in memory while the disk was full, are on disk now.
  const rows = [...store.ledger!.load().values()].flat();
  expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(5);

  // A second failure is a new one: said again, once.
  full.on = true;
  for (let i = 0; i < 3; i++) {
    await unknownModel(code);
    hub.hub.flushLedger();
    hub.hub.sweep();
  }
  expect(lines("usage ledger could not be written")).toHaveLength(2);
  expect(lines("could not save when rooms were last used")).toHaveLength(2);
  full.on = false;
});
