/**
 * The rooms' usage ledgers: per room, running totals per (participant, model) — requests,
 * errors, tokens in and out served, TTFT and generation time for the means — and per (caller,
 * model) — requests and tokens used — since the room was created (or since the ledger began,
 * for a room older than it). One per hub, in the hub context.
 *
 * Updated as each attempt ends (`attemptEnded`, from dispatch.ts where it already holds the
 * outcome): a participant's row for every attempt it served, the failed-over ones included
 * (as errors); a caller's row for the request's last attempt only. An error is an attempt that
 * failed other than by its client leaving. A request no participant took (no one serves its
 * model, turned away by a busy room, timed out in its queue) is still its caller's: a request
 * (an error unless the client left) with no tokens, in the caller's row of model `UNSERVED`
 * (no model: the name the client asked for is never a key here, so a client cannot grow the
 * ledger by inventing names), as /metrics counts it under model `none`.
 *
 * Writing: rows change in memory (two rows found by three Map lookups each) and are marked dirty; `flush`
 * writes the dirty rows to the store in one transaction (startHub calls it every second, and
 * the hub's close once more), so no request waits on the disk. A crash loses at most the last
 * second. A room removed (deleted, expired) takes its ledger with it.
 */
import { AttemptBatch, type AttemptEnd } from "../inference/attempt-end.ts";
import type { LedgerKind, LedgerRow, LedgerStore } from "../persist/ledger-store.ts";
import type { Room } from "../rooms/types.ts";
import { CallerLabels } from "./caller-label.ts";
import { branch, subMap } from "../../protocol/map-branch.ts";
import { UNSERVED } from "./usage-view.ts";
import { WriteTrouble, type TroubleLog } from "../persist/write-trouble.ts";

export interface RoomLedger {
  /** Rows by kind, id and model (protocol/map-branch.ts: no key string built per attempt). */
  readonly rows: Map<LedgerKind, Map<string, Map<string, LedgerRow>>>;
  readonly dirty: Set<LedgerRow>;
}

function emptyRow(kind: LedgerKind, id: string, model: string, nickname: string | null): LedgerRow {
  return {
    kind,
    id,
    model,
    nickname,
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    estimatedInputTokens: 0,
    estimatedOutputTokens: 0,
    ttftMsSum: 0,
    ttftCount: 0,
    generatedTokens: 0,
    generationMs: 0,
  };
}

/** One more request on a row, participant's or caller's: an error if it failed, and its tokens. */
function countRequest(row: LedgerRow, a: AttemptEnd, failed: boolean): void {
  row.requests++;
  if (failed) row.errors++;
  row.inputTokens += a.inputTokens;
  row.outputTokens += a.outputTokens;
  row.estimatedInputTokens += a.estimatedInputTokens;
  row.estimatedOutputTokens += a.estimatedOutputTokens;
}

export class Ledger {
  private readonly rooms = new Map<string, RoomLedger>();
  private readonly labels: CallerLabels;
  private readonly batch = new AttemptBatch((a) => this.fold(a));
  /** A disk that stays full is said once, not every second (persist/write-trouble.ts). */
  private readonly trouble: WriteTrouble;

  constructor(
    private readonly store: LedgerStore,
    private readonly log?: TroubleLog,
  ) {
    this.trouble = new WriteTrouble("the usage ledger is written again", log);
    this.labels = new CallerLabels(store.salt());
    for (const [roomId, rows] of store.load()) {
      const ledger = this.roomLedger(roomId);
      for (const r of rows) subMap(subMap(ledger.rows, r.kind), r.id).set(r.model, r);
    }
  }


  /** When a room's figures begin. */
  since(room: Room): number {
    return Math.max(room.createdAt, this.store.startedAt());
  }

  rowsOf(room: Room): LedgerRow[] {
    this.batch.settle();
    const out: LedgerRow[] = [];
    for (const byId of this.rooms.get(room.id)?.rows.values() ?? []) for (const byModel of byId.values()) out.push(...byModel.values());
    return out;
  }

  /** Counted with the next batch (inference/attempt-end.ts), before anything reads the ledger. */
  attemptEnded(a: AttemptEnd): void {
    this.batch.add(a);
  }

  private fold(a: AttemptEnd): void {
    const p = a.participant;
    if (!p || a.model === undefined) {
      if (a.final) this.requestEnded(a);
      return;
    }
    const ledger = this.roomLedger(a.room.id);
    const failed = a.result === "error";
    const row = this.row(ledger, "participant", p.id, a.model, p.nickname);
    row.nickname = p.nickname;
    countRequest(row, a, failed);
    if (a.ttftMs !== undefined) {
      row.ttftMsSum += a.ttftMs;
      row.ttftCount++;
    }
    if (a.outputTokens > 0 && a.generationMs > 0) {
      row.generatedTokens += a.outputTokens;
      row.generationMs += a.generationMs;
    }
    ledger.dirty.add(row);
    if (a.final) this.requestEnded(a);
  }

  /**
   * A request's end, for its caller's row: from its last attempt (`attemptEnded`), or alone
   * when an attempt counted as one failed over from turned out to be the last after all (no
   * one left to take the request: dispatch.ts). Without a participant, model `UNSERVED`.
   */
  requestEnded(a: AttemptEnd): void {
    const ledger = this.roomLedger(a.room.id);
    const failed = a.result === "error";
    const caller = this.row(ledger, "caller", this.labels.of(a.callerKind, a.callerId), a.participant && a.model !== undefined ? a.model : UNSERVED, null);
    countRequest(caller, a, failed);
    ledger.dirty.add(caller);
  }

  /** Writes what changed since the last flush. A failing write is logged and kept for the next one. */
  flush(): void {
    this.batch.settle();
    const batch: { roomId: string; row: LedgerRow }[] = [];
    for (const [roomId, ledger] of this.rooms) for (const row of ledger.dirty) batch.push({ roomId, row });
    if (batch.length === 0) return;
    try {
      this.store.save(batch);
    } catch (err) {
      this.trouble.failed(`the usage ledger could not be written (kept in memory, tried again every second): ${(err as Error).message}`);
      return;
    }
    this.trouble.succeeded();
    for (const ledger of this.rooms.values()) ledger.dirty.clear();
  }

  /** A room was removed: its ledger goes (and a later room under its code starts from nothing, having another id). */
  forget(room: Room): void {
    this.batch.settle();
    this.rooms.delete(room.id);
    try {
      this.store.forget(room.id);
    } catch (err) {
      this.log?.warn(`the usage ledger of room ${room.code} could not be removed: ${(err as Error).message}`);
    }
  }

  private roomLedger(roomId: string): RoomLedger {
    let ledger = this.rooms.get(roomId);
    if (!ledger) this.rooms.set(roomId, (ledger = { rows: new Map(), dirty: new Set() }));
    return ledger;
  }

  private row(ledger: RoomLedger, kind: LedgerKind, id: string, model: string, nickname: string | null): LedgerRow {
    return branch(subMap(subMap(ledger.rows, kind), id), model, () => emptyRow(kind, id, model, nickname));
  }
}
