/**
 * Where the rooms' usage ledgers (hub/ledger/) are kept between hub runs: beside the rooms, in
 * the same database (ledger-sql.ts), or nowhere (`memoryLedgerStore`, tests and `--ephemeral`).
 *
 * What is stored: per room id, one row per (participant id, model) and per (caller label,
 * model) with running totals; the participant's nickname as last seen; and one secret, the
 * ledger's salt, drawn once when the ledger's table is made and never shown: it keys the caller
 * labels (hub/ledger/caller-label.ts) so a caller keeps its label across restarts. No bearer
 * token, password or address is ever written: a caller is only its label.
 */
import { randomBytes } from "node:crypto";

export type LedgerKind = "participant" | "caller";

export interface LedgerRow {
  kind: LedgerKind;
  /** A participant's id, or a caller's label (`caller-` and 8 hex digits). */
  id: string;
  model: string;
  /** Participants only: the nickname it had when it last served. */
  nickname: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
  /** Sum and count of the TTFTs measured (streams), for the mean. */
  ttftMsSum: number;
  ttftCount: number;
  /** Output tokens and the ms they were generated over, for tokens/s. */
  generatedTokens: number;
  generationMs: number;
}

export interface LedgerStore {
  /** The salt of caller labels: made once, then the same on every start. */
  salt(): Buffer;
  /** When this store began keeping ledgers (a room older than that has figures since then only). */
  startedAt(): number;
  /** Every room's rows, by room id. */
  load(): Map<string, LedgerRow[]>;
  /** Writes these rows (their running totals), in one transaction. */
  save(rows: readonly { roomId: string; row: LedgerRow }[]): void;
  /** A room went: its ledger goes with it. */
  forget(roomId: string): void;
}

/** Keeps nothing: the ledger lives in the hub's memory only. */
export function memoryLedgerStore(): LedgerStore {
  const salt = randomBytes(32);
  return { salt: () => salt, startedAt: () => 0, load: () => new Map(), save() {}, forget() {} };
}
