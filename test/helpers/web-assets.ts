/**
 * What a browser's first load of the web UI fetches: the page at `/` and every script and
 * stylesheet it references, with raw and gzip'd sizes. Shared by the in-process page test
 * and the compiled binary's.
 */
export interface Asset {
  path: string;
  status: number;
  type: string;
  bytes: number;
  gzip: number;
  text: string;
}

export async function firstLoad(base: string, path = "/"): Promise<{ html: string; assets: Asset[] }> {
  const res = await fetch(base + path);
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith("data:"));
  const assets: Asset[] = [];
  for (const ref of refs) {
    const r = await fetch(new URL(ref, base + path));
    const bytes = new Uint8Array(await r.arrayBuffer());
    assets.push({ path: ref, status: r.status, type: r.headers.get("content-type") ?? "", bytes: bytes.byteLength, gzip: Bun.gzipSync(bytes).byteLength, text: new TextDecoder().decode(bytes) });
  }
  return { html, assets };
}

/**
 * Calls in the development JSX form in a bundle: Bun's `jsxDEV(type, props, key, isStatic,
 * source, self)` passes `this` as its last argument (`…,void 0,!1,void 0,this)` once minified),
 * which the production `jsx(type, props, key)` never does. 0 for a production bundle.
 */
export function developmentJsxCalls(js: string): number {
  return js.match(/,void 0,!?[01],void 0,this\)/g)?.length ?? 0;
}

/** The budget for the first load: JavaScript and CSS, gzip'd. */
export const FIRST_LOAD_BUDGET = 200 * 1024;
