/**
 * Child process: the cheapest proxy Bun can be, as a floor for what any extra HTTP hop costs on
 * this machine. Same URL shape as the hub (`/rooms/:code/v1/...`), no routing, validation,
 * observation or error shaping: read the body, fetch the upstream, hand Bun the upstream's
 * body stream as the response (Bun pipes it natively, no JS per chunk).
 *
 * "hub / bare" in the report is therefore the hub's own cost; "bare / direct" is the hop's.
 */
import { processUsage, serveParent } from "./children.ts";

const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error("BENCH_UPSTREAM_URL is not set");

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname.replace(/^\/rooms\/[^/]+/, "");
    const res = await fetch(upstream + path, {
      method: req.method,
      headers: { "content-type": "application/json", accept: req.headers.get("accept") ?? "application/json", "accept-encoding": "identity" },
      body: await req.text(),
      signal: req.signal,
    });
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  },
});

serveParent({ url: `http://127.0.0.1:${server.port}` }, {
  usage: (arg) => processUsage(arg === true),
});
