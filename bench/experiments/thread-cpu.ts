/**
 * Which threads of a proxy process spend its CPU time: the JavaScript thread, Bun's HTTP client
 * thread (every `fetch`), the garbage collector's helpers, and the rest. A sampling profile
 * (profile.ts) sees only the JavaScript thread, while `cpuUsage` (what proxy.ts divides by
 * requests) counts them all. Linux only (/proc/PID/task/TID/stat).
 *
 *   bun bench/experiments/thread-cpu.ts [--seconds S] [--rounds N] [--c C] [--variants floor,floor-reqsignal]
 *
 * Chat JSON at c=32 (as proxy.ts's requests/s row), the bare proxy and the hub (and
 * `--variants a,b`: servers of hop-variant-server.ts) one after the other, each on CPU 1 when
 * taskset is there (load generator and upstream on CPU 0), rounds alternating the order.
 * Prints µs of CPU per request, per thread name, medians of the rounds.
 */
import { setAffinity, spawnChild } from "../lib/children.ts";
import { jsonOnce, runFor } from "../lib/load.ts";
import { setupRoom } from "../lib/rooms.ts";
import { threadCpuByName } from "../lib/proc.ts";

const argv = Bun.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const seconds = flag("--seconds", 4);
const rounds = flag("--rounds", 3);
const concurrency = flag("--c", 32);

const threadTimes = threadCpuByName;

const diff = (after: Map<string, number>, before: Map<string, number>) => new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const variantsAt = argv.indexOf("--variants");
// Besides the bench's bare proxy and hub, servers of experiments/hop-variant-server.ts by name.
const variants = variantsAt >= 0 ? argv[variantsAt + 1]!.split(",") : [];
const pin = navigator.hardwareConcurrency >= 2 && Bun.which("taskset") !== null;
if (pin) setAffinity(process.pid, "0");
const here = `${import.meta.dir}/..`;
const upstream = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: pin ? "0" : undefined });
const env = { BENCH_UPSTREAM_URL: upstream.info.url };
const sides: Record<string, Awaited<ReturnType<typeof spawnChild<{ url: string; code?: string }>>>> = {
  bare: await spawnChild<{ url: string }>(`${here}/lib/bare-proxy.ts`, { cpus: pin ? "1" : undefined, env }),
  hub: await spawnChild<{ url: string }>(`${here}/lib/hub-server.ts`, { cpus: pin ? "1" : undefined, env }),
};
for (const v of variants) sides[v] = await spawnChild<{ url: string; code: string }>(`${import.meta.dir}/hop-variant-server.ts`, { cpus: pin ? "1" : undefined, env: { ...env, VARIANT: v } });
const room: Record<string, string> = { bare: "BARE", hub: await setupRoom(sides.hub!.info.url, upstream.info.url, "threads", "both") };
for (const v of variants) room[v] = sides[v]!.info.code ?? "ABC";
const names0 = Object.keys(sides);
const body = JSON.stringify({ model: "*", stream: false, messages: [{ role: "user", content: "Say hello." }] });
const perRequest: Record<string, Map<string, number[]>> = Object.fromEntries(names0.map((n) => [n, new Map()]));
try {
  for (const side of names0) await runFor(concurrency, 1500, () => jsonOnce({ url: `${sides[side]!.info.url}/rooms/${room[side]}/v1/chat/completions`, body }));
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? names0 : [...names0].reverse()) {
      const target = { url: `${sides[side]!.info.url}/rooms/${room[side]}/v1/chat/completions`, body };
      const before = threadTimes(sides[side]!.pid);
      const result = await runFor(concurrency, seconds * 1000, () => jsonOnce(target));
      const spent = diff(threadTimes(sides[side]!.pid), before);
      const n = result.samples.length;
      spent.set("(all)", [...spent.values()].reduce((a, b) => a + b, 0));
      for (const [name, us] of spent) {
        const list = perRequest[side]!.get(name) ?? [];
        list.push(us / n);
        perRequest[side]!.set(name, list);
      }
    }
  }
} finally {
  for (const side of Object.values(sides)) await side.stop();
  await upstream.stop();
}
const threads = [...new Set(names0.flatMap((n) => [...perRequest[n]!.keys()]))].sort();
console.log(`chat JSON c=${concurrency}, ${rounds} rounds of ${seconds} s, µs of CPU per request (median), by thread:`);
console.log(`| thread | ${names0.join(" | ")} |\n|---|${names0.map(() => "---:").join("|")}|`);
for (const name of threads) {
  const row = names0.map((n) => {
    const xs = perRequest[n]!.get(name);
    return xs ? median(xs) : 0;
  });
  if (row.every((x) => x < 0.05)) continue;
  console.log(`| ${name} | ${row.map((x) => x.toFixed(1)).join(" | ")} |`);
}
