/**
 * What each layer of the hub's request path costs, measured apart from the hub: the bench
 * upstream on CPU 0, one server per VARIANT (hop-variant-server.ts) on CPU 1 (CPU 0 with
 * C1=1, where requests go one at a time, as proxy.ts places proxies at c=1), the same
 * non-streaming chat request through each, and the server's CPU time per request over three
 * measured rounds (after one warm-up round).
 *
 *   bun bench/experiments/hop-cost.ts bare elysia elysia-onrequest-parse-derive-schema buffered-timer-json
 *   C1=1 bun bench/experiments/hop-cost.ts ...
 *
 * Measured 2026-12-06 at C1=1 (µs of server CPU per request, three rounds): bare 64.6 64.2
 * 63.4; elysia 74.6 76.6 73.3; elysia-onrequest-parse-derive-schema 103.6 81.5 84.5;
 * buffered-timer-json 80.2 73.5 73.8 (the hub itself: 127, bench/README.md).
 *
 * Measured 2026-12-06 (later), pinned, quiet machine: at c=32, bare 39.0 36.5 40.0 and 38.2
 * 39.4 42.5; buffered-noac 39.9 41.2 38.1; buffered 46.4 44.5 43.9; floor 45.0 49.0 47.5; hub
 * 74.5 67.3 68.9 and 69.6 65.2 68.3. At C1=1: bare 64.3 63.6 61.4; floor 71.6 72.9 72.7; hub
 * 114.9 127.4 114.5. Reading the answer whole costs ~nothing over piping it; the request's own
 * AbortController and its listener on the client's signal ~5 µs; `floor` (everything a hub
 * must do) is 0.85 of bare at c=32.
 */
import { setAffinity, spawnChild, type Usage } from "../lib/children.ts";
import { jsonOnce, runCount, runFor } from "../lib/load.ts";
setAffinity(process.pid, "0");
const upstream = await spawnChild<{ url: string }>(`${import.meta.dir}/../lib/upstream-server.ts`, { cpus: "0" });
const names = process.argv.slice(2);
const servers: Record<string, any> = {};
for (const v of names) servers[v] = await spawnChild<{ url: string; code: string }>(`${import.meta.dir}/hop-variant-server.ts`, { cpus: process.env.C1 ? "0" : "1", env: { BENCH_UPSTREAM_URL: upstream.info.url, VARIANT: v } });
const body = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Say hi" }] });
const res: Record<string, number[]> = {};
for (let round = 0; round < 4; round++) for (const v of names) {
  const s = servers[v]; const url = `${s.info.url}/rooms/${s.info.code}/v1/chat/completions`;
  const before = (await s.call("usage")) as Usage;
  const r = process.env.C1 ? await runCount(1, 3000, () => jsonOnce({ url, body })) : await runFor(32, 1000, () => jsonOnce({ url, body }));
  const after = (await s.call("usage")) as Usage;
  if (round > 0) (res[v] ??= []).push((after.cpuUs - before.cpuUs) / r.samples.length);
}
for (const v of names) console.log(v.padEnd(32), res[v]!.map((x) => x.toFixed(1)).join(" "), "µs/req");
for (const s of Object.values(servers)) await s.stop();
await upstream.stop();
