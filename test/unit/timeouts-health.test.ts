/**
 * Participant health without sockets: the registry's fault count, its events and re-probes on
 * an injected clock and probe, and routing's preference for healthy participants.
 */
import { describe, expect, test } from "bun:test";
import { EventBus, type HubEvent } from "../../src/hub/events/bus.ts";
import { RoomRegistry, type Participant } from "../../src/hub/rooms/registry.ts";
import { pickParticipant, type Candidate } from "../../src/hub/inference/select.ts";

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
    endpoint: "http://127.0.0.1:9",
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
  const c = (id: string, health?: Candidate["health"], inFlight = 0): Candidate => ({
    id,
    nickname: id,
    models: ["m"],
    status: "online",
    capabilities: { chatCompletions: true, responses: true },
    inFlight,
    health,
  });

  test("skips unhealthy participants while a healthy one matches, even a busier one", () => {
    const all = [c("sick", "unhealthy"), c("well", "healthy", 5)];
    for (const spec of ["*", "m", "model:m"]) expect(pickParticipant(all, spec, "chat", () => 0).id).toBe("well");
  });

  test("falls back to an unhealthy one rather than refusing, and honours an explicit id", () => {
    expect(pickParticipant([c("sick", "unhealthy"), c("sicker", "unhealthy")], "*", "chat", () => 0).id).toBe("sick");
    expect(pickParticipant([c("sick", "unhealthy"), c("well")], "sick", "chat", () => 0).id).toBe("sick");
  });
});
