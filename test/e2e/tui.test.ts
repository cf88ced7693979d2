/**
 * `gambi tui` in a real pseudo-terminal (80×24 is the PTY helper's job to vary; this one uses
 * its default) against an in-process hub: the room is listed, Enter opens it, the participant
 * is in the table, a request through the hub appears in the activity log, and Ctrl-C exits 0.
 */
import { afterEach, expect, test } from "bun:test";
import { chatCompletion, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { chatThroughRoom, startTestHub, type TestHub } from "../helpers/hub.ts";
import { KEY, spawnInTerminal } from "../helpers/pty.ts";

let hub: TestHub | undefined;
let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await hub?.stop();
  await upstream?.stop();
});

test("tui: rooms list → room view → live request in the activity log → Ctrl-C exits 0", async () => {
  upstream = startFakeUpstream({ models: ["tiny-model"] });
  upstream.handle(() => chatCompletion("tiny-model"));
  hub = startTestHub();
  const code = await hub.createRoom({ name: "tui-room" });
  const joined = await hub.join(code, { id: "p-alice", nickname: "alice", model: "tiny-model", endpoint: upstream.url });
  expect(joined.status).toBeLessThan(300);

  const t = spawnInTerminal([process.execPath, "src/cli.ts", "tui", "--hub", hub.url], { ...process.env, NO_COLOR: "1", GAMBI_HUB_TOKEN: "" }, { cols: 80, rows: 24 });
  try {
    await t.expectView("● reachable");
    await t.expectView(new RegExp(`› +${code} +tui-room +1 participant`));
    t.type(KEY.enter);
    const room = await t.expectView(/^alice +tiny-model +online/m);
    expect(room[3]).toBe(`Room ${code} · tui-room`);
    expect(room).toContain("  waiting for requests…");
    expect(await chatThroughRoom(hub.url, code)).toBe(200);
    await t.expectView("✓ alice done");
    await t.expectView(/^requests 1 · errors 0/m);
    t.type(KEY.ctrlC);
    const exited = await Promise.race([t.proc.exited, Bun.sleep(5000).then(() => "still running")]);
    expect(exited).toBe(0);
    // The main screen is back (the last bytes may reach the PTY reader after the exit).
    expect(await waitFor(() => t.raw().includes("\x1b[?1049l"), 2000)).toBe(true);
  } finally {
    await t.close();
  }
});
