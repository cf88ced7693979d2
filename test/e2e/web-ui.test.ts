/**
 * The web UI in a real browser (Debian's Chromium through playwright-core), against a real hub
 * in this process and a fake upstream on port 0: the hub page, a room created from it (by
 * keyboard), a participant joined by the test appearing live, a streamed answer from the
 * playground (Chat Completions, then two Responses turns chained by previous_response_id), the
 * activity log, the ledger (or its "not available" note while the hub has no /usage), a
 * protected room's password prompt, a hub token's prompt, a phone's width and the dark theme.
 * Every response the page received is checked for the canaries: the provider key in the
 * participant's auth headers, the room password, participant tokens and hostIds.
 * Screenshots go to artifacts/web/ (gitignored). One browser for the file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { artifactPath, chromiumPath, launchBrowser, recordResponses, SKIP_MESSAGE, type RecordedResponse } from "../helpers/browser.ts";
import { controlledStream, sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";

const PROVIDER_KEY = "sk-web-canary-provider-5f1e9a";
const ROOM_PASSWORD = "web-canary-room-pw-8c2d";
const MODEL = "canary-model";
const present = chromiumPath() !== undefined;
if (!present) console.warn(SKIP_MESSAGE);

describe.skipIf(!present)("web UI in Chromium", () => {
  let hub: TestHub;
  let upstream: FakeUpstream;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let responses: () => Promise<RecordedResponse[]>;
  /** Secrets the page must never receive. */
  const canaries: string[] = [PROVIDER_KEY, ROOM_PASSWORD];
  let openCode = "";
  let chat = controlledStream();

  beforeAll(async () => {
    hub = startTestHub();
    upstream = startFakeUpstream({ models: [MODEL], requireHeader: { name: "authorization", value: `Bearer ${PROVIDER_KEY}` } });
    let responsesTurn = 0;
    upstream.handle((req) => {
      if (new URL(req.url).pathname.endsWith("/chat/completions")) return chat.response();
      const id = `resp_web_${++responsesTurn}`;
      const response = { id, object: "response", status: "completed", model: MODEL, output: [] as unknown[] };
      const ev = (type: string, extra: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
      return sseResponse([
        ev("response.created", { sequence_number: 0, response: { ...response, status: "in_progress" } }),
        ev("response.output_text.delta", { sequence_number: 1, item_id: "msg_1", output_index: 0, content_index: 0, delta: `responses turn ${responsesTurn}` }),
        ev("response.completed", { sequence_number: 2, response: { ...response, usage: { input_tokens: 4, output_tokens: 3, total_tokens: 7 } } }),
      ]);
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    responses = await recordResponses(context);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await upstream?.stop();
    await hub?.stop();
  });

  const join = async (code: string, nickname: string, password?: string) => {
    const res = await hub.join(code, { nickname, model: MODEL, endpoint: upstream.url, authHeaders: { authorization: `Bearer ${PROVIDER_KEY}` }, maxConcurrency: 4, ...(password ? { password } : {}) });
    expect(res.status).toBe(201);
    canaries.push(...hub.tokens.values());
  };

  test("the hub page: status, version, and a room created by keyboard", async () => {
    await page.goto(`${hub.url}/`);
    await expect(page.getByTestId("hub-health").textContent()).resolves.toContain("ok");
    await page.getByTestId("hub-version").waitFor();
    await page.getByText("No rooms yet").waitFor();
    await page.screenshot({ path: artifactPath("hub.png"), fullPage: true });
    // Keyboard only: Tab to the name field, type, Tab on to the button, Enter.
    for (let i = 0; i < 15 && (await page.evaluate<string | undefined>("document.activeElement?.id")) !== "room-name"; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("room-name");
    await page.keyboard.type("web lab");
    await page.keyboard.press("Tab"); // the password field: left empty
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/r\/[A-Z0-9]+$/);
    openCode = new URL(page.url()).pathname.split("/").at(-1)!;
    await page.getByRole("heading", { name: /web lab/ }).waitFor();
    await page.getByText("events: live").waitFor();
    // The empty room's speed charts (an axis from 0 to 1): the ticks say where their lines are,
    // not a rounded "1" twice.
    const charts = await page.locator("figure.chart").all();
    expect(charts).toHaveLength(2);
    for (const chart of charts) expect((await chart.locator("text.axis").allTextContents()).slice(0, 3)).toEqual(["0", "0.5", "1"]);
  }, 30_000);

  test("a participant joined by the test appears live; the playground streams an answer", async () => {
    await join(openCode, "canary-laptop");
    const table = page.getByTestId("participants");
    await table.getByText("canary-laptop").waitFor();
    await expect(table.textContent()).resolves.toContain(MODEL);
    await page.getByText(/canary-laptop joined/).waitFor();

    await page.getByLabel("Message").fill("hello room");
    await page.getByRole("button", { name: "Send" }).click();
    await waitFor(() => upstream.inference().length === 1);
    // The first chunk shows before the stream ends: it streams in.
    chat.send('data: {"choices":[{"index":0,"delta":{"content":"Hello"}}]}\n\n');
    await page.getByTestId("answer").getByText("Hello", { exact: true }).waitFor();
    expect(await page.getByTestId("answer-meta").count()).toBe(0);
    chat.send('data: {"choices":[{"index":0,"delta":{"content":" from the room"}}]}\n\n');
    chat.send('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n');
    chat.send("data: [DONE]\n\n");
    chat.end();
    await page.getByTestId("answer").getByText("Hello from the room").waitFor();
    const meta = page.getByTestId("answer-meta");
    await meta.waitFor();
    await expect(meta.textContent()).resolves.toMatch(/answered by canary-laptop · TTFT \d+ ms · [\d.]+ tok\/s/);
    // The room's events: the request and its completion in the log, the counters in the table.
    const log = page.getByTestId("activity");
    await log.getByText(/✓ canary-laptop · TTFT/).waitFor();
    // The totals come from the ledger, fetched again shortly after the room's events report a request.
    await page.waitForFunction(`document.querySelector('[data-testid="totals"]')?.textContent?.includes("Requests1")`, undefined, { timeout: 5_000 });
  }, 30_000);

  test("Responses turns chain with previous_response_id", async () => {
    await page.getByLabel("Responses").check();
    for (const turn of [1, 2]) {
      await page.getByLabel("Message").fill(`turn ${turn}`);
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByTestId("answer").getByText(`responses turn ${turn}`).waitFor();
    }
    const bodies = upstream.inference().filter((r) => r.path.endsWith("/responses")).map((r) => JSON.parse(r.body));
    expect(bodies).toHaveLength(2);
    // The first Responses turn has no response to continue from: the chat turn before it goes along.
    expect(bodies[0].previous_response_id).toBeUndefined();
    expect(bodies[0].input).toEqual([
      { role: "user", content: "hello room" },
      { role: "assistant", content: "Hello from the room" },
      { role: "user", content: "turn 1" },
    ]);
    expect(bodies[1].previous_response_id).toBe("resp_web_1");
    expect(bodies[1].input).toBe("turn 2");
    // Sent to a participant chosen by name: the conversation goes whole, so that it answers
    // (a previous_response_id would bring the turn back to whoever holds it), and knows what was said.
    const participantId = [...hub.tokens.keys()].find((k) => k.startsWith(`${openCode}/`))!.split("/")[1]!;
    await page.getByLabel("Send to").selectOption(participantId);
    await page.getByLabel("Message").fill("turn 3");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("answer").getByText("responses turn 3").waitFor();
    const third = JSON.parse(upstream.inference().filter((r) => r.path.endsWith("/responses")).at(-1)!.body);
    expect(third.previous_response_id).toBeUndefined();
    expect(third.input.map((m: { content: string }) => m.content)).toEqual(["hello room", "Hello from the room", "turn 1", "responses turn 1", "turn 2", "responses turn 2", "turn 3"]);
    await page.getByLabel("Send to").selectOption("*");
  }, 30_000);

  test("the ledger: what the participant served, with the upstream's own token counts", async () => {
    const usage = await fetch(`${hub.url}/rooms/${openCode}/usage`);
    expect(usage.status).toBe(200);
    const section = page.getByTestId("usage");
    await section.getByTestId("usage-participants").getByText("canary-laptop").waitFor();
    // Callers' errors have a column (requests no participant took are counted there too).
    expect(await section.getByTestId("usage-callers").locator("thead th").allTextContents()).toEqual(["Caller", "Model", "Requests", "Errors", "Tokens in", "Tokens out"]);
    await page.screenshot({ path: artifactPath("room.png"), fullPage: true });
  }, 30_000);

  test("Connect: snippets carry this room's base URL and model; Anthropic's clients get it without /v1", async () => {
    const base = `${hub.url}/rooms/${openCode}/v1`;
    const anthropicBase = `${hub.url}/rooms/${openCode}`;
    await expect(page.getByTestId("base-url").textContent()).resolves.toBe(base);
    await expect(page.getByTestId("anthropic-base-url").textContent()).resolves.toBe(anthropicBase);
    for (const name of ["curl", "Python (openai)", "JavaScript (openai)", "Vercel AI SDK", "LangChain (Python)", "Codex CLI (~/.codex/config.toml)", "Contribute a model (gambi join)"]) {
      await page.getByRole("button", { name, exact: true }).click();
      const text = (await page.getByTestId("snippet").textContent()) ?? "";
      expect(text).toContain(name.startsWith("Contribute") ? `--code ${openCode}` : base);
      if (!name.startsWith("Contribute")) expect(text).toContain(MODEL);
    }
    const anthropic: Record<string, string> = {
      "Python (anthropic)": `base_url="${anthropicBase}"`,
      "JavaScript (anthropic)": `baseURL: "${anthropicBase}"`,
      "Claude Code": `export ANTHROPIC_BASE_URL=${anthropicBase}\n`,
    };
    for (const [name, url] of Object.entries(anthropic)) {
      await page.getByRole("button", { name, exact: true }).click();
      const text = (await page.getByTestId("snippet").textContent()) ?? "";
      expect(text).toContain(url);
      expect(text).not.toContain(base);
      expect(text).toContain(MODEL);
    }
    expect((await page.getByTestId("snippet").textContent()) ?? "").toContain(`export ANTHROPIC_MODEL='${MODEL}'`);
  }, 30_000);

  test("a phone's width and the dark theme", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId("participants").getByText("canary-laptop").waitFor();
    expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await page.screenshot({ path: artifactPath("room-phone.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    const [r, g, b] = bg.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).toBeLessThan(120);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: artifactPath("room-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
  }, 30_000);

  test("a protected room asks for its password and keeps it in session storage only", async () => {
    const res = await hub.post("/rooms", { name: "locked", password: ROOM_PASSWORD });
    const { room, hostId } = (await res.json()) as { room: { code: string }; hostId: string };
    canaries.push(hostId);
    await join(room.code, "locked-laptop", ROOM_PASSWORD);
    await page.goto(`${hub.url}/r/${room.code}`);
    const field = page.getByLabel("Room password");
    await field.fill("not-the-password");
    await page.getByRole("button", { name: "Open room" }).click();
    await page.getByRole("alert").getByText(/Wrong password/).waitFor();
    await page.screenshot({ path: artifactPath("room-password.png"), fullPage: true });
    await page.getByLabel("Room password").fill(ROOM_PASSWORD);
    await page.getByRole("button", { name: "Open room" }).click();
    await page.getByTestId("participants").getByText("locked-laptop").waitFor();
    // Kept for this tab: a reload opens the room without asking.
    await page.reload();
    await page.getByTestId("participants").getByText("locked-laptop").waitFor();
    expect(await page.getByLabel("Room password").count()).toBe(0);
    const stored = await page.evaluate<{ session: string; local: string; cookie: string }>("({ session: JSON.stringify({ ...sessionStorage }), local: JSON.stringify({ ...localStorage }), cookie: document.cookie })");
    expect(stored.session).toContain(ROOM_PASSWORD);
    expect(stored.local).not.toContain(ROOM_PASSWORD);
    expect(stored.cookie).toBe("");
    // Its snippets name the variable, never the password.
    await expect(page.getByTestId("snippet").textContent()).resolves.toContain("GAMBI_ROOM_PASSWORD");
  }, 30_000);

  test("a hub with a token asks for it before listing rooms", async () => {
    const locked = startTestHub({ token: "web-canary-hub-token" });
    try {
      const tab = await context.newPage();
      await tab.goto(`${locked.url}/`);
      await tab.getByLabel("Hub token").fill("web-canary-hub-token");
      await tab.getByRole("button", { name: "Continue" }).click();
      await tab.getByText("No rooms yet").waitFor();
      await tab.close();
    } finally {
      await locked.stop();
    }
  }, 30_000);

  test("no secret in anything the page received", async () => {
    const all = await responses();
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((r) => r.url.endsWith("/events") && r.text.includes("llm.complete"))).toBe(true);
    // The one exception: the room the page created itself came back with its hostId, its
    // creator's credential (POST /rooms answers only that). It must not show up anywhere else.
    const created = all.find((r) => r.method === "POST" && new URL(r.url).pathname === "/rooms");
    const pageHostId = (JSON.parse(created!.text) as { hostId: string }).hostId;
    for (const r of all) {
      for (const secret of canaries) expect(r.text.includes(secret), `${secret} in ${r.method} ${r.url}`).toBe(false);
      if (r !== created) expect(r.text.includes(pageHostId), `the page's hostId in ${r.method} ${r.url}`).toBe(false);
    }
  }, 30_000);
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await Bun.sleep(10);
  }
}
