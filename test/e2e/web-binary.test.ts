/**
 * The web UI from the compiled binary (built here into a temp dir, as scripts/build-binary.ts
 * builds dist/gambi): the page and its assets come out of the executable itself (Bun bundled
 * them at compile time) within the first-load budget, in JSX's production form, and in Chromium a protected room's page
 * opens with its password, shows a participant and streams a playground answer through it.
 * The browser part skips without Chromium; the assets part always runs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { artifactPath, chromiumPath, launchBrowser, SKIP_MESSAGE } from "../helpers/browser.ts";
import { sseResponse, startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { developmentJsxCalls, FIRST_LOAD_BUDGET, firstLoad } from "../helpers/web-assets.ts";

let dir: string;
let hub: Bun.Subprocess<"ignore", "pipe", "pipe">;
let url: string;
const out = { text: "" };

beforeAll(async () => {
  dir = tempDir("web-binary");
  const built = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../scripts/build-binary.ts"), "--outdir", join(dir, "bin")], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
  // Started from another directory: the page must come from the executable, not from src/.
  hub = Bun.spawn([join(dir, "bin", "gambi"), "hub", "--port", "0", "--host", "127.0.0.1", "--ephemeral"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  for (const s of [hub.stdout, hub.stderr]) void (async () => { for await (const c of s) out.text += decoder.decode(c, { stream: true }); })();
  if (!(await waitFor(() => /listening on \S+:\d+/.test(out.text), 15_000))) throw new Error(`no listening line: ${out.text}`);
  url = `http://127.0.0.1:${out.text.match(/listening on \S+:(\d+)/)![1]}`;
}, 60_000);

afterAll(() => {
  hub?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("compiled gambi serves the page and its assets from itself, within the budget", async () => {
  const { assets } = await firstLoad(url);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const a of assets) expect(a.status).toBe(200);
  const gzip = assets.reduce((n, a) => n + a.gzip, 0);
  console.log(`compiled gambi, web UI first load: ${(gzip / 1024).toFixed(1)} KB JS+CSS gzip'd`);
  expect(gzip).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  // Compiled with the production JSX form, as the page served from source is (scripts/compile-gambi.ts).
  const js = assets.filter((a) => a.type.startsWith("text/javascript")).map((a) => a.text).join("\n");
  expect(developmentJsxCalls(js)).toBe(0);
  expect((await fetch(`${url}/r/ABCDEF`)).status).toBe(200);
});

test.skipIf(!chromiumPath())("compiled gambi: a protected room's page in Chromium, a participant, a streamed answer", async () => {
  const upstream = startFakeUpstream({ models: ["bin-model"] });
  upstream.handle(() => sseResponse(['data: {"choices":[{"index":0,"delta":{"content":"from the binary"}}]}\n\n', 'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3}}\n\n', "data: [DONE]\n\n"]));
  const browser = await launchBrowser();
  try {
    const created = await fetch(`${url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "binary room", password: "bin-pass-1" }) });
    const code = ((await created.json()) as { room: { code: string } }).room.code;
    const joined = await fetch(`${url}/rooms/${code}/join`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ nickname: "bin-laptop", model: "bin-model", endpoint: upstream.url, password: "bin-pass-1" }) });
    expect(joined.status).toBe(201);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/r/${code}`);
    await page.getByLabel("Room password").fill("bin-pass-1");
    await page.getByRole("button", { name: "Open room" }).click();
    await page.getByTestId("participants").getByText("bin-laptop").waitFor();
    await page.getByLabel("Message").fill("hi");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("answer").getByText("from the binary").waitFor();
    await page.getByTestId("answer-meta").getByText(/answered by bin-laptop/).waitFor();
    await page.getByTestId("activity").getByText(/✓ bin-laptop/).waitFor();
    await page.screenshot({ path: artifactPath("binary-room.png"), fullPage: true });
  } finally {
    await browser.close();
    await upstream.stop();
  }
}, 30_000);

if (!chromiumPath()) console.warn(SKIP_MESSAGE);
