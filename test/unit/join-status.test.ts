import { expect, test } from "bun:test";
import { applyRoomEvent, clockTime, createStatusLine, describeFinished, initialStatus, renderStatus, withHeartbeat, withOwnView } from "../../src/join/status.ts";
import { keyHeaderOf, withBearerScheme, providerFor, PROVIDERS } from "../../src/join/providers.ts";
import { createConsola } from "consola";

const ME = "p-me";
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const ev = (type: string, data: Record<string, unknown>) => ({ type, roomCode: "ABCDEF", timestamp: 1, data });

test("requests of this participant move the counters; other participants' do not", () => {
  let s = initialStatus("ABCDEF", "llama3.2");
  s = applyRoomEvent(s, ev("llm.request", { participantId: ME }), ME).state;
  s = applyRoomEvent(s, ev("llm.request", { participantId: "other" }), ME).state;
  expect(s.inFlight).toBe(1);
  const done = applyRoomEvent(s, ev("llm.complete", { participantId: ME, protocol: "chat", metrics: { durationMs: 1500, tokensPerSecond: 41.23 } }), ME);
  expect(done.state).toMatchObject({ served: 1, inFlight: 0, lastTokensPerSecond: 41.23 });
  expect(done.finished).toEqual({ ok: true, protocol: "chat", durationMs: 1500, tokensPerSecond: 41.23 });
  expect(renderStatus(done.state, NOW)).toBe("● room ABCDEF · llama3.2 · online · 1 served · last 41.2 tok/s");
  const failed = applyRoomEvent(done.state, ev("llm.error", { participantId: ME, error: "HTTP 500", metrics: {} }), ME);
  expect(failed.state.failed).toBe(1);
  expect(failed.finished!.ok).toBe(false);
  expect(describeFinished(failed.finished!)).toBe("request failed: HTTP 500");
  const aborted = applyRoomEvent(failed.state, ev("llm.error", { participantId: ME, aborted: true, metrics: { durationMs: 200 } }), ME);
  expect(describeFinished(aborted.finished!)).toBe("request failed in 0.20 s: cancelled by the client");
  // An unknown event or one without data changes nothing.
  expect(applyRoomEvent(s, { type: "participant.joined" }, ME).state).toBe(s);
});

const view = (over: Record<string, unknown> = {}) => ({ id: ME, nickname: "me", maxConcurrency: 4, limit: 4, inFlight: 0, cooldownUntil: null, ...over });

test("a retry away from this participant ends its attempt: passed on, neither served nor failed; one towards it waits for its llm.request", () => {
  let s = withOwnView(initialStatus("ABCDEF", "m"), view(), true);
  s = applyRoomEvent(s, ev("llm.request", { requestId: "r1", participantId: ME, attempt: 1 }), ME).state;
  const away = applyRoomEvent(s, ev("llm.retry", { requestId: "r1", from: ME, to: "other", reason: "rate_limited", error: "HTTP 429", attempt: 2 }), ME);
  expect(away.state).toMatchObject({ inFlight: 0, served: 0, failed: 0, passedOn: 1 });
  expect(describeFinished(away.finished!)).toBe("request passed to another participant: HTTP 429 (rate_limited)");
  expect(renderStatus(away.state, NOW)).toBe("● room ABCDEF · m · online · 0 served · 1 passed on · in flight 0/4");
  // Towards this participant: nothing until its own llm.request; its end is counted as usual.
  const towards = applyRoomEvent(away.state, ev("llm.retry", { requestId: "r2", from: "other", to: ME, reason: "timeout", attempt: 2 }), ME);
  expect(towards.state).toBe(away.state);
  let t = applyRoomEvent(towards.state, ev("llm.request", { requestId: "r2", participantId: ME, attempt: 2 }), ME).state;
  t = applyRoomEvent(t, ev("llm.complete", { requestId: "r2", participantId: ME, attempts: 2, metrics: {} }), ME).state;
  expect(t).toMatchObject({ inFlight: 0, served: 1, failed: 0, passedOn: 1 });
});

test("in flight over the limit; a 429 lowers it and starts a cooldown shown until it is over; the join answer and `connected` bring the hub's count", () => {
  let s = withOwnView(initialStatus("ABCDEF", "m"), view({ inFlight: 0 }), true);
  s = applyRoomEvent(s, ev("llm.request", { participantId: ME }), ME).state;
  s = applyRoomEvent(s, ev("llm.request", { participantId: ME }), ME).state;
  expect(renderStatus(s, NOW)).toBe("● room ABCDEF · m · online · 0 served · in flight 2/4");
  // The 429's update comes before the end of the attempt that got it: its count (1) is not taken.
  const until = NOW + 12_000;
  s = applyRoomEvent(s, { type: "participant.updated", data: { participant: view({ limit: 2, inFlight: 1, cooldownUntil: until }), reason: "rate_limited", cooldownMs: 12_000 } }, ME).state;
  s = applyRoomEvent(s, ev("llm.retry", { from: ME, to: "other", reason: "rate_limited", error: "HTTP 429" }), ME).state;
  expect(s).toMatchObject({ inFlight: 1, limit: 2, maxConcurrency: 4, cooldownUntil: until });
  expect(renderStatus(s, NOW)).toBe(`● room ABCDEF · m · online · 0 served · 1 passed on · in flight 1/2 (max 4) · cooling down until ${clockTime(until)}`);
  expect(renderStatus(s, until)).toBe("● room ABCDEF · m · online · 0 served · 1 passed on · in flight 1/2 (max 4)");
  // Another participant's update changes nothing; a reconnect's snapshot brings the hub's count and limit.
  expect(applyRoomEvent(s, { type: "participant.updated", data: { participant: view({ id: "other", limit: 1 }) } }, ME).state).toBe(s);
  s = applyRoomEvent(s, { type: "connected", data: { participants: [view({ id: "other" }), view({ limit: 3, inFlight: 0 })] } }, ME).state;
  expect(renderStatus(s, NOW)).toBe("● room ABCDEF · m · online · 0 served · 1 passed on · in flight 0/3 (max 4)");
});

test("clockTime is local HH:MM:SS", () => {
  const d = new Date(2025, 0, 1, 9, 5, 7);
  expect(clockTime(d.getTime())).toBe("09:05:07");
});

test("the line says when the participant is not online", () => {
  expect(renderStatus({ ...initialStatus("ABCDEF", "m"), participant: "hub-unreachable" }, NOW)).toBe("○ room ABCDEF · m · hub unreachable, retrying · 0 served");
});

test("on a terminal, log lines are printed above the status line, which is drawn again", () => {
  const out: string[] = [];
  const log = createConsola({ level: 3, reporters: [{ log: (o) => out.push(`LOG ${o.args.join(" ")}`) }] });
  const line = createStatusLine({ log, tty: true, write: (s) => out.push(s) });
  line.update(initialStatus("ABCDEF", "m"));
  log.info("hello");
  expect(out).toEqual(["\r\x1b[2K● room ABCDEF · m · online · 0 served", "\r\x1b[2K", "LOG hello", "● room ABCDEF · m · online · 0 served"]);
});

test("off a terminal, nothing is drawn and each finished request is one log line", () => {
  const out: string[] = [];
  const log = createConsola({ level: 3, reporters: [{ log: (o) => out.push(`${o.type} ${o.args.join(" ")}`) }] });
  const line = createStatusLine({ log, tty: false, write: (s) => out.push(s) });
  line.update(initialStatus("ABCDEF", "m"));
  line.update(initialStatus("ABCDEF", "m"), { ok: true, protocol: "responses", durationMs: 1234, tokensPerSecond: 20 });
  expect(out).toEqual(["info served a Responses request in 1.23 s · 20.0 tok/s"]);
});

test("Bearer is added to a bare key for Authorization only", () => {
  expect(withBearerScheme("Authorization", " sk-abc ")).toEqual({ value: "Bearer sk-abc", added: true });
  expect(withBearerScheme("authorization", "Bearer sk-abc")).toEqual({ value: "Bearer sk-abc", added: false });
  expect(withBearerScheme("Authorization", "Basic dXNlcjpw")).toEqual({ value: "Basic dXNlcjpw", added: false });
  expect(withBearerScheme("x-api-key", "sk-abc")).toEqual({ value: "sk-abc", added: false });
});

test("providers: every base URL is one the hub accepts; lookup by host", () => {
  expect(PROVIDERS.map((p) => p.label)).toEqual(["Ollama", "LM Studio", "vLLM", "llama.cpp server", "OpenRouter", "Together AI", "Groq", "Fireworks", "OpenAI", "Anthropic"]);
  expect(providerFor("https://openrouter.ai/api")!.keyEnv).toBe("OPENROUTER_API_KEY");
  expect(keyHeaderOf(providerFor("https://openrouter.ai/api"))).toBe("Authorization");
  expect(providerFor("https://api.anthropic.com/v1")).toMatchObject({ keyEnv: "ANTHROPIC_API_KEY", keyHeader: "x-api-key" });
  expect(keyHeaderOf(providerFor("https://api.anthropic.com"))).toBe("x-api-key");
  expect(providerFor("http://localhost:11434")!.local).toBe(true);
  expect(providerFor("http://10.0.0.5:9999")).toBeUndefined();
  expect(providerFor("not a url")).toBeUndefined();
});

test("a heartbeat's answer: its own view as a snapshot (limit climbing back, the hub's count in flight) and the room's queue", () => {
  let s = withOwnView(initialStatus("ABCDEF", "m"), view({ limit: 2, inFlight: 1 }), true);
  expect(renderStatus(s, NOW)).toBe("● room ABCDEF · m · online · 0 served · in flight 1/2 (max 4)");
  s = withHeartbeat(s, { participant: view({ limit: 4, inFlight: 3 }), queue: { waiting: 5 } });
  expect(s).toMatchObject({ limit: 4, inFlight: 3, queueWaiting: 5 });
  expect(renderStatus(s, NOW)).toBe("● room ABCDEF · m · online · 0 served · in flight 3/4 · 5 waiting in the room");
  s = withHeartbeat(s, { participant: view({ inFlight: 0 }), queue: { waiting: 0 } });
  expect(renderStatus(s, NOW)).toBe("● room ABCDEF · m · online · 0 served · in flight 0/4");
  // An older hub answers {ok} only: nothing changes.
  expect(withHeartbeat(s, {})).toBe(s);
});
