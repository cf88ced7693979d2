/**
 * `gambi health`: the container image's HEALTHCHECK and a script's way to wait for a hub.
 * Exit 0 and one line when the hub answers /health, 3 when nothing answers, 2 for a bad flag.
 */
import { afterEach, expect, test } from "bun:test";
import { killHubProcesses, spawnCli } from "../helpers/hub-process.ts";
import { startTestHub } from "../helpers/hub.ts";

afterEach(killHubProcesses);

test("a running hub: exit 0, its version, rooms and uptime; --json prints /health's body; GAMBI_HUB_URL is read", async () => {
  const hub = startTestHub();
  try {
    await hub.createRoom();
    const plain = spawnCli(["health", "--hub", hub.url]);
    expect(await plain.exited()).toBe(0);
    expect(plain.out.stdout).toMatch(new RegExp(`^ok: gambi hub \\S+ at ${hub.url}, up \\d+ s, 1 room\\n$`));
    const json = spawnCli(["health", "--json"], { GAMBI_HUB_URL: hub.url });
    expect(await json.exited()).toBe(0);
    expect(JSON.parse(json.out.stdout)).toMatchObject({ status: "ok", rooms: 1 });
  } finally {
    await hub.stop();
  }
});

test("nothing listening: exit 3 with the hub's address; a bad --timeout: exit 2", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${closed.port}`;
  closed.stop(true);
  const down = spawnCli(["health", "--hub", url, "--timeout", "2"]);
  expect(await down.exited()).toBe(3);
  expect(down.out.stdout + down.out.stderr).toContain(url);
  const bad = spawnCli(["health", "--hub", url, "--timeout", "soon"]);
  expect(await bad.exited()).toBe(2);
  expect(bad.out.stderr).toContain("--timeout must be a number of seconds");
});

test("a server that answers /health but is not a gambi hub (llama.cpp's {\"status\":\"ok\"}): exit 3, said so, never \"ok\"", async () => {
  // llama-server answers GET /health with exactly this body; a --hub pointed at its port is a
  // mistake the check must catch, not report as a healthy hub of version "undefined".
  const llama = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (new URL(req.url).pathname === "/health" ? Response.json({ status: "ok" }) : new Response("File Not Found", { status: 404 })) });
  try {
    const url = `http://127.0.0.1:${llama.port}`;
    for (const extra of [[], ["--json"]]) {
      const run = spawnCli(["health", "--hub", url, ...extra]);
      expect(await run.exited()).toBe(3);
      expect(run.out.stdout).toBe("");
      expect(run.out.stderr).toContain(`${url} is not a gambi hub`);
    }
  } finally {
    llama.stop(true);
  }
});
