/**
 * A real browser for the web UI's tests: Debian's Chromium (or $CHROMIUM_PATH), driven by
 * playwright-core, which downloads no browser of its own. Where none is installed,
 * `chromiumPath()` is undefined and the tests skip saying so (.ci/run installs it with apt).
 *
 * `recordResponses(page)` keeps the text of every response the page receives: documents,
 * scripts and styles through Playwright, and every `fetch` the page makes (streams included,
 * read as they arrive) through a tee installed before the page's own code runs, since a
 * never-ending SSE body has no end for Playwright to hand over. The canary checks read it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

export function chromiumPath(): string | undefined {
  const own = process.env.CHROMIUM_PATH;
  if (own) return existsSync(own) ? own : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export const SKIP_MESSAGE = "SKIP: the web UI's browser tests need Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)";

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** Screenshots of a run go here (gitignored): `artifacts/web/NAME.png`. */
export function artifactPath(name: string): string {
  const dir = resolve(import.meta.dir, "../../artifacts/web");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export interface RecordedResponse {
  method: string;
  url: string;
  text: string;
}

/**
 * Records every response the pages of `context` receive, across navigations: the Node side
 * gathers each fetch's chunks as the page reads them (an exposed function), and documents,
 * scripts and styles whole.
 */
export async function recordResponses(context: BrowserContext): Promise<() => Promise<RecordedResponse[]>> {
  const loads: Promise<RecordedResponse | undefined>[] = [];
  const fetched = new Map<string, RecordedResponse>();
  context.on("response", (res) => {
    const type = res.request().resourceType();
    if (type === "fetch" || type === "xhr" || type === "eventsource") return; // the tee has these
    loads.push(res.text().then((text) => ({ method: res.request().method(), url: res.url(), text }), () => undefined));
  });
  await context.exposeFunction("__gambiChunk", (id: string, method: string, url: string, text: string) => {
    const entry = fetched.get(id) ?? { method, url, text: "" };
    entry.text += text;
    fetched.set(id, entry);
  });
  // Plain JavaScript (it runs in the page, where this file's types are not): fetch, teed.
  await context.addInitScript({
    content: `(() => {
      const original = window.fetch.bind(window);
      let n = 0;
      window.fetch = async (input, init) => {
        const res = await original(input, init);
        const id = Math.random() + "-" + n++;
        const method = (init && init.method) || "GET";
        const url = new URL(input instanceof Request ? input.url : String(input), location.href).href;
        void window.__gambiChunk(id, method, url, "");
        const body = res.clone().body;
        if (body) {
          const reader = body.getReader();
          const decoder = new TextDecoder();
          (async () => {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return;
              void window.__gambiChunk(id, method, url, decoder.decode(value, { stream: true }));
            }
          })().catch(() => {});
        }
        return res;
      };
    })();`,
  });
  return async () => {
    const loaded = (await Promise.all(loads)).filter((r): r is RecordedResponse => r !== undefined);
    return [...loaded, ...fetched.values()];
  };
}
