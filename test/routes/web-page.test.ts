/**
 * The web UI as the hub serves it (no browser): `/` and `/r/CODE` answer the same page; every
 * asset it references comes from the hub itself (nothing from the internet: it works offline
 * on a LAN); the first load's JavaScript and CSS stay within 200 KB gzip'd (the figure is
 * printed); the hub's API routes are still the API's.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { developmentJsxCalls, FIRST_LOAD_BUDGET, firstLoad } from "../helpers/web-assets.ts";

let hub: TestHub;
beforeAll(() => {
  hub = startTestHub();
});
afterAll(() => hub.stop());

test("the page and its assets, all from the hub, within the first-load budget", async () => {
  const { html, assets } = await firstLoad(hub.url);
  expect(html).toContain('<div id="app">');
  expect(assets.some((a) => a.type.startsWith("text/javascript"))).toBe(true);
  expect(assets.some((a) => a.type.startsWith("text/css"))).toBe(true);
  for (const a of assets) {
    expect(a.path.startsWith("/"), `${a.path} is the hub's own`).toBe(true);
    expect(a.status).toBe(200);
  }
  // Nothing the page loads names another origin to fetch from (fonts, scripts, styles).
  expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  for (const a of assets.filter((x) => x.type.startsWith("text/css"))) expect(a.text).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//);
  expect(assets.filter((a) => a.type.startsWith("text/javascript")).every((a) => !/\bimport\s*\(\s*["']https?:/.test(a.text))).toBe(true);
  const gzip = assets.reduce((n, a) => n + a.gzip, 0);
  console.log(`web UI first load: ${assets.map((a) => `${a.path} ${a.bytes} B (${a.gzip} B gzip)`).join(", ")}; total ${(gzip / 1024).toFixed(1)} KB gzip'd of ${FIRST_LOAD_BUDGET / 1024} KB`);
  expect(gzip).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  // JSX in its production form (jsx, not jsxDEV with its source and `this`).
  const js = assets.filter((a) => a.type.startsWith("text/javascript")).map((a) => a.text).join("\n");
  expect(js.length).toBeGreaterThan(0);
  expect(developmentJsxCalls(js)).toBe(0);
});

test("a room's page is the same page; the API keeps its own routes", async () => {
  const root = await (await fetch(`${hub.url}/`)).text();
  const room = await fetch(`${hub.url}/r/K7QX2M`);
  expect(room.status).toBe(200);
  expect(room.headers.get("content-type")).toContain("text/html");
  expect(await room.text()).toBe(root);
  expect((await fetch(`${hub.url}/health`)).headers.get("content-type")).toContain("application/json");
  expect((await fetch(`${hub.url}/rooms`)).status).toBe(200);
  expect((await fetch(`${hub.url}/rooms/NOPE00`)).status).toBe(404);
});
