/**
 * The repairing pass as part of the relay, through a real hub: a conformant stream keeps its
 * bytes and says nothing; a repaired one still feeds the hub's observation (usage, TTFT, the
 * response id its lifecycle routes follow), ends properly when the participant breaks off or
 * closes mid-event, cancels the participant when the client leaves, is announced once per
 * participant (participant.updated and one log line), and never carries the participant's key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";
import { readSse } from "../helpers/sse-read.ts";
import { readEvents } from "../helpers/events.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { llamaResponsesStream } from "../helpers/llama-responses.ts";

const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;
const llamaText = fixture("responses/llamacpp-tiny-text.sse");
const REASON = "its stream events lack an output array in response.created and sequence_number";
const head = llamaResponsesStream({ text: ["Hel"], cut: true });

let hub: TestHub;
let llama: FakeUpstream;
let code: string;
const responses = (body: Record<string, unknown> = {}, init: RequestInit = {}) =>
  fetch(`${hub.url}/rooms/${code}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "*", stream: true, input: "hi", ...body }), ...init });

beforeAll(async () => {
  hub = startTestHub();
  llama = startFakeUpstream({ models: ["tiny"] });
  code = await hub.createRoom();
  expect((await hub.join(code, { id: "llama", nickname: "llama", model: "tiny", endpoint: llama.url })).status).toBe(201);
});
afterAll(async () => {
  await hub.stop();
  await llama.stop();
});

describe("observation and lifecycle", () => {
  test("llm.complete carries the repaired stream's usage and time to first content", async () => {
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    llama.handle(() => sseResponse(splitEvents(llamaText.bytes)));
    await (await responses()).text();
    const done = await events.next("llm.complete");
    expect(done.data.metrics).toMatchObject({ inputTokens: 19, outputTokens: 12, totalTokens: 31 });
    expect(done.data.metrics.ttftMs).toBeGreaterThanOrEqual(0);
    await events.close();
  });

  test("the response id of a repaired stream routes its lifecycle calls to the participant", async () => {
    llama.handle((req, _body, record) => (new URL(req.url).pathname === "/v1/responses" ? sseResponse(splitEvents(llamaText.bytes)) : Response.json({ seen: record.path })));
    await (await responses()).text();
    const get = await fetch(`${hub.url}/rooms/${code}/v1/responses/resp_UEoJfvHE6vADFIupfDux10NOYxwcXPcm`);
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).seen).toBe("/v1/responses/resp_UEoJfvHE6vADFIupfDux10NOYxwcXPcm");
  });

  test("a conformant stream arrives byte for byte", async () => {
    const openai = fixture("responses/openai-text.sse");
    llama.handle(() => sseResponse(splitEvents(openai.bytes)));
    const got = new Uint8Array(await (await responses()).arrayBuffer());
    expect(Buffer.from(got).equals(Buffer.from(openai.bytes))).toBe(true);
  });
});

describe("failures of a repaired stream", () => {
  test("the participant breaks off mid-stream → error (upstream_disconnected), response.failed with the text so far; llm.error", async () => {
    const events = readEvents(`${hub.url}/rooms/${code}/events`);
    await events.next("connected");
    const s = controlledStream();
    llama.handle(() => s.response());
    for (const frame of head) s.send(frame);
    const res = await responses();
    const reader = res.body!.getReader();
    // Read until the delta has arrived, then break the connection.
    let seen = "";
    while (!seen.includes("output_text.delta")) seen += new TextDecoder().decode((await reader.read()).value);
    s.die();
    for (let r = await reader.read(); !r.done; r = await reader.read()) seen += new TextDecoder().decode(r.value);
    const out = await readSse(new Response(seen));
    checkResponsesStream(out, { strict: true });
    const a = assembleResponses(out, { strict: true });
    expect(a.status).toBe("failed");
    expect(a.error?.code).toBe("upstream_disconnected");
    expect(a.text).toBe("Hel");
    expect(out.slice(-2).map((e) => e.event)).toEqual(["error", "response.failed"]);
    const err = await events.next("llm.error");
    expect(err.data).toMatchObject({ stage: "stream", participantId: "llama" });
    await events.close();
  });

  test("a clean close in the middle of an event → upstream_truncated", async () => {
    llama.handle(() => sseResponse([...head, 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_llama0001","del']));
    const out = await readSse(await responses());
    checkResponsesStream(out, { strict: true });
    expect(assembleResponses(out, { strict: true }).error?.code).toBe("upstream_truncated");
  });

  test("a clean close after whole events but before response.completed → upstream_incomplete", async () => {
    llama.handle(() => sseResponse(head));
    const a = assembleResponses(await readSse(await responses()), { strict: true });
    expect(a.error?.code).toBe("upstream_incomplete");
    expect(a.text).toBe("Hel");
  });

  test("the participant goes silent past the idle deadline → upstream_timeout, and is cancelled", async () => {
    const local = startTestHub({ timeouts: { connectMs: 1_000, firstByteMs: 5_000, idleMs: 200 } });
    try {
      const room = await local.createRoom();
      expect((await local.join(room, { id: "slow", nickname: "slow-llama", model: "tiny", endpoint: llama.url })).status).toBe(201);
      const s = controlledStream();
      llama.handle(() => s.response());
      for (const frame of head) s.send(frame);
      const out = await readSse(await local.post(`/rooms/${room}/v1/responses`, { model: "*", stream: true, input: "hi" }));
      checkResponsesStream(out, { strict: true });
      const a = assembleResponses(out, { strict: true });
      expect(a.error?.code).toBe("upstream_timeout");
      expect(a.error?.message).toContain("idle timeout");
      expect(a.text).toBe("Hel");
      expect(await waitFor(() => s.cancelled)).toBe(true);
    } finally {
      await local.stop();
    }
  });

  test("the client leaving cancels the participant's stream", async () => {
    const s = controlledStream();
    llama.handle(() => s.response());
    for (const frame of head) s.send(frame);
    const abort = new AbortController();
    const res = await responses({}, { signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    expect(await waitFor(() => s.cancelled)).toBe(true);
  });
});

describe("the notice: once per participant, never a secret", () => {
  const TOKEN = "sk-llama-canary-0d9e8f7a6b5c";

  test("participant.updated and one log line say which participant needs repairs and why, once until it re-joins", async () => {
    const room = await hub.createRoom();
    const upstream = startFakeUpstream({ models: ["tiny"], requireHeader: { name: "authorization", value: `Bearer ${TOKEN}` } });
    try {
      const join = () => hub.join(room, { id: "lc", nickname: "llama-canary", model: "tiny", endpoint: upstream.url, authHeaders: { Authorization: `Bearer ${TOKEN}` } });
      expect((await join()).status).toBe(201);
      const events = readEvents(`${hub.url}/rooms/${room}/events`);
      await events.next("connected");
      // Everything the room said, never consumed: to count events.
      const log = readEvents(`${hub.url}/rooms/${room}/events`);
      const count = (type: string) => log.all.filter((e) => e.type === type).length;
      expect(await waitFor(() => count("connected") === 1)).toBe(true);
      const ask = () => fetch(`${hub.url}/rooms/${room}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "*", stream: true, input: "hi" }) });
      const participant = async () => ((await (await fetch(`${hub.url}/rooms/${room}/participants`)).json()) as any).participants[0];

      // A conformant answer is no news.
      upstream.handle(() => sseResponse(splitEvents(fixture("responses/openai-text.sse").bytes)));
      await (await ask()).text();
      await events.next("llm.complete");
      expect((await participant()).repairs).toBeNull();

      // A key echoed back: as llama.cpp writes an error ({"error": {...}}, no type), and JSON-escaped in a delta.
      const escaped = TOKEN.replace("s", "\\u0073");
      upstream.handle(() =>
        sseResponse([
          ...head,
          `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_llama0001","delta":" key ${escaped}"}\n\n`,
          `data: {"error":{"code":401,"message":"key Bearer ${TOKEN} revoked","type":"authentication_error"}}\n\n`,
        ]),
      );
      const first = await (await ask()).text();
      const updated = await events.next("participant.updated");
      expect(updated.data).toMatchObject({ repairs: REASON, participant: { id: "lc", nickname: "llama-canary", repairs: REASON, hasAuth: true } });
      const second = await (await ask()).text();
      expect(await waitFor(() => count("llm.error") === 2)).toBe(true);
      expect(count("participant.updated")).toBe(1);

      const notices = () => hub.logs.filter((l) => l.includes("repairs its Responses answers") && l.includes("(lc)"));
      expect(notices()).toHaveLength(1);
      expect(notices()[0]).toContain(REASON);
      expect((await participant()).repairs).toBe(REASON);

      // The key reached neither the client, nor the events, nor the log; the answer around it did.
      for (const body of [first, second]) {
        expect(body).toContain("[redacted]");
        expect(body).not.toContain(TOKEN);
        expect(body).not.toContain("0d9e8f7a6b5c");
      }
      const a = assembleResponses(await readSse(new Response(first)), { strict: true });
      expect(a.error).toEqual({ code: "401", message: "key [redacted] revoked" });

      // A re-join may bring another server: the next repair is announced again.
      expect((await join()).status).toBe(201);
      await events.next("participant.updated");
      await (await ask()).text();
      const again = await events.next("participant.updated");
      expect(again.data.repairs).toBe(REASON);
      expect(notices()).toHaveLength(2);
      const everything = JSON.stringify(log.all) + hub.logs.join("\n");
      expect(everything).toContain("llama-canary");
      expect(everything).not.toContain("0d9e8f7a6b5c");
      await events.close();
      await log.close();
    } finally {
      await upstream.stop();
    }
  });
});
