/**
 * A participant's capacity against the real server: joined with no --max-concurrency, its
 * maxConcurrency is llama-server's slot count, which the hub read from the server's own
 * GET /props (`total_slots`) at join. `-np 3`, not the kit's 4, so the number cannot be a
 * default that happens to match.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { REAL } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

describe.skipIf(!REAL)("real llama.cpp: capacity", () => {
  let room: RealRoom;
  beforeAll(async () => {
    room = await realRoom([["-np", "3"]]);
  });
  afterAll(() => room?.close());

  test("maxConcurrency is llama-server's slots, probed from its /props", async () => {
    const props = (await (await fetch(`${room.llamas[0]!.url}/props`)).json()) as { total_slots: number };
    expect(props.total_slots).toBe(3);
    const listed = (await (await fetch(`${room.hub.url}/rooms/${room.code}/participants`)).json()) as { participants: Record<string, unknown>[] };
    expect(listed.participants).toHaveLength(1);
    expect(listed.participants[0]).toMatchObject({ id: room.ids[0], models: ["tiny"], maxConcurrency: 3, maxConcurrencySource: "probed" });
    expect(room.hub.logs.some((l) => l.includes("maxConcurrency=3 (probed: llama.cpp's /props: 3 slots)"))).toBe(true);
  });
});
