/**
 * A participant's capacity (`maxConcurrency`) over real HTTP: declared in the join body
 * (checked: 1–1024), else what the join probe learns (llama.cpp's /props) or the default for
 * the kind of server (protocol/concurrency.ts); shown with its source in the public view and
 * `participant.joined`, never with a secret.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { readEvents } from "../helpers/events.ts";
import { probeEndpoint } from "../../src/proxy/probe.ts";
import { makeTarget } from "../../src/proxy/upstream.ts";

const SECRET = "Bearer sk-capacity-canary-5e21";
let hub: TestHub;
const upstreams: FakeUpstream[] = [];
const fake = (opts: Parameters<typeof startFakeUpstream>[0]) => {
  const u = startFakeUpstream(opts);
  upstreams.push(u);
  return u;
};
/** A llama-server's answers: owned_by "llamacpp", and its slots in /props. */
const llama = (slots?: number, extra: Parameters<typeof startFakeUpstream>[0] = {}) =>
  fake({ models: ["tiny"], ownedBy: "llamacpp", props: slots === undefined ? undefined : { total_slots: slots, model_alias: "tiny" }, ...extra });

beforeAll(() => {
  hub = startTestHub({ probeTimeoutMs: 2000 });
});
afterAll(async () => {
  await hub.stop();
  await Promise.all(upstreams.map((u) => u.stop()));
});

async function join(endpoint: string, extra: Record<string, unknown> = {}, model = "tiny") {
  const code = await hub.createRoom();
  const res = await hub.join(code, { nickname: "n", model, endpoint, ...extra });
  return { res, body: (await res.json()) as any, code };
}
const propsAsked = (u: FakeUpstream) => u.requests.filter((r) => r.path === "/props").length;

describe("declared", () => {
  test("a valid maxConcurrency is kept as declared, and the endpoint is asked nothing more", async () => {
    const u = llama(4);
    const { res, body, code } = await join(u.url, { maxConcurrency: 3 });
    expect(res.status).toBe(201);
    expect(body.participant).toMatchObject({ maxConcurrency: 3, maxConcurrencySource: "declared" });
    expect(hub.hub.ctx.registry.find(code)!.participants.get(body.participant.id)).toMatchObject({ maxConcurrency: 3, maxConcurrencySource: "declared" });
    expect(propsAsked(u)).toBe(0);
    for (const n of [1, 1024]) expect((await join(u.url, { maxConcurrency: n })).body.participant.maxConcurrency).toBe(n);
  });

  test.each([0, -1, 1025, 2.5, "4", "", null, true, [[4]]])("maxConcurrency %p → 400 in OpenAI's envelope, naming the field", async (value) => {
    const u = llama(4);
    const { res, body } = await join(u.url, { maxConcurrency: value });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_request", param: "maxConcurrency", type: "invalid_request_error" });
    expect(body.error.message).toContain("maxConcurrency");
    expect(u.requests).toHaveLength(0); // refused before any probe
  });

  test("a re-join under the same id takes the new value", async () => {
    const u = llama(4);
    const { body, code } = await join(u.url, { id: "cap-rejoin", maxConcurrency: 2 });
    const again = await hub.join(code, { id: "cap-rejoin", nickname: "n", model: "tiny", endpoint: u.url, maxConcurrency: 7 });
    expect(again.status).toBe(201);
    expect(hub.hub.ctx.registry.find(code)!.participants.get(body.participant.id)).toMatchObject({ maxConcurrency: 7, maxConcurrencySource: "declared" });
    const probed = await hub.join(code, { id: "cap-rejoin", nickname: "n", model: "tiny", endpoint: u.url });
    expect(((await probed.json()) as any).participant).toMatchObject({ maxConcurrency: 4, maxConcurrencySource: "probed" });
  });
});

describe("learned by the join probe", () => {
  test("llama.cpp: its slots from GET /props, asked once", async () => {
    const u = llama(6);
    const { res, body } = await join(u.url);
    expect(res.status).toBe(201);
    expect(body.participant).toMatchObject({ maxConcurrency: 6, maxConcurrencySource: "probed" });
    expect(propsAsked(u)).toBe(1);
    expect(u.requests.find((r) => r.path === "/props")!.method).toBe("GET");
    expect(hub.logs.some((l) => l.includes("maxConcurrency=6 (probed: llama.cpp's /props: 6 slots)"))).toBe(true);
  });

  test("llama.cpp with more slots than the hub takes: capped at 1024", async () => {
    const { body } = await join(llama(5000).url);
    expect(body.participant).toMatchObject({ maxConcurrency: 1024, maxConcurrencySource: "probed" });
  });

  test("llama.cpp whose /props cannot be read: 1, a default, and the join still succeeds", async () => {
    const u = llama(undefined);
    const { res, body } = await join(u.url);
    expect(res.status).toBe(201);
    expect(body.participant).toMatchObject({ maxConcurrency: 1, maxConcurrencySource: "default" });
    expect(propsAsked(u)).toBe(1);
  });

  test.each([
    ["vllm", 32],
    ["organization_owner", 4],
    ["library", 1],
    ["fake", 1],
  ] as const)("owned_by %p: the default %p, without asking /props", async (ownedBy, expected) => {
    const u = fake({ models: ["tiny"], ownedBy, props: { total_slots: 99 } });
    const { body } = await join(u.url);
    expect(body.participant).toMatchObject({ maxConcurrency: expected, maxConcurrencySource: "default" });
    expect(propsAsked(u)).toBe(0);
  });

  test("with auth headers: /props gets them like every probe, and no value shows anywhere", async () => {
    const u = llama(3, { requireHeader: { name: "authorization", value: SECRET } });
    const code = await hub.createRoom();
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    const res = await hub.join(code, { nickname: "keyed", model: "tiny", endpoint: u.url, authHeaders: { Authorization: SECRET } });
    const joinText = await res.text();
    expect(res.status).toBe(201);
    expect(JSON.parse(joinText).participant).toMatchObject({ maxConcurrency: 3, maxConcurrencySource: "probed", hasAuth: true });
    expect(u.requests.find((r) => r.path === "/props")!.headers.authorization).toBe(SECRET);
    const joined = await events.next("participant.joined");
    expect(joined.data.participant).toMatchObject({ maxConcurrency: 3, maxConcurrencySource: "probed" });
    const listed = await (await fetch(`${hub.url}/rooms/${code}/participants`)).text();
    const models = await (await fetch(`${hub.url}/rooms/${code}/v1/models`)).text();
    expect(JSON.parse(models).data[0].gambi.maxConcurrency).toBe(3);
    for (const text of [joinText, listed, models, JSON.stringify(events.all), JSON.stringify(joined), hub.logs.join("\n")]) expect(text).not.toContain("sk-capacity-canary");
    await events.close();
  });
});

describe("the probe on its own (no hub): which request it sends, and the hosted default", () => {
  /** A fetch that answers like a server of this kind and records each URL, with no network. */
  function fakeFetch(ownedBy: string) {
    const urls: string[] = [];
    const doFetch = async (url: string) => {
      urls.push(url);
      if (url.endsWith("/v1/models")) return Response.json({ object: "list", data: [{ id: "m", object: "model", owned_by: ownedBy }] });
      if (url.endsWith("/props")) return Response.json({ total_slots: 8 });
      return Response.json({ error: { message: "model is required" } }, { status: 400 });
    };
    return { urls, doFetch };
  }

  test("an https endpoint with an auth header is hosted: 16; the same without one: 1", async () => {
    for (const [headers, expected] of [[{ Authorization: SECRET }, 16], [{}, 1]] as const) {
      const { urls, doFetch } = fakeFetch("system");
      const probe = await probeEndpoint(makeTarget("https://api.provider.example", headers, "p"), { timeoutMs: 1000, fetch: doFetch, concurrency: true });
      expect(probe.concurrency).toMatchObject({ value: expected, source: "default" });
      expect(urls.some((u) => u.endsWith("/props"))).toBe(false);
    }
  });

  test("a hosted llama.cpp is a llama.cpp: its slots, from /props at the base URL (not under /v1)", async () => {
    const { urls, doFetch } = fakeFetch("llamacpp");
    const probe = await probeEndpoint(makeTarget("https://llama.example/prefix", { Authorization: SECRET }, "p"), { timeoutMs: 1000, fetch: doFetch, concurrency: true });
    expect(probe.concurrency).toMatchObject({ value: 8, source: "probed" });
    expect(urls.filter((u) => u.endsWith("/props"))).toEqual(["https://llama.example/prefix/props"]);
  });

  test("not asked (gambi join's own probe of old, the sweeper's re-probe): no /props, no guess", async () => {
    const { urls, doFetch } = fakeFetch("llamacpp");
    const probe = await probeEndpoint(makeTarget("http://127.0.0.1:1", {}, "p"), { timeoutMs: 1000, fetch: doFetch });
    expect(probe.concurrency).toBeUndefined();
    expect(urls.some((u) => u.endsWith("/props"))).toBe(false);
  });
});
