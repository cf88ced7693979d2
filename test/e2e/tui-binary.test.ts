/**
 * The end-to-end test, on the compiled binary (built here into a temp dir, the same
 * way `scripts/build-binary.ts` builds dist/gambi) in an 80×24 pseudo-terminal: open the join
 * flow, expand Advanced options, add Authorization → TEST_AUTH, join a fake upstream that
 * requires that header, and see the participant online in the room view. A request through
 * the hub reaches the upstream with the key; a resize redraws; q leaves the room and exits 0.
 * The config file then holds TEST_AUTH and not its value, and neither does anything the TUI
 * drew or wrote.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { chatCompletion, startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { chatThroughRoom, startTestHub } from "../helpers/hub.ts";
import { KEY, spawnInTerminal } from "../helpers/pty.ts";

const SECRET = "sk-tui-e2e-canary-5d1c"; // a bare key: the TUI sends it as "Bearer ..."
const LEFT = "\x1b[D";
let dir: string;
let binary: string;

beforeAll(() => {
  dir = tempDir("tui-binary");
  const built = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../scripts/build-binary.ts"), "--outdir", join(dir, "bin")], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
  binary = join(dir, "bin", "gambi");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function participants(hubUrl: string, code: string): Promise<unknown[]> {
  return ((await (await fetch(`${hubUrl}/rooms/${code}/participants`)).json()) as { participants: unknown[] }).participants;
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => join(root, f))
    .filter((f) => statSync(f).isFile());
}

test("compiled gambi tui: join with Advanced options (Authorization → TEST_AUTH), participant online, config keeps only the name", async () => {
  const upstream = startFakeUpstream({ models: ["tiny-model"], requireHeader: { name: "authorization", value: `Bearer ${SECRET}` } });
  upstream.handle(() => chatCompletion("tiny-model"));
  const hub = startTestHub();
  const code = await hub.createRoom({ name: "tui-e2e" });
  const home = join(dir, "home");
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), TERM: "xterm-256color", TEST_AUTH: SECRET, CI: "true" }; // CI set: the screen must still draw
  const t = spawnInTerminal([binary, "tui", "--hub", hub.url], env, { cols: 80, rows: 24 });
  try {
    await t.expectView(new RegExp(`› +${code} +tui-e2e +0 participants`));

    // The join flow: the room is the selected one; choose a custom URL and type the upstream's.
    t.type("j");
    await t.expectView(`  Room code       ${code}`);
    t.type(LEFT);
    await t.expectView("› Provider        ‹ Custom URL ›");
    t.type(KEY.down + upstream.url + KEY.down);
    await t.expectView("› Transport       ‹ direct ›  the hub dials your endpoint");
    t.type(KEY.down);
    await t.expectView("› ▸ Advanced options (auth headers: 0)");

    // Advanced options: expand, add a header (Authorization is offered first), name its env var.
    t.type(KEY.enter);
    await t.expectView("›     + add a header (name → environment variable)");
    t.type(KEY.enter);
    await t.expectView(/Header 1 +Authorization/);
    t.type("TEST_AUTH" + KEY.down);
    await t.expectView(/from env var +TEST_AUTH {2}✓ set/);
    t.type(KEY.down + "e2e" + KEY.down + KEY.enter);

    // Probe → model → nickname → capacity (left to the hub) → join.
    await t.expectView(`Join room ${code} · ${upstream.url} speaks Responses + Chat Completions ·`);
    t.type(KEY.enter);
    await t.expectView("› Nickname");
    t.type(KEY.down);
    await t.expectView(/› At once \(max\) +█/);
    t.type(KEY.down + KEY.enter);
    const room = await t.expectView(/^★ \S+ +tiny-model +online/m);
    expect(room[3]).toBe(`Room ${code} · tui-e2e`);
    expect(room[2]).toMatch(new RegExp(`^● you: \\S+ serving tiny-model in room ${code} · online`));
    expect(room[22]).toBe("esc rooms · j join this room · l leave · u usage · q quit");
    expect(await participants(hub.url, code)).toHaveLength(1);

    // The hub routes to it with the key from TEST_AUTH; the activity log shows the request.
    expect(await chatThroughRoom(hub.url, code)).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    await t.expectView(/✓ \S+ done/);

    // Resize: redrawn to the new size, hints on its second-to-last row; and back to 80×24.
    t.resize(100, 30);
    await t.expectView((lines) => lines.length === 30 && lines[28] === "esc rooms · j join this room · l leave · u usage · q quit" && lines.some((l) => /^★ \S+ +tiny-model +online/.test(l)));
    t.resize(80, 24);
    await t.expectView((lines) => lines[22] === "esc rooms · j join this room · l leave · u usage · q quit");

    // q leaves the room, restores the terminal, exits 0.
    t.type("q");
    const exited = await Promise.race([t.proc.exited, Bun.sleep(8000).then(() => "still running")]);
    expect(exited).toBe(0);
    expect(await waitFor(() => t.raw().includes("\x1b[?1049l"), 2000)).toBe(true);
    expect(await participants(hub.url, code)).toHaveLength(0);

    // The profile keeps the env var's name; no byte drawn and no file written holds the value.
    const config = readFileSync(join(home, ".config", "gambi", "config.json"), "utf8");
    expect(JSON.parse(config).profiles.e2e).toMatchObject({ code, endpoint: upstream.url, model: "tiny-model", headers: [{ name: "Authorization", env: "TEST_AUTH" }] });
    expect(config).toContain("TEST_AUTH");
    expect(config).not.toContain(SECRET);
    for (const f of filesUnder(home)) expect(readFileSync(f, "utf8")).not.toContain(SECRET);
    expect(t.raw()).not.toContain(SECRET);
  } finally {
    await t.close();
    await hub.stop();
    await upstream.stop();
  }
});
