/** `gambi hub` as users run it: a spawned process on port 0, found by its listening line. */
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { waitFor } from "../helpers/fake-upstream.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
const spawned: Bun.Subprocess[] = [];
// `gambi hub` keeps rooms under $XDG_DATA_HOME by default: a throwaway one, never the real home.
const dataHome = mkdtempSync(resolve(tmpdir(), "gambi-hub-cli-"));

afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
});
afterAll(() => rmSync(dataHome, { recursive: true, force: true }));

/** Spawns `gambi hub ...` and collects its stdout/stderr as they arrive. */
function hub(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([process.execPath, CLI, "hub", ...args], { env: { ...process.env, NO_COLOR: "1", XDG_DATA_HOME: dataHome, ...env }, stdout: "pipe", stderr: "pipe" });
  spawned.push(p);
  const out = { stdout: "", stderr: "" };
  const drain = async (stream: ReadableStream<Uint8Array>, key: keyof typeof out) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out[key] += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(p.stdout, "stdout"), drain(p.stderr, "stderr")]);
  return {
    p,
    out,
    drained,
    /** The port from "listening on HOST:PORT", once it is printed (10 s deadline). */
    async port(): Promise<number> {
      const found = await waitFor(() => /listening on \S+:\d+/.test(out.stdout) || p.exitCode !== null, 10_000);
      const m = out.stdout.match(/listening on \S+:(\d+)/);
      if (!found || !m) throw new Error(`no listening line; stdout: ${out.stdout} stderr: ${out.stderr}`);
      return Number(m[1]);
    },
  };
}

test("hub --port 0 prints the real port, URLs and the create hint; SIGINT exits 0", async () => {
  const h = hub(["--port", "0", "--host", "127.0.0.1"]);
  const port = await h.port();
  expect(port).toBeGreaterThan(0);
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", rooms: 0 });
  expect(await waitFor(() => h.out.stdout.includes("gambi create --hub"), 5_000)).toBe(true);
  expect(h.out.stdout).toContain(`http://127.0.0.1:${port}/rooms/<CODE>/v1`);

  h.p.kill("SIGINT");
  expect(await h.p.exited).toBe(0);
  await h.drained;
  expect(h.out.stderr).toBe("");
});

test("hub --quiet prints only the listening line and no per-room info; SIGTERM exits 0", async () => {
  const h = hub(["--port", "0", "--host", "127.0.0.1", "--quiet"]);
  const port = await h.port();
  const created = await fetch(`http://127.0.0.1:${port}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "quiet room" }) });
  expect(created.status).toBe(201);
  expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toMatchObject({ rooms: 1 });

  h.p.kill("SIGTERM");
  expect(await h.p.exited).toBe(0);
  await h.drained;
  expect(h.out.stdout.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`gambi hub \\S+ listening on 127\\.0\\.0\\.1:${port}$`))]);
  expect(h.out.stderr).toBe("");
});

test("hub with a bad --port is a usage error (exit 2)", async () => {
  const h = hub(["--port", "70000"]);
  expect(await h.p.exited).toBe(2);
  await h.drained;
  expect(h.out.stdout + h.out.stderr).toContain("--port must be a whole number");
});

test("hub on a port already taken exits 3 with the address in the message", async () => {
  const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
  try {
    const h = hub(["--port", String(taken.port), "--host", "127.0.0.1"]);
    expect(await h.p.exited).toBe(3);
    await h.drained;
    expect(h.out.stdout + h.out.stderr).toContain(`could not listen on 127.0.0.1:${taken.port}`);
  } finally {
    await taken.stop(true);
  }
});

test("hub --token (or $GAMBI_HUB_TOKEN) guards creating and listing rooms, and never prints the token", async () => {
  for (const [args, env] of [[["--token", "hub-secret-1"], {}], [[], { GAMBI_HUB_TOKEN: "hub-secret-1" }]] as const) {
    const h = hub(["--port", "0", "--host", "127.0.0.1", ...args], env);
    const port = await h.port();
    expect((await fetch(`http://127.0.0.1:${port}/rooms`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/rooms`, { headers: { authorization: "Bearer hub-secret-1" } })).status).toBe(200);
    expect(await waitFor(() => h.out.stdout.includes("--token <the hub token>"), 5_000)).toBe(true);
    h.p.kill("SIGTERM");
    expect(await h.p.exited).toBe(0);
    await h.drained;
    expect(h.out.stdout + h.out.stderr).not.toContain("hub-secret-1");
  }
});

