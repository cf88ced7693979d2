/**
 * The web UI's accessibility, checked by axe-core (test/helpers/axe.ts) in a real browser
 * (Debian's Chromium through playwright-core) against a real hub in this process and a fake
 * upstream on port 0. Each state of the page is audited four times, light and dark (the
 * system's preference, `emulateMedia`) at a desktop's width and a phone's (390×844), and must
 * have no violation of WCAG 2.2 A/AA or axe's best practices: the hub page empty and with
 * rooms, a protected room's password prompt (after a wrong password), a room with a
 * participant, its activity and ledger, the playground after an answer streamed in, and the
 * Connect section with another client's snippet chosen and copied. No rule is turned off.
 * What axe does not see is checked by hand: a focus ring on every keyboard stop, the form
 * fields' edges, the chart labels' size on a phone, the answer announced once it is done.
 * Screenshots at the phone's width, light and dark, go to artifacts/web/a11y-*.png
 * (gitignored). One browser for the file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { axeViolations, describeViolations } from "../helpers/axe.ts";
import { artifactPath, chromiumPath, launchBrowser, SKIP_MESSAGE } from "../helpers/browser.ts";
import { chatCompletion, sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { chatThroughRoom, startTestHub, type TestHub } from "../helpers/hub.ts";

const MODEL = "a11y-model";
const PASSWORD = "a11y-room-pw";
const present = chromiumPath() !== undefined;
if (!present) console.warn(SKIP_MESSAGE);

const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const SCHEMES = ["light", "dark"] as const;

describe.skipIf(!present)("web UI accessibility (axe-core in Chromium)", () => {
  let hub: TestHub;
  let upstream: FakeUpstream;
  let browser: Browser;
  let page: Page;
  let code = "";

  beforeAll(async () => {
    hub = startTestHub();
    upstream = startFakeUpstream({ models: [MODEL] });
    upstream.handle((_req, body) => {
      if (!JSON.parse(body).stream) return chatCompletion(MODEL, "a plain answer");
      return sseResponse([
        'data: {"choices":[{"index":0,"delta":{"content":"An answer"}}]}\n\n',
        'data: {"choices":[{"index":0,"delta":{"content":" that streamed in"}}]}\n\n',
        'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}\n\n',
        "data: [DONE]\n\n",
      ]);
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: VIEWPORTS.desktop });
  });

  afterAll(async () => {
    await browser?.close();
    await upstream?.stop();
    await hub?.stop();
  });

  /**
   * Audits the page as it is in light and dark, at both widths, and saves the phone's
   * screenshots as `a11y-NAME-phone-SCHEME.png`. Fails with every violation found, by variant.
   */
  async function audit(name: string): Promise<void> {
    const found: string[] = [];
    for (const [width, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      for (const colorScheme of SCHEMES) {
        await page.emulateMedia({ colorScheme });
        // The theme really switched (the page follows the system's choice by default).
        expect(await page.evaluate<string>("getComputedStyle(document.documentElement).colorScheme")).toBe(colorScheme);
        if (width === "phone") {
          expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
          await page.screenshot({ path: artifactPath(`a11y-${name}-phone-${colorScheme}.png`), fullPage: true });
        }
        const violations = await axeViolations(page);
        if (violations.length > 0) found.push(`[${name}, ${width}, ${colorScheme}]\n${describeViolations(violations)}`);
      }
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.emulateMedia({ colorScheme: "light" });
    expect(found.join("\n")).toBe("");
  }

  test("the audit finds what is there: an image without alt text is a violation", async () => {
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><h1>t</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>');
    const violations = await axeViolations(page);
    expect(violations.map((v) => v.rule)).toContain("image-alt");
  });

  test("the hub page, no rooms yet", async () => {
    await page.goto(`${hub.url}/`);
    await page.getByText("No rooms yet").waitFor();
    await page.getByTestId("hub-version").waitFor();
    await audit("hub-empty");
  }, 60_000);

  test("the hub page with rooms, open and protected", async () => {
    code = await hub.createRoom({ name: "a11y lab" });
    await hub.createRoom({ name: "locked lab", password: PASSWORD });
    await page.reload();
    await page.getByRole("link", { name: code }).waitFor();
    await audit("hub-rooms");
  }, 60_000);

  test("a protected room's password prompt, after a wrong password", async () => {
    const res = await hub.post("/rooms", { name: "prompted", password: PASSWORD });
    const locked = ((await res.json()) as { room: { code: string } }).room.code;
    await page.goto(`${hub.url}/r/${locked}`);
    await page.getByLabel("Room password").fill("not-it");
    await page.getByRole("button", { name: "Open room" }).click();
    await page.getByRole("alert").getByText(/Wrong password/).waitFor();
    await audit("room-password");
  }, 60_000);

  test("a room with a participant, its activity and its ledger", async () => {
    const joined = await hub.join(code, { nickname: "a11y-laptop", model: MODEL, endpoint: upstream.url, maxConcurrency: 4 });
    expect(joined.status).toBe(201);
    await page.goto(`${hub.url}/r/${code}`);
    await page.getByTestId("participants").getByText("a11y-laptop").waitFor();
    // Enough requests that the activity log scrolls: a scrolling box must take the keyboard's focus.
    for (let i = 0; i < 12; i++) expect(await chatThroughRoom(hub.url, code)).toBe(200);
    await page.getByTestId("activity").getByText(/✓ a11y-laptop/).first().waitFor();
    await page.waitForFunction(`(el => el && el.scrollHeight > el.clientHeight)(document.querySelector('[data-testid="activity"]'))`, undefined, { timeout: 5_000 });
    await page.getByTestId("usage-participants").getByText("a11y-laptop").waitFor();
    await audit("room");
    // The charts are drawn at their box's width: on a phone their labels keep their size (12px),
    // not a desktop drawing's shrunk to about half.
    await page.setViewportSize(VIEWPORTS.phone);
    await page.waitForFunction(`[...document.querySelectorAll("figure.chart text.axis")].every((t) => t.getBoundingClientRect().height >= 12)`, undefined, { timeout: 5_000 });
    await page.setViewportSize(VIEWPORTS.desktop);
  }, 60_000);

  test("the playground after an answer streamed in", async () => {
    // Turns enough that the transcript scrolls on a phone.
    for (let turn = 1; turn <= 4; turn++) {
      await page.getByLabel("Message").fill(`hello room, turn ${turn}`);
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByTestId("answer-meta").nth(turn - 1).getByText(/answered by a11y-laptop/).waitFor();
    }
    await expect(page.getByTestId("answer").allTextContents()).resolves.toEqual(Array(4).fill("An answer that streamed in"));
    // Announced once, whole, when the answer is done (not piece by piece as it streams in).
    await expect(page.getByTestId("answer-status").textContent()).resolves.toBe("Answer from a11y-laptop: An answer that streamed in");
    await audit("playground");
  }, 60_000);

  test("Connect: another client's snippet, copied", async () => {
    await page.getByRole("button", { name: "Claude Code", exact: true }).click();
    await page.getByRole("button", { name: "Copy Claude Code" }).click();
    // The outcome is said, not only shown on the button.
    await page.getByRole("status").getByText(/^(Copied|Select and copy by hand)$/).waitFor();
    await audit("connect");
  }, 60_000);

  // axe does not see focus: Tab through the whole room page, as a keyboard user would, and every
  // stop must show a ring of 2px or more that stands out 3:1 from what is behind it (WCAG 1.4.11).
  test("every keyboard stop on the room page shows where the focus is, light and dark", async () => {
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      const stops = await tabStops(page);
      const names = stops.map((s) => s.name);
      // The boxes that scroll are stops too, by name; so are the controls.
      for (const name of ["Participants table", "Usage: who gave", "Usage: who used", "Room events, newest first", "Conversation", "Claude Code snippet", "Message", "Send to", "Theme: auto. Switch theme"]) expect(names).toContain(name);
      expect(names.some((n) => /^Cop(y|ied) Claude Code$/.test(n))).toBe(true);
      const weak = stops.filter((s) => s.outlineStyle === "none" || s.outlineWidth < 2 || contrast(s.outlineColor, s.behind) < 3);
      expect(weak.map((s) => `${s.name}: ${s.outlineStyle} ${s.outlineWidth}px ${s.outlineColor} on ${s.behind} (${contrast(s.outlineColor, s.behind).toFixed(2)}:1)`)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }, 60_000);

  // Nor does axe see a field's edge: a text field or a list box is found by its border, which
  // must stand out 3:1 from the card it sits on (WCAG 1.4.11), in both themes.
  test("form fields' borders stand out from the card, light and dark", async () => {
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      const edges = await page.evaluate<{ field: string; border: string; behind: string }[]>(`[...document.querySelectorAll("select, textarea, input:not([type=radio]):not([type=checkbox])")].map((el) => ({
        field: el.id, border: getComputedStyle(el).borderTopColor, behind: getComputedStyle(el.closest(".card")).backgroundColor,
      }))`);
      expect(edges.map((e) => e.field).sort()).toEqual(["pg-input", "pg-target"]);
      for (const e of edges) expect(contrast(e.border, e.behind), `${e.field} in ${colorScheme}`).toBeGreaterThanOrEqual(3);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }, 60_000);
});

interface Stop {
  name: string;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  /** The first opaque background behind the element (its ring is drawn outside it). */
  behind: string;
}

/**
 * The focused element as a keyboard user sees it: a name to know it by, its ring, what is behind
 * the ring; "again" once focus comes back to an element already seen (the page's own WeakSet).
 */
const FOCUS_PROBE = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (window.__stops.has(el)) return "again";
  window.__stops.add(el);
  const labelled = el.labels && el.labels[0] ? el.labels[0].textContent : null;
  const name = (el.getAttribute("aria-label") || labelled || el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60);
  let behind = "rgb(255, 255, 255)";
  for (let e = el.parentElement; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(bg)) { behind = bg; break; }
  }
  const cs = getComputedStyle(el);
  return { name, outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth), outlineColor: cs.outlineColor, behind };
})()`;

/** Every element Tab reaches from the top of the page, in order, until focus comes round again. */
async function tabStops(page: Page): Promise<Stop[]> {
  // Tab goes on from where focus last was: start it from a mark put before everything else.
  await page.evaluate(`(() => {
    window.__stops = new WeakSet();
    const mark = document.createElement("span");
    mark.id = "a11y-start";
    mark.tabIndex = -1;
    document.body.prepend(mark);
    mark.focus();
  })()`);
  const stops: Stop[] = [];
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press("Tab");
    if (i === 0) await page.evaluate(`document.getElementById("a11y-start").remove()`);
    const stop = await page.evaluate<Stop | "again" | null>(FOCUS_PROBE);
    if (stop === "again" || (stop === null && stops.length > 0)) break;
    if (stop) stops.push(stop);
  }
  return stops;
}

/** WCAG's contrast ratio of two CSS rgb()/rgba() colours (alpha ignored: the page's are opaque). */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map((v) => Number(v) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
