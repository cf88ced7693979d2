/**
 * The room view's pure state (room-state.ts): requests in flight counted per attempt (a retry
 * moves one from a participant to another), the hub's own counts taken from snapshots only, a
 * lowered limit, a 429's cooldown counted down against the clock passed in, the room's queue.
 */
import { describe, expect, test } from "bun:test";
import type { RoomEvent } from "../../src/client.ts";
import { activeText, applyEvent, cooldownLeftMs, initialRoomView, queueText, statusText, withParticipants, withRoom, type RoomView } from "../../src/tui/room-state.ts";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const view = (over: Record<string, unknown> = {}) => ({ id: "a", nickname: "alice", model: "m", status: "online", health: "healthy", capabilities: { chatCompletions: true }, maxConcurrency: 4, limit: 4, inFlight: 0, cooldownUntil: null, ...over });
const ev = (type: string, data: Record<string, unknown>): RoomEvent => ({ type, timestamp: NOW, data });
const fold = (v: RoomView, ...events: RoomEvent[]) => events.reduce((acc, e) => applyEvent(acc, e, NOW), v);
const row = (v: RoomView, id: string) => v.participants.find((r) => r.id === id)!;

function twoParticipants(): RoomView {
  return applyEvent(initialRoomView("K7QX2M"), ev("connected", { participants: [view(), view({ id: "b", nickname: "bob" })] }), NOW);
}

describe("requests in flight", () => {
  test("a retry ends the attempt on `from`; the next attempt is its own llm.request; totals count the request once", () => {
    const v = fold(
      twoParticipants(),
      ev("llm.request", { requestId: "r1", participantId: "a", nickname: "alice", attempt: 1 }),
      ev("llm.retry", { requestId: "r1", from: "a", to: "b", reason: "rate_limited", error: "HTTP 429", attempt: 2 }),
      ev("llm.request", { requestId: "r1", participantId: "b", nickname: "bob", model: "m", protocol: "chat", attempt: 2 }),
    );
    expect([row(v, "a").inFlight, row(v, "b").inFlight]).toEqual([0, 1]);
    expect(v.log.map((e) => e.text).slice(-2)).toEqual(["↻ alice → bob [rate_limited] HTTP 429", "→ bob m chat (attempt 2)"]);
    const done = fold(v, ev("llm.complete", { requestId: "r1", participantId: "b", nickname: "bob", attempts: 2, metrics: { ttftMs: 50 } }));
    expect([row(done, "a").inFlight, row(done, "b").inFlight, row(done, "a").served, row(done, "b").served]).toEqual([0, 0, 0, 1]);
    expect([done.requests, done.errors]).toEqual([1, 0]);
  });

  test("a request that failed over and then waited out the queue ends the last participant's attempt; one nobody took names none", () => {
    const v = fold(
      twoParticipants(),
      ev("llm.request", { requestId: "r1", participantId: "a", attempt: 1 }),
      ev("llm.error", { requestId: "r1", participantId: "a", nickname: "alice", stage: "queue", error: "timed out waiting", status: 503, attempts: 1 }),
      ev("llm.error", { requestId: "r2", participantId: null, nickname: null, stage: "queue", error: "room is busy", status: 429, attempts: 0 }),
    );
    expect(row(v, "a").inFlight).toBe(0);
    expect([v.requests, v.errors]).toEqual([2, 2]);
    expect(v.log.at(-1)!.text).toBe("✗ [queue] room is busy");
  });

  test("snapshots (a poll, `connected`) bring the hub's count; a participant event's view does not replace the evented one", () => {
    let v = fold(twoParticipants(), ev("llm.request", { participantId: "a" }), ev("llm.request", { participantId: "a" }));
    // The 429's update is published before the end of the attempt that got it: its count leaves that attempt out.
    v = fold(v, ev("participant.updated", { participant: view({ inFlight: 1, limit: 2, cooldownUntil: NOW + 12_000 }), reason: "rate_limited", cooldownMs: 12_000 }));
    expect(row(v, "a")).toMatchObject({ inFlight: 2, limit: 2, cooldownUntil: NOW + 12_000 });
    v = fold(v, ev("llm.retry", { from: "a", to: "b" }));
    expect(row(v, "a").inFlight).toBe(1);
    // A poll says what the hub has, whatever the events missed; the served count stays the TUI's own.
    v = withParticipants(v, [view({ inFlight: 3, limit: 3 }), view({ id: "b", nickname: "bob" })]);
    expect(row(v, "a")).toMatchObject({ inFlight: 3, limit: 3, cooldownUntil: undefined });
  });
});

describe("what the table says", () => {
  test("in flight over the limit, with the maximum when a 429 lowered it; a hub that does not say", () => {
    const v = twoParticipants();
    expect(activeText({ ...row(v, "a"), inFlight: 1 })).toBe("1/4");
    expect(activeText({ ...row(v, "a"), inFlight: 1, limit: 2 })).toBe("1/2 (max 4)");
    expect(activeText({ ...row(v, "a"), inFlight: 1, limit: undefined })).toBe("1/4");
    expect(activeText({ ...row(v, "a"), inFlight: 1, limit: undefined, maxConcurrency: undefined })).toBe("1");
  });

  test("a cooldown counts down against the clock passed in, and is gone once over", () => {
    const v = fold(twoParticipants(), ev("participant.updated", { participant: view({ limit: 2, cooldownUntil: NOW + 12_000 }), reason: "rate_limited", cooldownMs: 12_000 }));
    const a = row(v, "a");
    expect(v.log.at(-1)).toMatchObject({ text: "alice answered 429: cooling down 12 s", level: "error" });
    expect(cooldownLeftMs(a, NOW)).toBe(12_000);
    expect(statusText(a, NOW)).toBe("cooling 12s");
    expect(statusText(a, NOW + 11_500)).toBe("cooling 1s");
    expect(statusText(a, NOW + 12_000)).toBe("online");
    expect(statusText({ ...a, cooldownUntil: NOW + 250_000 }, NOW)).toBe("cooling 5m");
    // Offline says offline, whatever its cooldown.
    expect(statusText({ ...a, status: "offline" }, NOW)).toBe("offline");
  });

  test("the room's queue, from its public view", () => {
    const v = initialRoomView("K7QX2M");
    expect(queueText(v)).toBeUndefined();
    expect(queueText(withRoom(v, { queue: { waiting: 3, queueSize: 64, queueTimeoutMs: 120_000 } }))).toBe("3 waiting");
    expect(queueText(withRoom(v, { queue: { waiting: 64, queueSize: 64, queueTimeoutMs: 120_000 } }))).toBe("64 waiting (full)");
    expect(queueText(withRoom(v, {}))).toBeUndefined();
  });
});
