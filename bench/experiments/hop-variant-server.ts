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
 *   timer, and a JSON parse of the answer; `-noac` leaves the controller out (the client's
 *   signal goes to fetch as the bare proxy does), `-bytes` reads with `Response.bytes()`;
 * - `floor`: the least any hub can do and keep the hub's promises (below);
 * - `hub`: the real hub (`startHub`), with a room and the upstream joined as in the bench.
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
  const ac = variant.includes("noac") ? undefined : new AbortController();
  const onAbort = () => ac!.abort();
  if (ac) req.signal.addEventListener("abort", onAbort, { once: true });
  const timer = variant.includes("timer") ? setTimeout(() => ac?.abort(), 100000) : undefined;
  const res = await fetch(upstream + path, { method: req.method, headers: { "content-type": "application/json", accept: "application/json", "accept-encoding": "identity" }, body: await req.text(), signal: ac ? ac.signal : req.signal, ...(variant === "floor-redirect" ? { redirect: "manual" as const } : {}) });
  const bytes = variant.includes("bytes") ? await res.bytes() : new Uint8Array(await res.arrayBuffer());
  if (timer) clearTimeout(timer);
  if (ac) req.signal.removeEventListener("abort", onAbort);
  if (variant.includes("json")) JSON.parse(new TextDecoder().decode(bytes));
  return new Response(bytes, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json", "x-gambi-participant": "p", "x-gambi-request-id": "req_1234" } });
}
/**
 * `floor`: the least a hub can do and keep its promises, written out in one function: the body
 * parsed (to read `model`) and written back, its own AbortController fed by the client's signal
 * (so a deadline can cut the upstream), one deadline timer, the answer read whole and searched
 * for a key (a participant's auth header must never reach a client), two headers of its own.
 */
const KEY = Buffer.from("sk-bench-not-a-real-key-0123456789");
async function floorFetch(req: Request & { params?: { code: string } }) {
  const body = JSON.parse(await req.text()) as { model: string };
  body.model = "bench-model";
  // `floor-reqsignal`: the client's own signal to fetch, no controller of the hub's (no deadline could cut it).
  const own = variant !== "floor-reqsignal";
  const ac = own ? new AbortController() : undefined;
  const onAbort = () => ac?.abort();
  if (own) req.signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(onAbort, 100000);
  const res = await fetch(upstream + "/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", accept: "application/json", "accept-encoding": "identity", authorization: "Bearer sk-bench-not-a-real-key-0123456789" }, body: JSON.stringify(body), signal: ac ? ac.signal : req.signal, ...(variant === "floor-redirect" ? { redirect: "manual" as const } : {}) });
  // `floor-bodyget`: the response's `body` getter touched first, as a null check would.
  if (variant === "floor-bodyget" && !res.body) throw new Error("no body");
  const bytes = await res.bytes();
  clearTimeout(timer);
  if (own) req.signal.removeEventListener("abort", onAbort);
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(KEY) !== -1) throw new Error("key in answer");
  return new Response(bytes, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json", "x-gambi-participant": "p", "x-gambi-request-id": "req_1234" } });
}
let port: number;
let roomCode = "ABC";
if (variant.startsWith("floor")) {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, routes: { "/rooms/:code/v1/chat/completions": { POST: (req) => floorFetch(req) } } });
  port = s.port!;
} else if (variant === "hub") {
  const { startHub } = await import("../../src/hub/index.ts");
  const { createConsola } = await import("consola");
  const { setupRoom } = await import("../lib/rooms.ts");
  const running = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: createConsola({ level: 1 }) } });
  const code = await setupRoom(running.url, upstream, "hop", "both");
  port = Number(new URL(running.url).port);
  roomCode = code;
} else if (variant.startsWith("buffered")) {
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
serveParent({ url: `http://127.0.0.1:${port}`, code: roomCode }, { usage: (arg) => processUsage(arg === true) });
