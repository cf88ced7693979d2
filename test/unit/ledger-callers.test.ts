/**
 * The ledger's caller rows (hub/ledger/ledger.ts) fed attempt ends as dispatch.ts makes them,
 * without a hub: a request is its caller's once, from its last attempt; one no participant took
 * is a request of model "" (an error unless the client left, no tokens); an attempt counted as
 * one failed over from that turned out to be the last (no one left) is the caller's through
 * `requestEnded`; a participant's row counts every attempt it served.
 */
import { expect, test } from "bun:test";
import type { AttemptEnd } from "../../src/hub/inference/attempt-end.ts";
import { Ledger } from "../../src/hub/ledger/ledger.ts";
import { usageView, UNSERVED } from "../../src/hub/ledger/usage-view.ts";
import { memoryLedgerStore } from "../../src/hub/persist/ledger-store.ts";
import { callerLabel } from "../../src/hub/ledger/caller-label.ts";
import type { Participant, Room } from "../../src/hub/rooms/types.ts";

const room = { id: "room-1", code: "K7QX2M", createdAt: 0 } as Room;
const alice = { id: "p-alice", nickname: "alice" } as Participant;
const bob = { id: "p-bob", nickname: "bob" } as Participant;

function end(over: Partial<AttemptEnd>): AttemptEnd {
  return {
    room,
    participant: alice,
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
    inputTokens: 0,
    outputTokens: 0,
    estimatedInputTokens: 0,
    estimatedOutputTokens: 0,
    callerKind: "t:",
    callerId: "sk-one",
    ...over,
  };
}
const view = (l: Ledger) => usageView(room.code, 0, l.rowsOf(room));
const store = memoryLedgerStore();
/** The label the ledger gives a token (the store's salt). */
const label = (token: string) => callerLabel(store.salt(), `t:${token}`);

test("unserved requests: model \"\", an error each unless the client left, no tokens; only a final end counts", () => {
  const l = new Ledger(store);
  const unserved = { participant: undefined, model: undefined, result: "error" as const, stage: "queue" as const };
  l.attemptEnded(end(unserved));
  l.attemptEnded(end({ ...unserved, callerId: "sk-two" }));
  l.attemptEnded(end({ ...unserved, result: "aborted", stage: "client" }));
  l.attemptEnded(end({ ...unserved, final: false }));
  expect(UNSERVED).toBe("");
  const u = view(l);
  expect(u.participants).toEqual([]);
  // Rows in the view's order; the labels' order depends on the ledger's salt, so compare as sets.
  const rows = u.callers.map((c) => [c.caller, c.model, c.requests, c.errors, c.inputTokens, c.outputTokens]);
  expect(rows).toHaveLength(2);
  expect(rows).toEqual(
    expect.arrayContaining([
      [label("sk-one"), "", 2, 1, 0, 0],
      [label("sk-two"), "", 1, 1, 0, 0],
    ]),
  );
  expect(u.totals).toMatchObject({ requests: 0, errors: 0 });
});

test("a failover: each participant's attempt counted; the caller's request once, from the last attempt, or from requestEnded when no one was left", () => {
  const l = new Ledger(store);
  // Served on the second try.
  l.attemptEnded(end({ participant: alice, result: "error", stage: "upstream", final: false }));
  l.attemptEnded(end({ participant: bob, inputTokens: 5, outputTokens: 2 }));
  // Failed over from alice, then nobody left after all: the request is the caller's through requestEnded.
  const failedOver = end({ participant: alice, result: "error", stage: "connect", final: false });
  l.attemptEnded(failedOver);
  l.requestEnded(failedOver);
  const u = view(l);
  expect(u.participants.map((p) => [p.participantId, p.requests, p.errors])).toEqual([
    ["p-bob", 1, 0],
    ["p-alice", 2, 2],
  ]);
  expect(u.callers).toEqual([{ caller: label("sk-one"), model: "llama3", requests: 2, errors: 1, inputTokens: 5, outputTokens: 2, estimatedInputTokens: 0, estimatedOutputTokens: 0 }]);
});

test("a caller row only for a request's end: an attempt failed over from counts for its participant alone", () => {
  const l = new Ledger(store);
  l.attemptEnded(end({ final: false, result: "error", callerId: "sk-three" }));
  expect(view(l).callers).toEqual([]);
  l.attemptEnded(end({ participant: undefined, model: undefined, result: "error", callerId: "sk-three" }));
  expect(view(l).callers.map((c) => c.caller)).toEqual([label("sk-three")]);
});
