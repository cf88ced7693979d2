/**
 * Ended attempts are folded into /metrics and the ledger in batches (inference/attempt-end.ts):
 * a request only adds its record; the fold runs when a batch is full, when the figures are read
 * and on the hub's one-second timer. Nothing read may be stale.
 */
import { describe, expect, test } from "bun:test";
import { ATTEMPT_BATCH, AttemptBatch, type AttemptEnd } from "../../src/hub/inference/attempt-end.ts";
import { HubMetrics } from "../../src/hub/metrics/hub-metrics.ts";
import { Ledger } from "../../src/hub/ledger/ledger.ts";
import { memoryLedgerStore } from "../../src/hub/persist/ledger-store.ts";
import type { Participant, Room } from "../../src/hub/rooms/types.ts";

const room = { id: "room-1", code: "K7QX2M", createdAt: 0, passwordHash: null } as unknown as Room;
const participant = { id: "p-1", nickname: "alice" } as unknown as Participant;
const attempt = (outputTokens: number): AttemptEnd => ({
  room,
  participant,
  model: "llama3",
  protocol: "chat",
  stream: false,
  adapted: false,
  result: "ok",
  stage: undefined,
  final: true,
  ttftMs: undefined,
  durationMs: 10,
  generationMs: 10,
  inputTokens: 5,
  outputTokens,
  estimatedInputTokens: 0,
  estimatedOutputTokens: 0,
  callerKind: "t:",
  callerId: "sk-caller",
});

describe("AttemptBatch", () => {
  test("folds nothing until full or settled, then each record once, in order", () => {
    const folded: number[] = [];
    const batch = new AttemptBatch((a) => folded.push(a.outputTokens), 3);
    batch.add(attempt(1));
    batch.add(attempt(2));
    expect(folded).toEqual([]);
    batch.add(attempt(3));
    expect(folded).toEqual([1, 2, 3]);
    batch.add(attempt(4));
    batch.settle();
    batch.settle();
    expect(folded).toEqual([1, 2, 3, 4]);
  });

  test("the metrics and the ledger read what was added just before, however few", () => {
    const metrics = new HubMetrics();
    const ledger = new Ledger(memoryLedgerStore());
    for (const n of [7, 11]) {
      const a = attempt(n);
      metrics.attemptEnded(a);
      ledger.attemptEnded(a);
    }
    const output = metrics.families().find((f) => f.name === "gambi_output_tokens_total")!;
    expect(output.samples!.reduce((sum, s) => sum + s.value, 0)).toBe(18);
    const rows = ledger.rowsOf(room);
    expect(rows.find((r) => r.kind === "participant")!.outputTokens).toBe(18);
    expect(rows.find((r) => r.kind === "caller")!).toMatchObject({ requests: 2, outputTokens: 18 });
    // The caller row is named by a label, never by the token it was given.
    expect(JSON.stringify(rows)).not.toContain("sk-caller");
  });

  test("the ledger's flush (the hub's one-second timer) writes what was added just before", () => {
    const saved: number[] = [];
    const store = memoryLedgerStore();
    const save = store.save.bind(store);
    store.save = (batch) => {
      for (const b of batch) if (b.row.kind === "participant") saved.push(b.row.requests);
      save(batch);
    };
    const ledger = new Ledger(store);
    ledger.attemptEnded(attempt(1));
    ledger.flush();
    expect(saved).toEqual([1]);
  });

  test("the hub's batches hold a bounded number of records", () => {
    const folded: number[] = [];
    const batch = new AttemptBatch((a) => folded.push(a.outputTokens));
    for (let i = 0; i < ATTEMPT_BATCH * 3 + 1; i++) batch.add(attempt(i));
    expect(folded.length).toBe(ATTEMPT_BATCH * 3);
  });
});
