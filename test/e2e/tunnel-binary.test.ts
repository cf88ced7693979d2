/**
 * The tunnel with the compiled binary (built here into a temp dir, as scripts/build-binary.ts
 * builds dist/gambi): `gambi hub` and `gambi join --tunnel` as separate processes, a fake
 * upstream whose key is only in the joiner's environment. A chat and a Responses request go
 * through; the key is in nothing the hub printed; Ctrl-C (SIGTERM) leaves the room.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { chatCompletion, sseResponse, startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";

const SECRET = "Bearer sk-tunnel-binary-canary-7a6b";
let dir: string;
let binary: string;

beforeAll(() => {
  dir = tempDir("tunnel-binary");
  const built = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../scripts/build-binary.ts"), "--outdir", join(dir, "bin")], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
  binary = join(dir, "bin", "gambi");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spawn(args: string[], env: Record<string, string>) {
  const { GAMBI_HUB_URL: _unused, ...rest } = process.env;
  const p = Bun.spawn([binary, ...args], { env: { ...rest, NO_COLOR: "1", XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data"), ...env }, stdout: "pipe", stderr: "pipe" });
  const out = { text: "" };
  const decoder = new TextDecoder();
  const drained = Promise.all(
    [p.stdout, p.stderr].map(async (s) => {
      for await (const chunk of s) out.text += decoder.decode(chunk, { stream: true });
    }),
  );
  return { p, out, drained };
}

test("compiled gambi: hub and join --tunnel in their own processes; the key never reaches the hub", async () => {
  const upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: SECRET } });
  upstream.handle((req, body) =>
    new URL(req.url).pathname.endsWith("/responses")
      ? sseResponse([`event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", sequence_number: 0, response: { id: "resp_b", object: "response", status: "completed", output: [] } })}\n\n`])
      : JSON.parse(body).stream
        ? sseResponse(['data: {"choices":[{"index":0,"delta":{"content":"through the tunnel"}}]}\n\n', "data: [DONE]\n\n"])
        : chatCompletion("m", "through the tunnel"),
  );
  const hub = spawn(["hub", "--port", "0", "--host", "127.0.0.1", "--ephemeral"], {});
  expect(await waitFor(() => /listening on \S+:\d+/.test(hub.out.text), 15_000)).toBe(true);
  const url = `http://127.0.0.1:${hub.out.text.match(/listening on \S+:(\d+)/)![1]}`;
  // It restarted itself with Bun's fetch limit raised (commands/_fetch-limit.ts): the same process, its arguments intact.
  if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined && existsSync(`/proc/${hub.p.pid}/environ`)) {
    expect(readFileSync(`/proc/${hub.p.pid}/environ`, "utf8").split("\0")).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=4096");
  }
  const code = ((await (await fetch(`${url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "binary" }) })).json()) as { room: { code: string } }).room.code;

  const joiner = spawn(["join", "--hub", url, "--code", code, "--endpoint", upstream.url, "--model", "m", "--nickname", "laptop", "--header-env", "Authorization=TUNNEL_KEY", "--tunnel", "--no-specs", "--no-interactive", "--save", "laptop"], {
    TUNNEL_KEY: SECRET,
  });
  const participants = async () => ((await (await fetch(`${url}/rooms/${code}/participants`)).json()) as { participants: { status: string; transport: string; endpoint: unknown }[] }).participants;
  let online = false;
  for (const deadline = performance.now() + 15_000; !online && performance.now() < deadline; await Bun.sleep(50)) online = (await participants()).some((p) => p.status === "online");
  expect(online).toBe(true);
  // The joiner too: a tunnel's requests are its own fetches.
  if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined && existsSync(`/proc/${joiner.p.pid}/environ`)) {
    expect(readFileSync(`/proc/${joiner.p.pid}/environ`, "utf8").split("\0")).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=4096");
  }
  expect((await participants())[0]).toMatchObject({ transport: "tunnel", endpoint: null });

  const chat = await fetch(`${url}/rooms/${code}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }) });
  expect(chat.status).toBe(200);
  expect(await chat.text()).toContain("through the tunnel");
  const responses = await fetch(`${url}/rooms/${code}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", input: "hi" }) });
  expect(responses.status).toBe(200);

  joiner.p.kill("SIGTERM");
  expect(await joiner.p.exited).toBe(0);
  await joiner.drained;
  expect(joiner.out.text).toContain(`joined room ${code}`);
  // --save keeps the choice of transport (and the key only as its variable's name).
  const saved = await Bun.file(join(dir, "config", "gambi", "config.json")).text();
  expect(JSON.parse(saved).profiles.laptop).toMatchObject({ tunnel: true, headers: [{ name: "Authorization", env: "TUNNEL_KEY" }] });
  expect(saved).not.toContain(SECRET.slice(7));
  expect((await participants()).length).toBe(0);
  hub.p.kill("SIGTERM");
  await hub.p.exited;
  await hub.drained;
  expect(hub.out.text).toContain("transport=tunnel");
  expect(hub.out.text).not.toContain(SECRET.slice(7));
  expect(hub.out.text).not.toContain(`:${upstream.port}`);
  expect(upstream.requests.every((r) => r.headers.authorization === SECRET)).toBe(true);
  await upstream.stop();
});

test("compiled gambi join: when the hub cannot reach the endpoint, the error proposes --tunnel", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  const hub = spawn(["hub", "--port", "0", "--host", "127.0.0.1", "--ephemeral"], {});
  expect(await waitFor(() => /listening on \S+:\d+/.test(hub.out.text), 15_000)).toBe(true);
  const url = `http://127.0.0.1:${hub.out.text.match(/listening on \S+:(\d+)/)![1]}`;
  const code = ((await (await fetch(`${url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "unreachable" }) })).json()) as { room: { code: string } }).room.code;
  // The joiner reaches its endpoint; the address it gives the hub leads nowhere.
  const joiner = spawn(["join", "--hub", url, "--code", code, "--endpoint", upstream.url, "--network-endpoint", "http://127.0.0.1:9", "--model", "m", "--no-specs", "--no-interactive"], {});
  expect(await joiner.p.exited).toBe(3);
  await joiner.drained;
  expect(joiner.out.text).toContain("could not reach endpoint");
  expect(joiner.out.text).toContain("--tunnel");
  hub.p.kill("SIGTERM");
  await hub.p.exited;
  await upstream.stop();
});
