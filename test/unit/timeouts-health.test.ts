/**
 * Participant health without sockets: the registry's fault count, its events and re-probes on
 * an injected clock and probe, and routing's preference for healthy participants.
 */
import { describe, expect, test } from "bun:test";
import { EventBus, type HubEvent } from "../../src/hub/events/bus.ts";
import { RoomRegistry, type Participant } from "../../src/hub/rooms/registry.ts";

function setup(probe: (p: Participant) => Promise<boolean> = async () => false) {
  let now = 1_000;
  const bus = new EventBus(() => now);
  let ids = 0;
  const registry = new RoomRegistry({
    now: () => now,
    random: () => 0,
    newId: () => `id${ids++}`,
    bus,
    offlineAfterMs: 30_000,
    removeAfterMs: 600_000,
    unhealthyAfter: 3,
    reprobeEveryMs: 10_000,
    reprobe: (p) => probe(p),
  });
  const room = registry.create("r", null, {});
  const seen: HubEvent[] = [];
  bus.subscribe(room.code, (e) => seen.push(e));
  const { participant } = registry.upsert(room, {
    id: "p",
    nickname: "alice",
    models: ["m"],
    embeddingModels: [],
    endpoint: "http://127.0.0.1:9",
    transport: "direct",
    capabilities: { chatCompletions: true, responses: false },
    responsesState: "unknown",
    listedModels: null,
    maxConcurrency: 1,
    maxConcurrencySource: "default",
    tokenDigest: Buffer.alloc(32),
    specs: {},
    config: {},
    authHeaders: { Authorization: "Bearer sk-secret-value" },
  });
  seen.length = 0;
  return { registry, room, participant, seen, advance: (ms: number) => (now += ms), types: () => seen.map((e): string => e.type) };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe("registry health", () => {
  test("the third fault in a row marks it unhealthy, once, with a public view that has no secret", () => {
    const { registry, room, participant, seen, types } = setup();
    registry.recordFault(room, participant, "timed out");
    registry.recordFault(room, participant, "timed out");
    expect(participant.health).toBe("healthy");
    registry.recordFault(room, participant, "timed out");
    registry.recordFault(room, participant, "timed out");
    expect(participant.health).toBe("unhealthy");
    expect(types()).toEqual(["participant.unhealthy"]);
    expect(seen[0]!.data).toMatchObject({ faults: 3, reason: "timed out", participant: { id: "p", health: "unhealthy", hasAuth: true } });
    expect(JSON.stringify(seen)).not.toContain("sk-secret-value");
  });

  test("a success in between resets the count", () => {
    const { registry, room, participant } = setup();
    for (let round = 0; round < 5; round++) {
      registry.recordFault(room, participant, "x");
      registry.recordFault(room, participant, "x");
      registry.recordSuccess(room, participant);
    }
    expect(participant).toMatchObject({ health: "healthy", faults: 0 });
  });

  test("re-probed by sweep only when due, one probe at a time; healthy again when it answers", async () => {
    let answers = false;
    let probes = 0;
    let release: () => void = () => {};
    const { registry, room, participant, advance, types } = setup(async () => {
      probes++;
      await new Promise<void>((r) => (release = r));
      return answers;
    });
    for (let i = 0; i < 3; i++) registry.recordFault(room, participant, "x");
    registry.sweep();
    expect(probes).toBe(0);
    advance(10_000);
    registry.sweep();
    registry.sweep(); // still probing: no second probe
    expect(probes).toBe(1);
    release();
    await settle();
    expect(participant.health).toBe("unhealthy");
    registry.sweep();
    expect(probes).toBe(1); // the next one is 10 s away again
    advance(10_000);
    answers = true;
    registry.sweep();
    release();
    await settle();
    expect(participant.health).toBe("healthy");
    expect(types()).toEqual(["participant.unhealthy", "participant.healthy"]);
  });

  test("an offline participant is not probed; one that left meanwhile is not revived", async () => {
    let release: (ok: boolean) => void = () => {};
    const { registry, room, participant, advance, types } = setup(() => new Promise<boolean>((r) => (release = r)));
    for (let i = 0; i < 3; i++) registry.recordFault(room, participant, "x");
    participant.status = "offline";
    advance(10_000);
    registry.sweep();
    expect(participant.probing).toBe(false);
    participant.status = "online";
    registry.sweep();
    expect(participant.probing).toBe(true);
    registry.leave(room, "p");
    release(true);
    await settle();
    expect(types()).toEqual(["participant.unhealthy", "participant.left"]);
  });
});

describe("routing", () => {
  /** A second participant "well" beside setup()'s "p" (which becomes unhealthy below). */
  function two() {
    const t = setup();
    t.registry.upsert(t.room, { ...t.participant, id: "well", nickname: "bob", tokenDigest: Buffer.alloc(32) });
    t.seen.length = 0;
    return t;
  }
  const lease = (room: ReturnType<typeof setup>["room"], spec = "*") => {
    const got = room.scheduler.acquire({ want: room.scheduler.want(spec), protocol: "chat", caller: "c" });
    if (got.waiting) throw new Error("expected a lease at once");
    return got;
  };

  test("the room's scheduler skips a participant the registry marks unhealthy, while a healthy one matches", () => {
    const { registry, room, participant } = two();
    for (let i = 0; i < 3; i++) registry.recordFault(room, participant, "x");
    for (const spec of ["*", "m", "model:m"]) {
      const got = lease(room, spec);
      expect(got.member.id).toBe("well");
      got.release({ kind: "ended" });
    }
  });

  test("falls back to an unhealthy one rather than refusing, honours an explicit id, and serves it again once healthy", async () => {
    const { registry, room, participant } = setup(async () => true);
    for (let i = 0; i < 3; i++) registry.recordFault(room, participant, "x");
    const got = lease(room, "p");
    expect(got.member.id).toBe("p");
    got.release({ kind: "ended" });
    registry.recordSuccess(room, participant);
    expect(participant.health).toBe("healthy");
    expect(room.scheduler.memberView("p")).toMatchObject({ inFlight: 0 });
  });

  test("a 401/403 marks it unhealthy at once, with the event every health change has, and an update saying why", () => {
    const { registry, room, participant, seen, types } = two();
    registry.credentialsRejected(room, participant, 401);
    expect(participant.health).toBe("unhealthy");
    expect(types()).toEqual(["participant.unhealthy", "participant.updated"]);
    expect(seen[1]!.data).toMatchObject({ reason: "credentials_rejected", status: 401, participant: { id: "p", health: "unhealthy" } });
    expect(seen[0]!.data).toMatchObject({ reason: "credentials rejected (HTTP 401)", participant: { id: "p", health: "unhealthy" } });
    expect(lease(room).member.id).toBe("well");
    registry.credentialsRejected(room, participant, 403);
    expect(types()).toEqual(["participant.unhealthy", "participant.updated"]);
  });
});
