/**
 * The TUI's controller against real hubs, driven key by key as a person would (no terminal:
 * the screens are tested apart). Creating a room with a defaults file, joining it through the
 * form, then the hub restarting: the room view reconnects and the TUI's participant re-joins
 * by itself. No state the view ever got holds the header value.
 */
import { afterEach, expect, test } from "bun:test";
import { createConsola } from "consola";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHubClient } from "../../src/client.ts";
import { startHub, type RunningHub } from "../../src/hub/index.ts";
import { createController, type Controller } from "../../src/tui/controller.ts";
import type { Key } from "../../src/tui/keys.ts";
import type { AppState } from "../../src/tui/state.ts";
import { chatCompletion, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { tempDir } from "../helpers/hub-process.ts";
import { chatThroughRoom } from "../helpers/hub.ts";

const SECRET = "sk-tui-controller-canary-91b2";
const quiet = () => createConsola({ level: -999 });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function press(c: Controller, ...keys: (Key | string)[]) {
  const named = new Set(["up", "down", "left", "right", "enter", "escape", "backspace", "tab"]);
  for (const k of keys) c.onKey(typeof k === "string" && !named.has(k) ? { char: k } : (k as Key));
}

async function until(c: Controller, check: (s: AppState) => boolean, what: string, timeoutMs = 10_000): Promise<AppState> {
  if (!(await waitFor(() => check(c.getState()), timeoutMs))) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(c.getState(), null, 1).slice(0, 3000)}`);
  return c.getState();
}

test("create a room with defaults, join it through the form, survive a hub restart, quit leaves", async () => {
  const dir = tempDir("tui-controller");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const upstream: FakeUpstream = startFakeUpstream({ models: ["tiny-model", "other-model"], requireHeader: { name: "authorization", value: `Bearer ${SECRET}` } });
  cleanups.push(() => upstream.stop());
  const dataDir = join(dir, "data");
  let hub: RunningHub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir, logger: quiet() } });
  cleanups.push(() => hub.stop());
  const defaultsFile = join(dir, "room.json");
  writeFileSync(defaultsFile, JSON.stringify({ instructions: "be brief", temperature: 0.2 }));

  const settingsFile = join(dir, "config.json");
  const controller = createController({ client: createHubClient(hub.url, { timeoutMs: 2000 }), env: { TEST_AUTH: SECRET }, settingsFile, pollMs: 100, sessionHeartbeatMs: 100 });
  const seen: string[] = [];
  controller.subscribe(() => seen.push(JSON.stringify(controller.getState())));
  let quitDone = false;
  controller.start(() => (quitDone = true));
  cleanups.push(() => controller.quit());
  await until(controller, (s) => s.hub.state === "up" && s.rooms !== undefined, "the rooms list");

  // Create: name, no password, a defaults file; the new room is selected.
  press(controller, "c", "team", "enter", "enter", defaultsFile, "enter", "enter");
  // The flash comes first and the refreshed list (with the new room selected) after it: wait for both.
  const created = await until(
    controller,
    (s) => s.screen === "rooms" && !!s.flash?.text.startsWith("created room") && !!s.rooms?.[s.selected] && s.flash.text.startsWith(`created room ${s.rooms[s.selected]!.code} `),
    "the room to be created and selected",
  );
  const code = created.rooms![created.selected]!.code;
  expect(created.flash!.text).toContain(`created room ${code} "team"`);
  expect(created.rooms![created.selected]!.defaults).toMatchObject({ instructions: "be brief", temperature: 0.2 });
  // Its delete credential is kept where `gambi rooms delete` looks, and nowhere in the view.
  const kept = JSON.parse(readFileSync(settingsFile, "utf8")).rooms as { hub: string; code: string; name: string; hostId: string }[];
  expect(kept).toEqual([{ hub: hub.url, code, name: "team", hostId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }]);
  expect(JSON.stringify(controller.getState())).not.toContain(kept[0]!.hostId);

  // A defaults file that is not a JSON object is refused in the form, which keeps what was typed.
  writeFileSync(join(dir, "bad.json"), "[1,2]");
  press(controller, "c", "second", "down", "down", join(dir, "bad.json"), "enter", "enter");
  const refused = await until(controller, (s) => !!s.create?.error, "the bad defaults file to be refused");
  expect(refused.create).toMatchObject({ name: "second", busy: false });
  expect(refused.create!.error).toContain("expected a JSON object");
  press(controller, "escape");

  // Join through the form: custom URL, Authorization → TEST_AUTH, save a profile, probe.
  press(controller, "j");
  expect(controller.getState().join).toMatchObject({ code, focus: "provider" });
  press(controller, "left", "down", upstream.url, "down", "down", "enter", "enter", "TEST_AUTH", "down", "down", "mine", "down", "enter");
  await until(controller, (s) => s.join?.phase === "model", "the probe");
  expect(controller.getState().join!.probed!.models).toEqual(["tiny-model", "other-model"]);
  // Two models, other-model first (the default), and a capacity of 3 typed in the details.
  press(controller, "other", " ", "backspace", "backspace", "backspace", "backspace", "backspace", " ", "enter", "down", "3", "down", "enter");
  const joined = await until(controller, (s) => s.screen === "room" && !!s.room?.participants.some((p) => p.id === s.session?.id && p.status === "online"), "the participant online in the room view");
  expect(joined.session).toMatchObject({ code, models: ["other-model", "tiny-model"], state: "joined" });
  expect(joined.room!.participants.find((p) => p.id === joined.session!.id)).toMatchObject({ model: "other-model, tiny-model", maxConcurrency: 3 });
  const registered = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as { participants: Record<string, unknown>[] };
  expect(registered.participants[0]).toMatchObject({ model: "other-model", models: ["other-model", "tiny-model"], maxConcurrency: 3, maxConcurrencySource: "declared" });
  const profile = JSON.parse(readFileSync(settingsFile, "utf8")).profiles.mine;
  expect(profile).toMatchObject({ model: "other-model", models: ["other-model", "tiny-model"], maxConcurrency: 3 });
  expect(profile.headers).toEqual([{ name: "Authorization", env: "TEST_AUTH" }]);

  // The hub restarts on the same port and data directory: the room is restored, the session
  // re-joins by itself, and the room view follows the new hub's events.
  const port = hub.port;
  await hub.stop();
  await until(controller, (s) => s.hub.state === "down" && s.session?.state === "hub-unreachable", "the hub to be seen down");
  hub = startHub({ port, host: "127.0.0.1", sweepIntervalMs: 0, deps: { dataDir, logger: quiet() } });
  const back = await until(controller, (s) => s.hub.state === "up" && s.session?.state === "joined" && !!s.room?.participants.some((p) => p.id === s.session?.id && p.status === "online"), "the re-join after the restart");
  expect(back.room!.code).toBe(code);
  upstream.handle(() => chatCompletion("other-model"));
  expect(await chatThroughRoom(hub.url, code)).toBe(200);
  await until(controller, (s) => !!s.room?.log.some((e) => e.text.startsWith("✓")), "the request in the activity log");

  // q leaves the room before the TUI exits.
  press(controller, "q");
  expect(await waitFor(() => quitDone, 5000)).toBe(true);
  const left = (await (await fetch(`${hub.url}/rooms/${code}/participants`)).json()) as { participants: unknown[] };
  expect(left.participants).toEqual([]);
  for (const s of seen) expect(s).not.toContain(SECRET);
});

test("join through the form with Transport ‹ tunnel ›: the hub gets no endpoint and no auth headers, never dials the endpoint, and the key stays here", async () => {
  const dir = tempDir("tui-tunnel");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const upstream = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: `Bearer ${SECRET}` } });
  cleanups.push(() => upstream.stop());
  upstream.handle(() => chatCompletion("m", "through the tunnel"));
  const dialled: string[] = [];
  const hub = startHub({
    port: 0,
    host: "127.0.0.1",
    sweepIntervalMs: 0,
    deps: { logger: quiet(), fetch: (url) => (dialled.push(url), Promise.reject(new Error("the hub dialled a participant"))) },
  });
  cleanups.push(() => hub.stop());
  const { room } = await createHubClient(hub.url).createRoom({ name: "r" });
  const settingsFile = join(dir, "config.json");
  const controller = createController({ client: createHubClient(hub.url), env: { TEST_AUTH: SECRET }, settingsFile, pollMs: 100, sessionHeartbeatMs: 100 });
  const seen: string[] = [];
  controller.subscribe(() => seen.push(JSON.stringify(controller.getState())));
  controller.start(() => {});
  cleanups.push(() => controller.quit());
  await until(controller, (s) => !!s.rooms?.length, "the rooms list");
  // Custom URL, Transport → tunnel, Authorization → TEST_AUTH, a profile, probe.
  press(controller, "j", "left", "down", upstream.url, "down", "right");
  expect(controller.getState().join).toMatchObject({ focus: "transport", tunnel: true });
  press(controller, "down", "enter", "enter", "TEST_AUTH", "down", "down", "lap", "down", "enter");
  await until(controller, (s) => s.join?.phase === "model", "the probe");
  press(controller, "enter", "down", "down", "enter");
  const joined = await until(controller, (s) => s.screen === "room" && !!s.room?.participants.some((p) => p.id === s.session?.id && p.status === "online"), "the participant online");
  expect(joined.flash?.text).toContain("through a tunnel");
  expect(joined.session).toMatchObject({ tunnel: true, state: "joined" });
  const listed = await (await fetch(`${hub.url}/rooms/${room.code}/participants`)).text();
  expect(JSON.parse(listed).participants[0]).toMatchObject({ transport: "tunnel", endpoint: null, hasAuth: false });
  expect(listed).not.toContain(SECRET);
  expect(listed).not.toContain(`:${upstream.port}`);
  // A request reaches the endpoint through the tunnel, with the key the joiner added.
  expect(await chatThroughRoom(hub.url, room.code)).toBe(200);
  const inference = upstream.inference();
  expect(inference.length).toBeGreaterThan(0);
  expect(inference.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
  expect(dialled).toEqual([]);
  // The profile keeps the transport, and the key only as its variable's name.
  const profile = JSON.parse(readFileSync(settingsFile, "utf8")).profiles.lap;
  expect(profile).toMatchObject({ tunnel: true, endpoint: upstream.url, headers: [{ name: "Authorization", env: "TEST_AUTH" }] });
  expect(readFileSync(settingsFile, "utf8")).not.toContain(SECRET);
  for (const s of seen) expect(s).not.toContain(SECRET);
});

test("join through the form with a model that embeds (tab): the hub routes embeddings to it, the profile keeps it, and loading the profile picks it again", async () => {
  const dir = tempDir("tui-embeddings");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const upstream = startFakeUpstream({ models: ["chat-model", "embed-model"], embeddings: true, responses: false });
  cleanups.push(() => upstream.stop());
  const vector = { object: "list", data: [{ object: "embedding", index: 0, embedding: [0.25, -0.5] }], model: "embed-model", usage: { prompt_tokens: 3, total_tokens: 3 } };
  upstream.handle((req, body) => (new URL(req.url).pathname.endsWith("/embeddings") ? Response.json(vector) : chatCompletion(JSON.parse(body).model)));
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  cleanups.push(() => hub.stop());
  const { room } = await createHubClient(hub.url).createRoom({ name: "rag" });
  const settingsFile = join(dir, "config.json");
  const controller = createController({ client: createHubClient(hub.url), env: {}, settingsFile, pollMs: 100, sessionHeartbeatMs: 100 });
  controller.start(() => {});
  cleanups.push(() => controller.quit());
  await until(controller, (s) => !!s.rooms?.length, "the rooms list");

  // Custom URL, a profile name, probe; the probe says the endpoint embeds.
  press(controller, "j", "left", "down", upstream.url, "down", "down", "down", "rag", "down", "enter");
  const probed = await until(controller, (s) => s.join?.phase === "model", "the probe");
  expect(probed.join!.probed).toMatchObject({ speaks: "Chat Completions + Embeddings", embeddings: true, models: ["chat-model", "embed-model"] });
  // space: chat-model for chat; ↓ tab: embed-model to embed; enter, enter (nickname), enter (capacity), join.
  press(controller, " ", "down", "tab", "enter", "down", "down", "enter");
  const joined = await until(controller, (s) => s.screen === "room" && !!s.room?.participants.some((p) => p.id === s.session?.id && p.status === "online"), "the participant online");
  expect(joined.session).toMatchObject({ models: ["chat-model"], embeddingModels: ["embed-model"] });
  const registered = (await (await fetch(`${hub.url}/rooms/${room.code}/participants`)).json()) as { participants: Record<string, unknown>[] };
  expect(registered.participants[0]).toMatchObject({ models: ["chat-model"], embeddingModels: ["embed-model"] });
  const embedded = await fetch(`${hub.url}/rooms/${room.code}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "embed-model", input: "hello" }) });
  expect(embedded.status).toBe(200);
  expect(((await embedded.json()) as typeof vector).data[0]!.embedding).toEqual([0.25, -0.5]);
  expect(upstream.inference().at(-1)).toMatchObject({ path: "/v1/embeddings" });
  const profile = JSON.parse(readFileSync(settingsFile, "utf8")).profiles.rag;
  expect(profile).toMatchObject({ endpoint: upstream.url, model: "chat-model", embeddingModels: ["embed-model"] });

  // Leave, then join again from the profile: both picks come back after the probe.
  press(controller, "l");
  await until(controller, (s) => s.session === undefined, "the participant to leave");
  press(controller, "j", "up", "up", "right");
  expect(controller.getState().join).toMatchObject({ profile: 0, models: ["chat-model"], embeddingModels: ["embed-model"] });
  press(controller, "down", "down", "down", "down", "down", "down", "down", "enter");
  await until(controller, (s) => s.join?.phase === "model", "the probe from the profile");
  expect(controller.getState().join).toMatchObject({ models: ["chat-model"], embeddingModels: ["embed-model"] });
});

test("a header whose variable is missing is marked next to its entry and nothing is probed", async () => {
  const upstream = startFakeUpstream({ models: ["m"] });
  cleanups.push(() => upstream.stop());
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  cleanups.push(() => hub.stop());
  const { room } = await createHubClient(hub.url).createRoom({ name: "r" });
  const controller = createController({ client: createHubClient(hub.url), env: {}, settingsFile: join(tempDir("tui-missing"), "config.json"), pollMs: 100 });
  controller.start(() => {});
  cleanups.push(() => controller.quit());
  await until(controller, (s) => !!s.rooms?.length, "the rooms list");
  press(controller, "j", "left", "down", upstream.url, "down", "down", "enter", "enter", "MISSING_AUTH", "down");
  expect(controller.getState().join!.headers).toEqual([{ name: "Authorization", env: "MISSING_AUTH", problem: "MISSING_AUTH is not set" }]);
  press(controller, "down", "down", "enter");
  // Still "form": a probe would have switched the phase to "probing" before any request.
  expect(controller.getState().join).toMatchObject({ phase: "form", code: room.code, error: "fix the marked auth header entries (Advanced options)" });
});

test("a hub found on the local network keeps its announced name on top through polls, up and down", async () => {
  const dir = tempDir("tui-found");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hub = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger: quiet() } });
  const controller = createController({ client: createHubClient(hub.url, { timeoutMs: 2000 }), foundAs: "kitchen", env: {}, settingsFile: join(dir, "config.json"), pollMs: 50 });
  cleanups.push(() => controller.quit());
  expect(controller.getState().hub).toMatchObject({ url: hub.url, foundAs: "kitchen", state: "checking" });
  controller.start(() => {});
  await until(controller, (s) => s.hub.state === "up", "the hub up");
  expect(controller.getState().hub.foundAs).toBe("kitchen");
  await hub.stop();
  await until(controller, (s) => s.hub.state === "down", "the hub down");
  expect(controller.getState().hub.foundAs).toBe("kitchen");
});
