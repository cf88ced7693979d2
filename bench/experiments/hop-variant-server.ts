/**
 * Child process for hop-cost.ts: one HTTP hop built a given way (VARIANT), in front of the
 * bench upstream. Each variant adds one thing the hub does to the bare proxy
 * (lib/bare-proxy.ts), so the runner can price it:
 * - `bare`: the bare proxy's handler;
 * - `elysia`: the same handler as an Elysia route (Elysia parses the JSON body);
 * - `elysia-onrequest`, `-parse`, `-derive`, `-schema` (combinable): the hub's global
 *   onRequest hook, its own JSON body parser, an async derive, a TypeBox body schema;
 * - `buffered`, `buffered-timer`, `buffered-timer-json`: the upstream body read whole (as the
 *   hub does for non-streaming answers) with its own AbortController and listener, a deadline
 *   timer, and a JSON parse of the answer.
 */
import { Elysia, t } from "elysia";
import { processUsage, serveParent } from "../lib/children.ts";
const upstream = process.env.BENCH_UPSTREAM_URL!;
const variant = process.env.VARIANT!;
async function bareFetch(req: Request, text?: string) {
  const path = new URL(req.url).pathname.replace(/^\/rooms\/[^/]+/, "");
  const res = await fetch(upstream + path, { method: req.method, headers: { "content-type": "application/json", accept: "application/json", "accept-encoding": "identity" }, body: text ?? (await req.text()), signal: req.signal });
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
}
async function bufferedFetch(req: Request) {
  const path = new URL(req.url).pathname.replace(/^\/rooms\/[^/]+/, "");
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  req.signal.addEventListener("abort", onAbort, { once: true });
  const timer = variant.includes("timer") ? setTimeout(() => ac.abort(), 100000) : undefined;
  const res = await fetch(upstream + path, { method: req.method, headers: { "content-type": "application/json", accept: "application/json", "accept-encoding": "identity" }, body: await req.text(), signal: ac.signal });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (timer) clearTimeout(timer);
  req.signal.removeEventListener("abort", onAbort);
  if (variant.includes("json")) JSON.parse(new TextDecoder().decode(bytes));
  return new Response(bytes, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json", "x-gambi-participant": "p", "x-gambi-request-id": "req_1234" } });
}
let port: number;
if (variant.startsWith("buffered")) {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => bufferedFetch(req) });
  port = s.port!;
} else if (variant === "bare") {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => bareFetch(req) });
  port = s.port!;
} else {
  let app: any = new Elysia();
  if (variant.includes("onrequest")) app = app.onRequest(({ request }: any) => { const d = request.headers.get("content-length"); if (d !== null && Number(d) > 1e9) return new Response("big", { status: 413 }); });
  if (variant.includes("parse")) app = app.onParse({ as: "global" }, async (ctx: any) => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(await ctx.request.arrayBuffer()))));
  if (variant.includes("derive")) app = app.derive(async ({ params }: any) => ({ room: params.code }));
  const schema = variant.includes("schema") ? { body: t.Object({ model: t.String(), messages: t.Array(t.Any()) }, { additionalProperties: true }) } : {};
  app = app.post("/rooms/:code/v1/chat/completions", async ({ request, body }: any) => bareFetch(request, JSON.stringify(body)), schema);
  app.listen({ port: 0, hostname: "127.0.0.1", idleTimeout: 0 });
  port = app.server.port;
}
serveParent({ url: `http://127.0.0.1:${port}` }, { usage: (arg) => processUsage(arg === true) });
