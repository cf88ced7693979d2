/**
 * Bun lets a process have 256 fetches in flight unless BUN_CONFIG_MAX_HTTP_REQUESTS says
 * otherwise when it starts. `gambi hub` started without it restarts itself with 4,096
 * (commands/_fetch-limit.ts): here a hub spawned as users start it, with no such variable, holds
 * 300 requests to one direct participant at once, all of them open at the participant. At Bun's
 * default 256 would reach it and the rest would wait inside the hub's `fetch`.
 *
 * The client side is raw sockets: this test process itself has Bun's default limit.
 */
import { afterAll, afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { sameCommand } from "../../src/commands/_fetch-limit.ts";
import { waitFor } from "../helpers/fake-upstream.ts";
import { killHubProcesses, spawnHub } from "../helpers/hub-process.ts";

const MANY = 300;
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  killHubProcesses();
});

// Holds the test's chat requests open until released (the join's probes are answered at once); counts the ones open at once.
let open = 0;
let release: () => void = () => undefined;
let released = new Promise<void>((r) => (release = r));
const upstream = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    if (new URL(req.url).pathname === "/v1/models") return Response.json({ object: "list", data: [{ id: "m", object: "model" }] });
    if (req.method !== "POST") return new Response("not found", { status: 404 });
    const held = (await req.text()).includes("hold me");
    if (held) {
      open++;
      await released;
      open--;
    }
    return Response.json({ id: "c", object: "chat.completion", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] });
  },
});
afterAll(() => upstream.stop(true));

function rawPost(port: number, path: string, body: string): Socket {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => undefined);
  s.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  sockets.push(s);
  return s;
}

test("the command it restarts as: a compiled gambi's own arguments; from source, bun's flags and the script too", () => {
  expect(sameCommand({ execPath: "/usr/local/bin/gambi", argv: ["bun", "/$bunfs/root/gambi", "hub", "--port", "0"], execArgv: [], compiled: true })).toEqual(["/usr/local/bin/gambi", "hub", "--port", "0"]);
  expect(sameCommand({ execPath: "/x/bun", argv: ["/x/bun", "/repo/src/cli.ts", "hub", "--host", "0.0.0.0"], execArgv: ["--smol"], compiled: false })).toEqual(["/x/bun", "--smol", "/repo/src/cli.ts", "hub", "--host", "0.0.0.0"]);
});

test(`gambi hub started without BUN_CONFIG_MAX_HTTP_REQUESTS holds ${MANY} requests to one direct participant at once`, async () => {
  delete process.env.BUN_CONFIG_MAX_HTTP_REQUESTS;
  const hub = spawnHub(["--port", "0", "--host", "127.0.0.1", "--ephemeral"]);
  const port = await hub.port();
  const url = `http://127.0.0.1:${port}`;
  // Restarted in place: the same process, now with the variable.
  if (existsSync(`/proc/${hub.p.pid}/environ`)) expect(readFileSync(`/proc/${hub.p.pid}/environ`, "utf8").split("\0")).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=4096");
  const code = ((await (await fetch(`${url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "many" }) })).json()) as { room: { code: string } }).room.code;
  const joined = await fetch(`${url}/rooms/${code}/join`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: "big", nickname: "big", model: "m", endpoint: `http://127.0.0.1:${upstream.port}`, maxConcurrency: 1024 }),
  });
  expect({ status: joined.status, body: await joined.text() }).toMatchObject({ status: 201 });

  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hold me" }] });
  const answers: string[] = [];
  for (let i = 0; i < MANY; i++) rawPost(port, `/rooms/${code}/v1/chat/completions`, body).on("data", (d) => answers.push(String(d)));
  const allOpen = await waitFor(() => open === MANY, 20_000);
  expect({ allOpen, open }).toEqual({ allOpen: true, open: MANY });
  release();
  released = new Promise<void>((r) => (release = r));
  expect(await waitFor(() => answers.filter((a) => a.startsWith("HTTP/1.1 200")).length === MANY, 20_000)).toBe(true);
  expect(hub.out.stderr).toBe("");
}, 60_000);
