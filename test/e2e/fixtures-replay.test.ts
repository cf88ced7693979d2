/**
 * Every recording in test/fixtures, served by a fake upstream one event per write, must
 * reach the client through the hub byte for byte: the passthrough neither buffers nor edits.
 * The exceptions are the Responses answers the hub repairs (docs/protocols.md, "Repairs"):
 * llama.cpp's, and OpenAI's 2025-03 stream without sequence_number. They must arrive in the
 * strict grammar with what the recording holds. A chat stream whose client did not ask for
 * usage is asked for it by the hub (its ledger counts tokens), and loses exactly that one
 * usage-only chunk: every other byte arrives as recorded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { fixtureStatus, loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { decodeSse } from "../helpers/sse-read.ts";
import { assembleResponses } from "../helpers/responses-stream-check.ts";
import { bodyRepairReason } from "../../src/protocol/openai/responses-repair/detect.ts";

const REPAIRED = new Set([
  "responses/llamacpp-tiny-text.json",
  "responses/llamacpp-tiny-text.sse",
  "responses/llamacpp-tiny-tools-text.json",
  "responses/llamacpp-tiny-tools-text.sse",
  "responses/openai-function-call.sse",
]);
const texts = (output: any[]) => output.flatMap((i) => (i.type === "message" ? i.content.map((p: any) => p.text) : [])).join("");

const fixtures = loadFixtures();
let hub: TestHub;
let upstream: FakeUpstream;
let code: string;

beforeAll(async () => {
  upstream = startFakeUpstream({ models: ["m"] });
  hub = startTestHub();
  code = await hub.createRoom();
  const res = await hub.join(code, { id: "p1", nickname: "replayer", model: "m", endpoint: upstream.url });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

test("there are recordings to replay", () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(40);
});

describe.each(fixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
  test(REPAIRED.has(fixture.name) ? "arrives repaired" : "arrives byte-identical", async () => {
    const status = fixtureStatus(fixture.name);
    upstream.handle(() =>
      fixture.stream
        ? sseResponse(splitEvents(fixture.bytes))
        : new Response(fixture.bytes, { status, headers: { "content-type": "application/json" } }),
    );
    const path = fixture.protocol === "chat" ? "/chat/completions" : "/responses";
    const body =
      fixture.protocol === "chat"
        ? // Recorded asking for usage: so is the replay (without, the hub drops the usage chunk: below).
          { model: "*", stream: fixture.stream, messages: [{ role: "user", content: "hi" }], ...(fixture.stream ? { stream_options: { include_usage: true } } : {}) }
        : { model: "*", stream: fixture.stream, input: "hi" };
    // A 429 cools its participant down (hub/pool/): the recordings after it would wait that out.
    let room = code;
    if (status === 429) {
      room = await hub.createRoom();
      expect((await hub.join(room, { id: "p1", nickname: "replayer", model: "m", endpoint: upstream.url })).status).toBe(201);
    }
    const res = await hub.post(`/rooms/${room}/v1${path}`, body);
    expect(res.status).toBe(status);
    expect(res.headers.get("x-gambi-participant")).toBe("p1");
    if (fixture.stream) {
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
    }
    const got = new Uint8Array(await res.arrayBuffer());
    if (REPAIRED.has(fixture.name)) {
      if (fixture.stream) {
        const want = decodeSse(fixture.bytes).map((e) => JSON.parse(e.data)).find((d) => d.type === "response.completed").response;
        const a = assembleResponses(decodeSse(got), { strict: true });
        expect(texts(a.output)).toBe(texts(want.output));
        expect(a.toolCalls.map((c) => c.arguments)).toEqual(want.output.filter((i: any) => i.type === "function_call").map((i: any) => i.arguments));
        expect(a.response.usage).toEqual(want.usage);
      } else {
        const body = JSON.parse(new TextDecoder().decode(got));
        expect(bodyRepairReason(body)).toBeUndefined();
        expect(texts(body.output)).toBe(texts(JSON.parse(new TextDecoder().decode(fixture.bytes)).output));
      }
    } else expect(Buffer.from(got).equals(Buffer.from(fixture.bytes))).toBe(true);
    const sent = JSON.parse(upstream.inference().at(-1)!.body);
    expect(sent.model).toBe("m");
  });
});

const usageOnly = (event: string) => event.includes('"usage"') && /"choices":\s?\[\]/.test(event);

describe.each(fixtures.filter((f) => f.protocol === "chat" && f.stream && fixtureStatus(f.name) === 200).map((f) => [f.name, f] as const))("%s, the client asking no usage", (_name, fixture) => {
  test("arrives byte-identical but for the usage chunk the hub asked for", async () => {
    upstream.handle(() => sseResponse(splitEvents(fixture.bytes)));
    const res = await hub.post(`/rooms/${code}/v1/chat/completions`, { model: "*", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const got = await res.text();
    const events = splitEvents(fixture.bytes).map((e) => (typeof e === "string" ? e : new TextDecoder().decode(e)));
    const dropped = events.findIndex(usageOnly);
    const want = dropped === -1 ? events : events.filter((_, i) => i !== dropped);
    expect(got).toBe(want.join(""));
    expect(JSON.parse(upstream.inference().at(-1)!.body).stream_options).toEqual({ include_usage: true });
  });
});
