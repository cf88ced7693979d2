/**
 * A pooling room under real clients: the official `openai` package streaming through a room
 * with more requests than it has slots and a flaky participant, with not one error; and the
 * secrets canary for the pool's paths (failover, cooldowns, unhealthy marking, the queue's
 * answers, a waiting stream's comments and error events): the participant's key, the room's
 * password, a caller's own token and the hub's fairness key for it never reach a response, an
 * event or a log line.
 */
import { afterAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { readEvents } from "../helpers/events.ts";
import { fairnessKey } from "../../src/hub/access/caller.ts";

const stops: (() => unknown)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;
const CHAT = fixture("chat/openai-text-usage.sse");
const RESPONSES = fixture("responses/openai-text.sse");
const decoded = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const chatText = decoded(CHAT.bytes)
  .split("\n")
  .filter((l) => l.startsWith("data: {"))
  .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
  .join("");
const responsesText = decoded(RESPONSES.bytes)
  .split("\n")
  .filter((l) => l.startsWith("data: {"))
  .map((l) => JSON.parse(l.slice(6)))
  .filter((d) => d.type === "response.output_text.delta")
  .map((d) => d.delta)
  .join("");

describe("the openai package through a saturated room", () => {
  test("more concurrent streams than slots, one participant failing half its requests: every stream completes, zero errors", async () => {
    const hub = startTestHub();
    stops.push(() => hub.stop());
    /** A participant that takes a while to answer, as a model does; `flaky` fails some requests before its first byte. */
    const participant = (flaky: boolean) => {
      const u = startFakeUpstream({ models: ["m"] });
      stops.push(() => u.stop());
      let n = 0;
      u.handle(async (req) => {
        const k = n++;
        await Bun.sleep(250);
        const responses = new URL(req.url).pathname.endsWith("/responses");
        if (flaky && k % 2 === 0) {
          if (k % 4 === 0) return Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 503 });
          return sseResponse([
            responses
              ? 'event: error\ndata: {"type":"error","sequence_number":0,"code":"crashed","message":"the model crashed","param":null}\n\n'
              : 'data: {"error":{"message":"the model crashed","type":"server_error","code":"crashed"}}\n\n',
          ]);
        }
        const f = responses ? RESPONSES : CHAT;
        return sseResponse(splitEvents(f.bytes));
      });
      return u;
    };
    const code = await hub.createRoom();
    for (const [i, flaky] of [true, false, false].entries()) {
      expect((await hub.join(code, { id: `p${i}`, nickname: flaky ? "flaky" : `steady${i}`, model: "m", endpoint: participant(flaky).url })).status).toBe(201);
    }
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    stops.push(() => events.close());

    const clients = ["alice", "bob", "carol"].map((name) => new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: `key-of-${name}`, maxRetries: 0 }));
    const errors: unknown[] = [];
    const texts = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const client = clients[i % 3]!;
        try {
          if (i % 4 === 3) {
            const stream = await client.responses.create({ model: "*", input: `q${i}`, stream: true, store: false });
            let text = "";
            for await (const ev of stream) if (ev.type === "response.output_text.delta") text += ev.delta;
            return text === responsesText;
          }
          const stream = await client.chat.completions.create({ model: "*", stream: true, messages: [{ role: "user", content: `q${i}` }] });
          let text = "";
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
          return text === chatText;
        } catch (err) {
          errors.push(err);
          return false;
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(texts.every(Boolean)).toBe(true);
    // It was saturated: some waited past a second (their 200 and comments came first), and some were retried.
    expect(await waitFor(() => events.all.filter((e) => e.type === "llm.complete").length === 24)).toBe(true);
    expect(events.all.some((e) => e.type === "llm.complete" && e.data.metrics.queueMs >= 1000)).toBe(true);
    expect(events.all.some((e) => e.type === "llm.retry" && e.data.from === "p0")).toBe(true);
    expect(events.all.filter((e) => e.type === "llm.error")).toEqual([]);
    const room = hub.hub.ctx.registry.find(code)!;
    expect(await waitFor(() => ["p0", "p1", "p2"].every((id) => room.scheduler.memberView(id)!.inFlight === 0))).toBe(true);
  }, 30_000);
});

describe("secrets", () => {
  test("the participant's key, the room's password, a caller's token and its fairness key are in no response, event or log line", async () => {
    const KEY = "sk-provider-canary-4f1d2a";
    const PASSWORD = "room-pass-canary-9c3e";
    const CALLER = "caller-token-canary-77ab";
    const hub = startTestHub({ queueSize: 1, queueTimeoutMs: 1200 });
    stops.push(() => hub.stop());
    const seen: string[] = [];
    const keep = async (res: Response) => {
      const text = await res.text();
      seen.push(JSON.stringify([...res.headers]), text);
      return { status: res.status, text };
    };

    // Two participants with the key; each echoes it in its errors, as some providers do.
    let mode: "ok" | "429" | "401" | "500" | "slow" = "ok";
    const fake = (echoes: boolean) => {
      const u = startFakeUpstream({ models: ["m"], requireHeader: { name: "authorization", value: `Bearer ${KEY}` } });
      stops.push(() => u.stop());
      u.handle(async (_req, body) => {
        const m = mode;
        if (echoes && m === "429") return Response.json({ error: { message: `key ${KEY} is rate limited` } }, { status: 429, headers: { "retry-after-ms": "50" } });
        if (echoes && m === "401") return Response.json({ error: { message: `key ${KEY} was revoked` } }, { status: 401 });
        if (m === "500") return Response.json({ error: { message: `internal: ${KEY}` } }, { status: 500 });
        // A moment to answer, as a model takes: the hub measures it (and then tries the unmeasured echoing one first).
        await Bun.sleep(m === "slow" ? 1400 : 15);
        return sseResponse(splitEvents(CHAT.bytes));
      });
      return u;
    };
    const echoing = fake(true);
    const plain = fake(false);
    const open = await hub.createRoom({ name: "open" });
    const locked = await hub.createRoom({ name: "locked", password: PASSWORD });
    for (const [code, extra] of [
      [open, {}],
      [locked, { password: PASSWORD }],
    ] as const) {
      expect((await hub.join(code, { id: "echoing", nickname: "echo", model: "m", endpoint: echoing.url, authHeaders: { Authorization: `Bearer ${KEY}` }, ...extra })).status).toBe(201);
      expect((await hub.join(code, { id: "plain", nickname: "plain", model: "m", endpoint: plain.url, authHeaders: { Authorization: `Bearer ${KEY}` }, ...extra })).status).toBe(201);
    }
    const watch = [readEvents(`${hub.url}/rooms/${open}/events`), readEvents(`${hub.url}/rooms/${locked}/events`, { authorization: `Bearer ${PASSWORD}` })];
    stops.push(...watch.map((w) => () => w.close()));
    for (const w of watch) await w.next("connected");
    const ask = (code: string, bearer: string, stream = true) =>
      fetch(`${hub.url}/rooms/${code}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ model: "*", stream, messages: [{ role: "user", content: "hi" }] }),
      });

    for (const room of [open, locked]) {
      const bearer = room === open ? CALLER : PASSWORD;
      const warm = await fetch(`${hub.url}/rooms/${room}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ model: "plain", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      await keep(warm);
      // A 429 (failover, a cooldown), a 401 (unhealthy), a 500 with nobody else healthy to take it.
      for (const m of ["429", "401", "500"] as const) {
        mode = m;
        await keep(await ask(room, bearer));
        await Bun.sleep(60);
      }
      // The healthy one busy (the unhealthy one serves only when no healthy one matches): one
      // stream waits past a second and then times out, one more is turned away by the full queue.
      mode = "slow";
      const r = hub.hub.ctx.registry.find(room)!;
      expect(r.participants.get("echoing")!.health).toBe("unhealthy");
      const busy = ask(room, bearer, false);
      expect(await waitFor(() => r.scheduler.memberView("plain")!.inFlight === 1)).toBe(true);
      const waiting = ask(room, bearer);
      expect(await waitFor(() => r.scheduler.waiting === 1)).toBe(true);
      const turnedAway = await keep(await ask(room, bearer, false));
      expect(turnedAway.status).toBe(429);
      const streamed = await keep(await waiting);
      expect(streamed.status).toBe(200);
      expect(streamed.text).toContain("queue_timeout");
      await keep(await busy);
    }
    mode = "ok";

    const key = fairnessKey(hub.hub.ctx.callerSeed, "t:", CALLER);
    const everything = [...seen, ...watch.flatMap((w) => w.all.map((e) => JSON.stringify(e))), ...hub.logs].join("\n");
    // Something of each kind was seen, so the search below means something.
    expect(everything).toContain("llm.retry");
    expect(everything).toContain("room_busy");
    expect(everything).toContain("queued position=");
    expect(everything).toContain("[redacted]");
    for (const secret of [KEY, PASSWORD, CALLER, key, key.slice(2), String(hub.hub.ctx.callerSeed)]) expect(everything).not.toContain(secret);
  }, 30_000);
});
