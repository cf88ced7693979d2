/**
 * `gambi tui` in a real pseudo-terminal (80×24 is the PTY helper's job to vary; this one uses
 * its default) against an in-process hub: the room is listed, Enter opens it, the participant
 * is in the table, a request through the hub appears in the activity log, and Ctrl-C exits 0.
 * And the join form's model list as a terminal delivers it: Tab picks a model that embeds.
 */
import { afterEach, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/hub-process.ts";
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
    await t.expectView(/^since opened: requests 1 · errors 0/m);
    t.type(KEY.ctrlC);
    const exited = await Promise.race([t.proc.exited, Bun.sleep(5000).then(() => "still running")]);
    expect(exited).toBe(0);
    // The main screen is back (the last bytes may reach the PTY reader after the exit).
    expect(await waitFor(() => t.raw().includes("\x1b[?1049l"), 2000)).toBe(true);
  } finally {
    await t.close();
  }
});

test("tui join form in a terminal: Tab picks a model to embed, the participant serves it, the profile keeps it", async () => {
  upstream = startFakeUpstream({ models: ["chat-model", "embed-model"], embeddings: true, responses: false });
  upstream.handle(() => chatCompletion("chat-model"));
  hub = startTestHub();
  const code = await hub.createRoom({ name: "rag-room" });
  const home = tempDir("tui-embed-pty");
  const t = spawnInTerminal([process.execPath, "src/cli.ts", "tui", "--hub", hub.url], { ...process.env, NO_COLOR: "1", GAMBI_HUB_TOKEN: "", XDG_CONFIG_HOME: home }, { cols: 80, rows: 24 });
  try {
    await t.expectView(new RegExp(`› +${code} +rag-room +0 participants`));
    // j, ← (custom URL), the upstream's URL, ↓ to the profile name, "rag", ↓ to the probe, Enter.
    t.type("j");
    await t.expectView(`  Room code       ${code}`);
    t.type("\x1b[D");
    await t.expectView("‹ Custom URL ›");
    t.type(KEY.down + upstream.url + KEY.down + KEY.down + KEY.down + "rag" + KEY.down + KEY.enter);
    await t.expectView("› Models (type to filter, space picks, tab picks to embed): ");
    // Space picks chat-model; ↓ then Tab picks embed-model to embed, marked E.
    t.type(" ");
    await t.expectView("picked: chat-model");
    t.type(KEY.down + "\t");
    const marked = await t.expectView("to embed: embed-model");
    expect(marked).toContain("›    E embed-model");
    t.type(KEY.enter);
    await t.expectView(`Join room ${code} · ${upstream.url} · model chat-model · to embed: embed-`);
    t.type(KEY.down + KEY.down + KEY.enter);
    await t.expectView(/serving chat-model, embed-model \(embeddings\) in room/);
    const listed = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as { participants: Record<string, unknown>[] };
    expect(listed.participants[0]).toMatchObject({ models: ["chat-model"], embeddingModels: ["embed-model"] });
    expect(JSON.parse(readFileSync(join(home, "gambi", "config.json"), "utf8")).profiles.rag).toMatchObject({ model: "chat-model", embeddingModels: ["embed-model"] });
    t.type(KEY.ctrlC);
    expect(await Promise.race([t.proc.exited, Bun.sleep(5000).then(() => "still running")])).toBe(0);
  } finally {
    await t.close();
    rmSync(home, { recursive: true, force: true });
  }
});
