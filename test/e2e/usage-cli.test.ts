/**
 * The ledger where people read it: `gambi usage CODE` (a table, `--json`, `--csv`; a protected
 * room's `--password`, a wrong one exit 4, a bad code exit 2) against a real hub, and the TUI's
 * `u` key, which shows the room's ledger in place of its activity and reads it again on polls.
 */
import { afterEach, expect, test } from "bun:test";
import { createHubClient } from "../../src/client.ts";
import { createController } from "../../src/tui/controller.ts";
import { killHubProcesses, spawnCli, tempDir } from "../helpers/hub-process.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, waitFor } from "../helpers/fake-upstream.ts";
import { join } from "node:path";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await killHubProcesses();
});

const PASSWORD = "usage-cli-password";
const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

async function roomWithTraffic(password?: string): Promise<{ hub: TestHub; code: string }> {
  const hub = startTestHub();
  const upstream = startFakeUpstream({ models: ["llama3"] });
  cleanups.push(() => hub.stop(), () => upstream.stop());
  upstream.handle(() =>
    sseResponse([
      chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama3", choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] }),
      chunk({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama3", choices: [], usage: { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 } }),
      "data: [DONE]\n\n",
    ]),
  );
  const code = await hub.createRoom(password ? { name: "u", password } : { name: "u" });
  expect((await hub.join(code, { id: "alice-1", nickname: "alice", model: "llama3", endpoint: upstream.url, ...(password ? { password } : {}) })).status).toBe(201);
  const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] }, { authorization: `Bearer ${password ?? "sk-some-caller"}` });
  await res.text();
  return { hub, code };
}

test("gambi usage: a table, --json, --csv; bad input is a usage error", async () => {
  const { hub, code } = await roomWithTraffic();
  const table = spawnCli(["usage", code, "--hub", hub.url]);
  expect(await table.exited()).toBe(0);
  expect(table.out.stdout).toContain(`usage of room ${code} since `);
  expect(table.out.stdout).toMatch(/alice \(alice-1\)\s+llama3\s+1\s+0\s+1,234\s+56\s/);
  expect(table.out.stdout).toMatch(/caller-[0-9a-f]{8}\s+llama3\s+1\s+0\s+1,234\s+56/);
  expect(table.out.stdout).toContain("total: 1 requests, 0 errors, 1,234 tokens in, 56 tokens out");

  const json = spawnCli(["usage", code.toLowerCase(), "--json", "--hub", hub.url]);
  expect(await json.exited()).toBe(0);
  expect(JSON.parse(json.out.stdout)).toMatchObject({ room: code, totals: { requests: 1, inputTokens: 1234, outputTokens: 56 } });

  const csv = spawnCli(["usage", code, "--csv", "--hub", hub.url]);
  expect(await csv.exited()).toBe(0);
  expect(csv.out.stdout.split("\r\n")[0]).toStartWith("kind,id,nickname,model,requests");
  expect(csv.out.stdout).toContain("participant,alice-1,alice,llama3,1,0,1234,56,0,0,");

  const bad = spawnCli(["usage", "not-a-code", "--hub", hub.url]);
  expect(await bad.exited()).toBe(2);
  const both = spawnCli(["usage", code, "--json", "--csv", "--hub", hub.url]);
  expect(await both.exited()).toBe(2);
  const missing = spawnCli(["usage", "ZZZZ99", "--hub", hub.url]);
  expect(await missing.exited()).not.toBe(0);
});

test("gambi usage on a protected room: --password; none or a wrong one is refused with the flag to use", async () => {
  const { hub, code } = await roomWithTraffic(PASSWORD);
  const none = spawnCli(["usage", code, "--hub", hub.url, "--no-interactive"]);
  expect(await none.exited()).toBe(4);
  expect(none.out.stderr).toContain("--password");
  const wrong = spawnCli(["usage", code, "--hub", hub.url, "--password", "nope"]);
  expect(await wrong.exited()).toBe(4);
  const right = spawnCli(["usage", code, "--hub", hub.url, "--password", PASSWORD, "--json"]);
  expect(await right.exited()).toBe(0);
  expect(JSON.parse(right.out.stdout).totals.requests).toBe(1);
  expect(right.out.stdout + right.out.stderr).not.toContain(PASSWORD);
});

test("the TUI: u shows the room's ledger (read with the room's password), u again the activity", async () => {
  const { hub, code } = await roomWithTraffic(PASSWORD);
  const dir = tempDir("usage-tui");
  const controller = createController({ client: createHubClient(hub.url, { timeoutMs: 2000 }), env: {}, settingsFile: join(dir, "config.json"), pollMs: 100 });
  controller.start(() => undefined);
  cleanups.push(() => controller.quit());
  expect(await waitFor(() => (controller.getState().rooms?.length ?? 0) > 0, 5000)).toBe(true);
  controller.onKey("enter");
  expect(controller.getState().screen).toBe("password");
  controller.onKey({ char: PASSWORD });
  controller.onKey("enter");
  expect(controller.getState().screen).toBe("room");
  controller.onKey({ char: "u" });
  expect(await waitFor(() => controller.getState().room?.usage !== undefined, 5000)).toBe(true);
  const room = controller.getState().room!;
  expect(room.showUsage).toBe(true);
  expect(room.usage!.room).toBe(code);
  expect(room.usage!.participants[0]).toMatchObject({ nickname: "alice", inputTokens: 1234, outputTokens: 56 });
  controller.onKey({ char: "u" });
  expect(controller.getState().room?.showUsage).toBe(false);
});
