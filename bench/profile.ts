/**
 * Where the hub's time goes on one workload: the upstream and the hub as in proxy.ts (hub alone
 * on CPU 1 when pinning is possible), the hub under Bun's sampling profiler, one workload for a
 * few seconds, then the profile as markdown (`--cpu-prof-md`: self time per function, and
 * callers). Not a figure of merit: proxy.ts measures; this says what to look at.
 *
 *   bun bench/profile.ts [chat-json|chat-json-c1|responses-json|chat-burst|responses-burst|chat-stream|chat-ttft|messages-via-chat-burst|responses-via-messages-burst] [--bare] [--seconds S] [--out DIR]
 *
 * `messages-via-chat-burst` is an adapted workload: Anthropic Messages requests to a room whose
 * only participant speaks chat (the upstream's `/chat-only/burst` path), as proxy.ts's
 * "Messages ← chat … burst" row; `responses-via-messages-burst` the other way round, Responses
 * requests to a room whose only participant speaks Anthropic's Messages API (`/messages-only/burst`);
 * the others go to a participant that speaks both OpenAI protocols.
 *
 * The `-c1` and `ttft` workloads send one request at a time, with the hub on the load
 * generator's CPU (as proxy.ts does at c=1); the others keep 32 (JSON) or 64 (streams) in flight.
 *
 * `--bare` profiles the bare proxy (lib/bare-proxy.ts) instead, for the floor's own breakdown.
 * `--tunnel` sends the workload to the upstream joined through a tunnel (lib/joiner.ts, the code
 * of `gambi join --tunnel`, on the upstream's CPU) and profiles the hub; `--joiner` does the
 * same and profiles the joiner instead.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setAffinity, spawnChild } from "./lib/children.ts";
import { jsonOnce, runCount, runFor, streamOnce, type Sample, type Target } from "./lib/load.ts";
import { setupRoom } from "./lib/rooms.ts";
import { messagesBody } from "./lib/scenarios.ts";

const WORKLOADS = ["chat-json", "chat-json-c1", "responses-json", "chat-burst", "responses-burst", "chat-stream", "chat-ttft", "messages-via-chat-burst", "responses-via-messages-burst"] as const;
type Workload = (typeof WORKLOADS)[number];

function args(argv: string[]) {
  let workload: Workload = "chat-json";
  let seconds = 5;
  let out = resolve("bench-profile");
  let bare = false;
  let tunnel: "hub" | "joiner" | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--seconds") seconds = Number(argv[++i]);
    else if (a === "--out") out = resolve(argv[++i]!);
    else if (a === "--bare") bare = true;
    else if (a === "--tunnel") tunnel ??= "hub";
    else if (a === "--joiner") tunnel = "joiner";
    else if ((WORKLOADS as readonly string[]).includes(a)) workload = a as Workload;
    else throw new Error(`usage: bun bench/profile.ts [${WORKLOADS.join("|")}] [--bare | --tunnel | --joiner] [--seconds S] [--out DIR]`);
  }
  return { workload, seconds, out, bare, tunnel };
}

function once(workload: Workload, base: string): () => Promise<Sample> {
  const chat = (stream: boolean, write = "event"): Target => ({
    url: `${base}/chat/completions`,
    body: JSON.stringify({ model: "*", stream, messages: [{ role: "user", content: "Say hello." }], ...(stream ? { stream_options: { include_usage: true }, bench_write: write } : {}) }),
  });
  const responses: Target = { url: `${base}/responses`, body: JSON.stringify({ model: "*", stream: false, input: "Say hello.", store: false }) };
  switch (workload) {
    case "chat-json":
    case "chat-json-c1":
      return () => jsonOnce(chat(false));
    case "responses-json":
      return () => jsonOnce(responses);
    case "chat-burst":
      return () => streamOnce(chat(true, "burst"));
    case "responses-burst":
      return () => streamOnce({ url: `${base}/responses`, body: JSON.stringify({ model: "*", stream: true, input: "Say hello.", store: false, bench_write: "burst" }) });
    case "chat-stream":
    case "chat-ttft":
      return () => streamOnce(chat(true));
    case "messages-via-chat-burst":
      return () => streamOnce({ url: `${base}/messages`, body: messagesBody(true) });
    case "responses-via-messages-burst":
      return () => streamOnce({ url: `${base}/responses`, body: JSON.stringify({ model: "*", stream: true, input: "Say hello.", store: false }) });
  }
}

async function main(): Promise<void> {
  const { workload, seconds, out, bare, tunnel } = args(Bun.argv.slice(2));
  mkdirSync(out, { recursive: true });
  const pin = navigator.hardwareConcurrency >= 2 && Bun.which("taskset") !== null;
  if (pin) setAffinity(process.pid, "0");
  const here = import.meta.dir;
  const upstream = await spawnChild<{ url: string }>(`${here}/lib/upstream-server.ts`, { cpus: pin ? "0" : undefined });
  const serial = workload === "chat-ttft" || workload === "chat-json-c1";
  const cpus = pin ? (serial ? "0" : "1") : undefined;
  const profiled = ["--cpu-prof-md", "--cpu-prof-dir", out, "--cpu-prof-interval", "100"];
  const hub = await spawnChild<{ url: string }>(`${here}/lib/${bare ? "bare-proxy" : "hub-server"}.ts`, {
    cpus,
    env: { BENCH_UPSTREAM_URL: upstream.info.url },
    bunArgs: tunnel === "joiner" ? [] : profiled,
  });
  // The joiner with the upstream, as on a participant's machine: not preempting the hub on its CPU, which would show as the hub's time.
  const joiner = tunnel ? await spawnChild<unknown>(`${here}/lib/joiner.ts`, { cpus: pin ? "0" : undefined, env: { BENCH_UPSTREAM_URL: upstream.info.url }, bunArgs: tunnel === "joiner" ? profiled : [] }) : undefined;
  try {
    let room = "BARE";
    if (joiner) {
      const created = await fetch(`${hub.info.url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "profile tunnel" }) });
      room = ((await created.json()) as { room: { code: string } }).room.code;
      await joiner.call("join", { hub: hub.info.url, code: room });
    } else if (workload === "messages-via-chat-burst") room = await setupRoom(hub.info.url, `${upstream.info.url}/chat-only/burst`, "profile chat-only", "chat");
    else if (workload === "responses-via-messages-burst") room = await setupRoom(hub.info.url, `${upstream.info.url}/messages-only/burst`, "profile messages-only", "messages");
    else if (!bare) room = await setupRoom(hub.info.url, upstream.info.url, "profile", "both");
    const run = once(workload, `${hub.info.url}/rooms/${room}/v1`);
    // Warm up (JIT), then the measured stretch.
    await runFor(serial ? 1 : 32, 1000, run);
    const t0 = performance.now();
    const result = serial ? await runCount(1, Math.round(seconds * 2000), run) : await runFor(workload.includes("json") ? 32 : 64, seconds * 1000, run);
    const ms = performance.now() - t0;
    console.log(`${workload}: ${result.samples.length} requests in ${(ms / 1000).toFixed(1)} s (${Math.round((result.samples.length * 1000) / ms)}/s)`);
  } finally {
    await joiner?.stop();
    await hub.stop();
    await upstream.stop();
  }
  const md = readdirSync(out).filter((f) => f.endsWith(".md")).sort().at(-1);
  if (md) {
    console.log(`profile: ${join(out, md)}`);
    console.log(readFileSync(join(out, md), "utf8").split("\n").slice(0, 60).join("\n"));
  }
}

await main();
