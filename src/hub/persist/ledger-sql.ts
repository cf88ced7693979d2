/**
 * The usage ledger's tables in the hub's SQLite database (sqlite.ts opens it and runs the
 * migration that makes them): `ledger` (one row of running totals per room id, kind, id and
 * model) and `ledger_meta` (the caller labels' salt, and when the ledger began). Rows are
 * written by `save` in one transaction with one prepared upsert, a batch at a time
 * (hub/ledger/ledger.ts flushes about once a second), not per request.
 */
import type { Database, Statement } from "bun:sqlite";
import type { LedgerKind, LedgerRow, LedgerStore } from "./ledger-store.ts";

export const LEDGER_MIGRATION = `
  CREATE TABLE ledger (
    room_id          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    id               TEXT NOT NULL,
    model            TEXT NOT NULL,
    nickname         TEXT,
    requests         INTEGER NOT NULL,
    errors           INTEGER NOT NULL,
    input_tokens     INTEGER NOT NULL,
    output_tokens    INTEGER NOT NULL,
    est_input        INTEGER NOT NULL,
    est_output       INTEGER NOT NULL,
    ttft_ms_sum      REAL NOT NULL,
    ttft_count       INTEGER NOT NULL,
    generated_tokens INTEGER NOT NULL,
    generation_ms    REAL NOT NULL,
    PRIMARY KEY (room_id, kind, id, model)
  );
  CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface Row {
  room_id: string;
  kind: LedgerKind;
  id: string;
  model: string;
  nickname: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  est_input: number;
  est_output: number;
  ttft_ms_sum: number;
  ttft_count: number;
  generated_tokens: number;
  generation_ms: number;
}

/** Reads (and on first use writes) the meta rows; `salt` is drawn by the caller only if none is kept. */
export function sqliteLedgerStore(db: Database, fresh: { salt: () => Buffer; now: () => number }): LedgerStore & { finalize(): void } {
  const meta = (key: string, make: () => string): string => {
    const got = db.query("SELECT value FROM ledger_meta WHERE key = ?").get(key) as { value: string } | null;
    if (got) return got.value;
    const value = make();
    db.query("INSERT INTO ledger_meta (key, value) VALUES (?, ?)").run(key, value);
    return value;
  };
  const salt = Buffer.from(meta("caller_salt", () => fresh.salt().toString("hex")), "hex");
  const startedAt = Number(meta("started_at", () => String(fresh.now())));
  const upsert: Statement = db.prepare(
    `INSERT OR REPLACE INTO ledger (room_id, kind, id, model, nickname, requests, errors, input_tokens, output_tokens, est_input, est_output, ttft_ms_sum, ttft_count, generated_tokens, generation_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const remove: Statement = db.prepare("DELETE FROM ledger WHERE room_id = ?");
  const all = db.prepare<Row, []>("SELECT * FROM ledger ORDER BY rowid");
  const saveAll = db.transaction((rows: readonly { roomId: string; row: LedgerRow }[]) => {
    for (const { roomId, row: r } of rows) {
      upsert.run(roomId, r.kind, r.id, r.model, r.nickname, r.requests, r.errors, r.inputTokens, r.outputTokens, r.estimatedInputTokens, r.estimatedOutputTokens, r.ttftMsSum, r.ttftCount, r.generatedTokens, r.generationMs);
    }
  });
  return {
    salt: () => salt,
    startedAt: () => startedAt,
    load() {
      const rooms = new Map<string, LedgerRow[]>();
      for (const r of all.all()) {
        const rows = rooms.get(r.room_id) ?? [];
        rows.push({
          kind: r.kind,
          id: r.id,
          model: r.model,
          nickname: r.nickname,
          requests: r.requests,
          errors: r.errors,
          inputTokens: r.input_tokens,
          outputTokens: r.output_tokens,
          estimatedInputTokens: r.est_input,
          estimatedOutputTokens: r.est_output,
          ttftMsSum: r.ttft_ms_sum,
          ttftCount: r.ttft_count,
          generatedTokens: r.generated_tokens,
          generationMs: r.generation_ms,
        });
        rooms.set(r.room_id, rows);
      }
      return rooms;
    },
    save(rows) {
      if (rows.length > 0) saveAll(rows);
    },
    forget(roomId) {
      remove.run(roomId);
    },
    finalize() {
      for (const s of [upsert, remove, all]) s.finalize();
    },
  };
}
