/**
 * Rooms in an embedded SQLite database (`bun:sqlite`): `DIR/gambi.db`, WAL journal, one row
 * per room, written through on every change with prepared statements; beside them the rooms'
 * usage ledgers (ledger-sql.ts), written in batches.
 *
 * Opening is careful, because the file holds what users would lose:
 * - read first: a damaged file, or one that is not a database, fails `quick_check`, and an
 *   SQLite database with tables but no `schema_version` is someone else's, before a byte is
 *   written (switching to WAL already rewrites the header);
 * - one hub per directory: `locking_mode = EXCLUSIVE` keeps the file locked while the hub
 *   runs, so a second hub on the same directory fails at start instead of both writing rooms
 *   the other does not know (the OS drops the lock if the process dies);
 * - a write at start (the schema version, even with nothing to migrate), so a read-only file or
 *   directory fails now, not at the first room someone creates;
 * - `schema_version` holds the version; `MIGRATIONS[i]` takes the schema from i to i + 1, in
 *   one transaction. A file from a newer gambi is refused, untouched.
 * Every failure is a `PersistError` naming the file.
 */
import { Database, type Statement } from "bun:sqlite";
import { hostIdDigest } from "../access/credentials.ts";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PersistError, type RoomStore, type StoredRoom } from "./room-store.ts";
import { LEDGER_MIGRATION, sqliteLedgerStore } from "./ledger-sql.ts";
import type { LedgerStore } from "./ledger-store.ts";
import { randomBytes } from "node:crypto";

export const DB_FILE = "gambi.db";

/** Append only: a migration that shipped is never edited. SQL, or a step SQL cannot say. */
const MIGRATIONS: readonly (string | ((db: Database) => void))[] = [
  `CREATE TABLE rooms (
     code          TEXT PRIMARY KEY,
     id            TEXT NOT NULL UNIQUE,
     name          TEXT NOT NULL,
     host_id       TEXT NOT NULL,
     created_at    INTEGER NOT NULL,
     password_hash TEXT,
     config        TEXT NOT NULL
   )`,
  // 2: a hostId deletes its room, so only its digest is kept (the column keeps its name).
  (db) => {
    const rows = db.query("SELECT code, host_id FROM rooms").all() as { code: string; host_id: string }[];
    const update = db.prepare("UPDATE rooms SET host_id = ? WHERE code = ?");
    for (const r of rows) update.run(hostIdDigest(r.host_id), r.code);
    update.finalize();
  },
  // 3: the rooms' usage ledgers (ledger-sql.ts).
  LEDGER_MIGRATION,
  // 4: when each room was last used (a participant, a request), so --room-ttl counts across restarts; NULL: not known.
  "ALTER TABLE rooms ADD COLUMN last_active_at INTEGER",
];
export const SCHEMA_VERSION = MIGRATIONS.length;

const ELSEWHERE = "use --data-dir for another directory, or --ephemeral to keep rooms in memory only";

/** What an SQLite error code means to someone starting a hub. */
function explain(err: unknown, file: string): PersistError {
  if (err instanceof PersistError) return err;
  const code = String((err as { code?: unknown }).code ?? "");
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) {
    return new PersistError(`${file} is damaged or not a gambi database (${message}); nothing was changed. Move it aside to start with no rooms, or ${ELSEWHERE}`, file);
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new PersistError(`${file} is in use by another gambi hub (${message}); give each hub its own data directory: ${ELSEWHERE}`, file);
  }
  if (code.startsWith("SQLITE_READONLY")) return new PersistError(`${file} cannot be written (${message}); check its permissions, or ${ELSEWHERE}`, file);
  return new PersistError(`cannot use ${file}: ${message}; check that its directory exists and that both are writable by this user, or ${ELSEWHERE}`, file);
}

function checkReadable(db: Database, file: string): void {
  const rows = db.query("PRAGMA quick_check").all() as { quick_check: string }[];
  if (rows.length !== 1 || rows[0]!.quick_check !== "ok") {
    const what = rows.slice(0, 3).map((r) => r.quick_check).join("; ");
    throw new PersistError(`${file} is damaged (${what}); nothing was changed. Move it aside to start with no rooms, or ${ELSEWHERE}`, file);
  }
}

/** The schema version, read without writing: someone else's database or a newer gambi's is refused here. */
function readVersion(db: Database, file: string): { version: number; fresh: boolean } {
  const tables = new Set((db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  if (!tables.has("schema_version")) {
    if (tables.size > 0) throw new PersistError(`${file} is an SQLite database, but not gambi's (it has tables and no schema_version); nothing was changed; ${ELSEWHERE}`, file);
    return { version: 0, fresh: true };
  }
  const version = (db.query("SELECT version FROM schema_version").get() as { version: number } | null)?.version ?? 0;
  if (version > SCHEMA_VERSION) {
    throw new PersistError(`${file} was written by a newer gambi (schema version ${version}; this one knows up to ${SCHEMA_VERSION}); nothing was changed; upgrade gambi, or ${ELSEWHERE}`, file);
  }
  return { version, fresh: false };
}

function migrate(db: Database, from: { version: number; fresh: boolean }): void {
  db.transaction(() => {
    if (from.fresh) {
      db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
      db.exec("INSERT INTO schema_version (version) VALUES (0)");
    }
    for (let v = from.version; v < SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === "string") db.exec(step);
      else step(db);
    }
    // Written even when it does not change: the start-up write check (see the top).
    db.query("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION);
  })();
}

function ensureDirectory(dir: string, file: string): void {
  try {
    // The database holds password hashes: the directory is the owner's only.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PersistError(`cannot use ${dir} as the data directory for ${file}: ${(err as Error).message}; ${ELSEWHERE}`, file);
  }
}

interface RoomRow {
  code: string;
  id: string;
  name: string;
  host_id: string;
  created_at: number;
  password_hash: string | null;
  config: string;
  last_active_at: number | null;
}

class SqliteRoomStore implements RoomStore {
  private readonly insertRoom: Statement;
  private readonly deleteRoom: Statement;
  private readonly allRooms: Statement<RoomRow, []>;
  private readonly setActivity: Statement;
  readonly ledger: LedgerStore & { finalize(): void };
  private closed = false;

  constructor(
    private readonly db: Database,
    readonly file: string,
  ) {
    this.ledger = sqliteLedgerStore(db, { salt: () => randomBytes(32), now: Date.now });
    this.insertRoom = db.prepare("INSERT INTO rooms (code, id, name, host_id, created_at, password_hash, config) VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.deleteRoom = db.prepare("DELETE FROM rooms WHERE code = ?");
    this.allRooms = db.prepare<RoomRow, []>("SELECT code, id, name, host_id, created_at, password_hash, config, last_active_at FROM rooms ORDER BY created_at, rowid");
    this.setActivity = db.prepare("UPDATE rooms SET last_active_at = ? WHERE code = ?");
  }

  load(): StoredRoom[] {
    return this.allRooms.all().map((row) => {
      let config: unknown;
      try {
        config = JSON.parse(row.config);
      } catch (err) {
        throw new PersistError(`${this.file} is damaged: room ${row.code} has defaults that are not JSON (${(err as Error).message}); nothing was changed; ${ELSEWHERE}`, this.file);
      }
      if (!config || typeof config !== "object" || Array.isArray(config)) {
        throw new PersistError(`${this.file} is damaged: room ${row.code} has defaults that are not an object; nothing was changed; ${ELSEWHERE}`, this.file);
      }
      return {
        code: row.code,
        id: row.id,
        name: row.name,
        hostIdDigest: row.host_id,
        createdAt: row.created_at,
        passwordHash: row.password_hash,
        config,
        ...(row.last_active_at === null ? {} : { lastActiveAt: row.last_active_at }),
      };
    });
  }

  insert(r: StoredRoom): void {
    this.insertRoom.run(r.code, r.id, r.name, r.hostIdDigest, r.createdAt, r.passwordHash, JSON.stringify(r.config));
  }

  delete(code: string): void {
    this.deleteRoom.run(code);
  }

  saveActivity(rooms: readonly { code: string; lastActiveAt: number }[]): void {
    if (rooms.length === 0) return;
    this.db.transaction(() => {
      for (const r of rooms) this.setActivity.run(r.lastActiveAt, r.code);
    })();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.insertRoom, this.deleteRoom, this.allRooms, this.setActivity]) s.finalize();
    this.ledger.finalize();
    // Checkpoints the WAL into the database file and removes it.
    this.db.close();
  }
}

/** Opens (or creates) `dir/gambi.db`; throws a PersistError naming the file when it cannot be used. */
export function openRoomDatabase(dir: string): RoomStore {
  const file = join(dir, DB_FILE);
  ensureDirectory(dir, file);
  const existed = existsSync(file);
  let db: Database;
  try {
    db = new Database(file, { create: true, readwrite: true, strict: true });
    // Before the write-ahead log exists: SQLite gives it the database's mode, and it holds the
    // same pages (a directory others can read, given as --data-dir, would show them otherwise).
    if (!existed && process.platform !== "win32") chmodSync(file, 0o600);
  } catch (err) {
    throw explain(err, file);
  }
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    // Reads only, until the file is known to be ours (even switching to WAL rewrites its header).
    checkReadable(db, file);
    const found = readVersion(db, file);
    db.exec("PRAGMA journal_mode = WAL");
    // A room is on disk when its 201 goes out: rooms are created rarely, each sync is cheap.
    db.exec("PRAGMA synchronous = FULL");
    // Deleted rooms and replaced values (migration 2's plain hostIds) are zeroed, not left in free pages.
    db.exec("PRAGMA secure_delete = ON");
    migrate(db, found);
    return new SqliteRoomStore(db, file);
  } catch (err) {
    db.close();
    throw explain(err, file);
  }
}
