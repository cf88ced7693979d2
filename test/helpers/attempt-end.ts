/**
 * An ended attempt as dispatch.ts makes them (hub/inference/attempt-end.ts), for tests of the
 * metrics and the ledger without a hub: a served, non-streaming chat request of caller token
 * `sk-one` in room K7QX2M, changed by `over`.
 */
import type { AttemptEnd } from "../../src/hub/inference/attempt-end.ts";
import type { Participant, Room } from "../../src/hub/rooms/types.ts";

export const testRoom = { id: "room-1", code: "K7QX2M", createdAt: 0, passwordHash: null } as unknown as Room;
export const alice = { id: "p-alice", nickname: "alice" } as unknown as Participant;
export const bob = { id: "p-bob", nickname: "bob" } as unknown as Participant;

export function attemptEnd(over: Partial<AttemptEnd> = {}): AttemptEnd {
  return {
    room: testRoom,
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
