/**
 * The room itself against real servers: a client that leaves mid-stream frees llama-server's
 * slot (the abort crosses the hub), and a room of two llama-servers routes between them. And
 * `gambi health` pointed at a llama-server instead of the hub says it is not a hub.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnCli } from "../helpers/hub-process.ts";
import { REAL, until } from "./llama-server.ts";
import { realRoom, type RealRoom } from "./room.ts";

/** Long answers: every token up to the cap, so a stream is still running when the client leaves. */
const LONG = ["-n", "200000", "--ignore-eos"];

describe.skipIf(!REAL)("real llama.cpp: the room", () => {
  let room: RealRoom;
  beforeAll(async () => {
    room = await realRoom([LONG, LONG]);
  });
  afterAll(() => room?.close());

  const busy = async (n: number) => (await room.llamas[n]!.slots()).some((s) => s.is_processing);
  const startStream = async (controller: AbortController) => {
    const res = await fetch(`${room.v1}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Write a long story." }], max_tokens: 200000, stream: true }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the stream has started
    return { res, reader };
  };

  test("a client leaving mid-stream frees the llama-server slot", async () => {
    const controller = new AbortController();
    const { res } = await startStream(controller);
    const n = room.ids.indexOf(res.headers.get("x-gambi-participant")!);
    expect(n).toBeGreaterThanOrEqual(0);
    expect(await busy(n)).toBe(true);
    controller.abort();
    // 200,000 tokens at a few thousand per second would keep the slot for a minute: freed at once means aborted.
    expect(await until(async () => !(await busy(n)), 10_000)).toBe(true);
    const ctx = room.hub.hub.ctx.registry.find(room.code)!;
    expect(await until(async () => [...ctx.participants.values()].every((p) => ctx.scheduler.memberView(p.id)?.inFlight === 0), 5_000)).toBe(true);
  });

  test("two participants: with one busy, the next request goes to the other", async () => {
    const first = new AbortController();
    const a = await startStream(first);
    const busyId = a.res.headers.get("x-gambi-participant")!;
    const res = await fetch(`${room.v1}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }),
    });
    expect(res.status).toBe(200);
    const other = res.headers.get("x-gambi-participant")!;
    expect(room.ids).toContain(other);
    expect(other).not.toBe(busyId);
    await res.json();
    first.abort();
    const n = room.ids.indexOf(busyId);
    expect(await until(async () => !(await busy(n)), 10_000)).toBe(true);
  });

  test("gambi health --hub at llama-server's port (it answers /health too): exit 3, not a gambi hub", async () => {
    for (const [url, code] of [[room.hub.url, 0], [room.llamas[0]!.url, 3]] as const) {
      const run = spawnCli(["health", "--hub", url]);
      expect(await run.exited()).toBe(code);
      if (code === 3) expect(run.out.stderr).toContain(`${url} is not a gambi hub`);
      else expect(run.out.stdout).toStartWith("ok: gambi hub ");
    }
  });
});
