/** `gambi hub` as users run it: a spawned process on port 0, found by its listening line. */
import { afterEach, expect, test } from "bun:test";
import { waitFor } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnHub } from "../helpers/hub-process.ts";

afterEach(killHubProcesses);

/** `gambi hub ...` as a process, with a throwaway $XDG_DATA_HOME (see hub-process.ts). */
const hub = spawnHub;

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

test("hub with a bad --room-ttl is a usage error (exit 2) that says what it takes", async () => {
  const h = hub(["--port", "0", "--room-ttl", "a week"]);
  expect(await h.p.exited).toBe(2);
  await h.drained;
  expect(h.out.stdout + h.out.stderr).toContain('--room-ttl must be a number of days (0 keeps rooms forever), got "a week"');
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


test("hub --queue-size, --queue-timeout and --max-attempts reach every room; bad values are usage errors", async () => {
  const h = hub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", "--queue-size", "3", "--queue-timeout", "2.5", "--max-attempts", "1"]);
  const port = await h.port();
  const created = await fetch(`http://127.0.0.1:${port}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "pool" }) });
  const { room } = (await created.json()) as { room: { code: string } };
  const shown = (await (await fetch(`http://127.0.0.1:${port}/rooms/${room.code}`)).json()) as { room: { queue: unknown } };
  expect(shown.room.queue).toEqual({ waiting: 0, queueSize: 3, queueTimeoutMs: 2500 });
  h.p.kill("SIGTERM");
  expect(await h.p.exited).toBe(0);

  for (const [flag, value, says] of [
    ["--max-attempts", "0", "--max-attempts must be a whole number of at least 1"],
    ["--queue-size", "-1", "--queue-size must be a whole number of at least 0"],
    ["--queue-timeout", "soon", "--queue-timeout must be a number of seconds"],
  ]) {
    const bad = hub(["--port", "0", flag!, value!]);
    expect(await bad.p.exited).toBe(2);
    await bad.drained;
    expect(bad.out.stdout + bad.out.stderr).toContain(says!);
  }
});

test("hub --metrics-max-rooms N: the first N rooms seen keep their label in /metrics, later ones are other; a bad value is a usage error", async () => {
  const h = hub(["--port", "0", "--host", "127.0.0.1", "--ephemeral", "--metrics-max-rooms", "1"]);
  const port = await h.port();
  const base = `http://127.0.0.1:${port}`;
  const codes: string[] = [];
  for (const name of ["first", "second", "third"]) {
    const created = await fetch(`${base}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
    codes.push(((await created.json()) as { room: { code: string } }).room.code);
  }
  // A request to each (no participant serves the model: counted all the same, with no participant).
  for (const code of codes) {
    const res = await fetch(`${base}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "nobody", messages: [{ role: "user", content: "hi" }] }) });
    expect(res.status).toBe(404);
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const rooms = new Set([...metrics.matchAll(/^gambi_requests_total\{[^}]*room="([^"]*)"/gm)].map((m) => m[1]));
  expect([...rooms].sort()).toEqual([codes[0]!, "other"].sort());
  expect(metrics).toMatch(new RegExp(`^gambi_requests_total\\{[^}]*room="other"[^}]*\\} 2$`, "m"));
  h.p.kill("SIGTERM");
  expect(await h.p.exited).toBe(0);

  for (const value of ["-1", "many", "1.5"]) {
    const bad = hub(["--port", "0", "--metrics-max-rooms", value]);
    expect(await bad.p.exited).toBe(2);
    await bad.drained;
    expect(bad.out.stdout + bad.out.stderr).toContain("--metrics-max-rooms must be a whole number of at least 0");
  }
});
