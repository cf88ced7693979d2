/**
 * Where rooms are kept between hub runs. The registry writes through to a `RoomStore` on every
 * change and reads it once at start; `memoryRoomStore()` keeps nothing (tests, `--ephemeral`),
 * `openRoomDatabase(dir)` (sqlite.ts) keeps rooms in `DIR/gambi.db`.
 *
 * Only rooms are stored: code, id, name, the hostId's digest, createdAt, password hash, defaults
 * and when each was last used.
 * Participants are not. Their auth headers must never touch a disk, a participant without them
 * is useless for a cloud endpoint, and a joiner whose heartbeat gets 404 after a restart joins
 * again by itself with everything it had (src/join/runtime.ts), probed afresh. So a restart is
 * invisible to clients after one heartbeat interval.
 */
import type { RuntimeConfig } from "../../protocol/defaults.ts";
import { memoryLedgerStore, type LedgerStore } from "./ledger-store.ts";

export interface StoredRoom {
  id: string;
  code: string;
  name: string;
  /** SHA-256 (hex) of the hostId its creator was given: the credential that deletes the room. */
  hostIdDigest: string;
  createdAt: number;
  /** argon2id (Bun.password), never the password. */
  passwordHash: string | null;
  config: RuntimeConfig;
  /** When it last had a participant or a request, as last saved (`saveActivity`); absent when never saved. */
  lastActiveAt?: number;
}

export interface RoomStore {
  /** The database file, when there is one (named in start-up lines and errors). */
  readonly file?: string;
  /** Every stored room, oldest first. */
  load(): StoredRoom[];
  /** Written before the room exists for clients: a room that could not be saved is not created. */
  insert(room: StoredRoom): void;
  delete(code: string): void;
  /**
   * When rooms were last used, so `--room-ttl` counts across restarts. Written in batches (the
   * sweeper's, and at shutdown), never per request: a crash loses at most one sweep's worth.
   */
  saveActivity(rooms: readonly { code: string; lastActiveAt: number }[]): void;
  /** The rooms' usage ledgers, in the same place (ledger-store.ts); absent: kept in memory. */
  readonly ledger?: LedgerStore;
  close(): void;
}

/** Keeps nothing: every room is gone when the hub stops. */
export function memoryRoomStore(): RoomStore {
  return { load: () => [], insert() {}, delete() {}, saveActivity() {}, ledger: memoryLedgerStore(), close() {} };
}

/** A data directory gambi cannot use: the message names the file and says what to do. */
export class PersistError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "PersistError";
  }
}
