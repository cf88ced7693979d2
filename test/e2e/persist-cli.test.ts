/**
 * `gambi hub` and its data directory, spawned as users run it: the default under
 * $XDG_DATA_HOME (a temporary one here), a restart that keeps a room, `--ephemeral` leaving no
 * file, and every directory it cannot use refused at start with the file named, exit 1, and
 * the file's bytes unchanged.
 */
import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnHub, tempDir } from "../helpers/hub-process.ts";

const dirs: string[] = [];
afterEach(() => {
  killHubProcesses();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const freshDir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};

const LOCAL = ["--port", "0", "--host", "127.0.0.1"];

async function createRoom(port: number, name: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { room: { code: string } }).room.code;
}

test("by default rooms are kept under $XDG_DATA_HOME/gambi and a restarted hub serves them", async () => {
  const home = freshDir("xdg");
  const file = join(home, "gambi", "gambi.db");
  const first = spawnHub(LOCAL, { XDG_DATA_HOME: home });
  const port = await first.port();
  const code = await createRoom(port, "kept");
  first.p.kill("SIGTERM");
  expect(await first.exited()).toBe(0);
  expect(first.out.stdout).toContain(`rooms are kept in ${file} (0 restored)`);
  expect(existsSync(file)).toBe(true);

  const second = spawnHub(LOCAL, { XDG_DATA_HOME: home });
  const port2 = await second.port();
  const room = await fetch(`http://127.0.0.1:${port2}/rooms/${code}`);
  expect(room.status).toBe(200);
  expect(await room.json()).toMatchObject({ room: { code, name: "kept" } });
  expect(second.out.stdout).toContain(`rooms are kept in ${file} (1 restored)`);
  second.p.kill("SIGTERM");
  expect(await second.exited()).toBe(0);
});

test("--data-dir DIR keeps rooms there; --ephemeral writes no file at all", async () => {
  const home = freshDir("xdg");
  const dataDir = join(freshDir("data"), "nested", "dir");
  const kept = spawnHub([...LOCAL, "--data-dir", dataDir], { XDG_DATA_HOME: home });
  await createRoom(await kept.port(), "in DIR");
  kept.p.kill("SIGTERM");
  expect(await kept.exited()).toBe(0);
  expect(readdirSync(dataDir)).toEqual(["gambi.db"]);
  expect(readdirSync(home)).toEqual([]);

  const fleeting = spawnHub([...LOCAL, "--ephemeral"], { XDG_DATA_HOME: home });
  await createRoom(await fleeting.port(), "gone at exit");
  expect(await waitFor(() => fleeting.out.stdout.includes("rooms are kept in memory only"), 5_000)).toBe(true);
  fleeting.p.kill("SIGTERM");
  expect(await fleeting.exited()).toBe(0);
  expect(readdirSync(home)).toEqual([]);

  const both = spawnHub([...LOCAL, "--ephemeral", "--data-dir", dataDir], { XDG_DATA_HOME: home });
  expect(await both.exited()).toBe(2);
  expect(both.out.stderr + both.out.stdout).toContain("--ephemeral keeps nothing on disk");
});

/** Starts a hub on dir, expects exit 1 with the file and `says` in its output, and the directory's bytes untouched. */
async function expectRefused(dir: string, says: string) {
  const file = join(dir, "gambi.db");
  const before = existsSync(dir) ? readdirSync(dir).map((n) => [n, readFileSync(join(dir, n)).toString("base64")]) : undefined;
  const h = spawnHub([...LOCAL, "--data-dir", dir]);
  expect(await h.exited()).toBe(1);
  const output = h.out.stdout + h.out.stderr;
  expect(output).toContain(file);
  expect(output).toContain(says);
  expect(output).not.toContain("listening on");
  if (before) expect(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n)).toString("base64")])).toEqual(before);
}

test("a damaged database is refused at start, named, and left exactly as it was", async () => {
  const garbage = freshDir("garbage");
  writeFileSync(join(garbage, "gambi.db"), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
  await expectRefused(garbage, "damaged or not a gambi database");

  // The right magic, then nonsense: SQLite must not take it for an empty database either.
  const header = freshDir("header");
  writeFileSync(join(header, "gambi.db"), Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(4096 - 16, 0xab)]));
  await expectRefused(header, "damaged");
});

test("another program's SQLite file, or one from a newer gambi, is refused untouched", async () => {
  const foreign = freshDir("foreign");
  const db = new Database(join(foreign, "gambi.db"), { create: true });
  db.exec("CREATE TABLE notes (body TEXT)");
  db.close();
  await expectRefused(foreign, "not gambi's");

  const newer = freshDir("newer");
  const db2 = new Database(join(newer, "gambi.db"), { create: true });
  db2.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99)");
  db2.close();
  await expectRefused(newer, "written by a newer gambi (schema version 99");
});

test("a second hub on a data directory in use is refused; a data directory that is a file too", async () => {
  const dir = freshDir("shared");
  const first = spawnHub([...LOCAL, "--data-dir", dir]);
  const port = await first.port();
  const code = await createRoom(port, "first's");
  await expectRefused(dir, "in use by another gambi hub");
  expect((await fetch(`http://127.0.0.1:${port}/rooms/${code}`)).status).toBe(200);
  first.p.kill("SIGTERM");
  expect(await first.exited()).toBe(0);

  const parent = freshDir("file");
  const notADir = join(parent, "plain-file");
  writeFileSync(notADir, "I am a file");
  const h = spawnHub([...LOCAL, "--data-dir", notADir]);
  expect(await h.exited()).toBe(1);
  expect(h.out.stdout + h.out.stderr).toContain(`cannot use ${notADir} as the data directory`);
  expect(readFileSync(notADir, "utf8")).toBe("I am a file");
});
