import { expect, test } from "bun:test";
import { applyRoomEvent, createStatusLine, describeFinished, initialStatus, renderStatus } from "../../src/join/status.ts";
import { withBearerScheme, providerFor, PROVIDERS } from "../../src/join/providers.ts";
import { createConsola } from "consola";

const ME = "p-me";
const ev = (type: string, data: Record<string, unknown>) => ({ type, roomCode: "ABCDEF", timestamp: 1, data });

test("requests of this participant move the counters; other participants' do not", () => {
  let s = initialStatus("ABCDEF", "llama3.2");
  s = applyRoomEvent(s, ev("llm.request", { participantId: ME }), ME).state;
  s = applyRoomEvent(s, ev("llm.request", { participantId: "other" }), ME).state;
  expect(s.inFlight).toBe(1);
  const done = applyRoomEvent(s, ev("llm.complete", { participantId: ME, protocol: "chat", metrics: { durationMs: 1500, tokensPerSecond: 41.23 } }), ME);
  expect(done.state).toMatchObject({ served: 1, inFlight: 0, lastTokensPerSecond: 41.23 });
  expect(done.finished).toEqual({ ok: true, protocol: "chat", durationMs: 1500, tokensPerSecond: 41.23 });
  expect(renderStatus(done.state)).toBe("● room ABCDEF · llama3.2 · online · 1 served · last 41.2 tok/s");
  const failed = applyRoomEvent(done.state, ev("llm.error", { participantId: ME, error: "HTTP 500", metrics: {} }), ME);
  expect(failed.state.failed).toBe(1);
  expect(failed.finished!.ok).toBe(false);
  expect(describeFinished(failed.finished!)).toBe("request failed: HTTP 500");
  const aborted = applyRoomEvent(failed.state, ev("llm.error", { participantId: ME, aborted: true, metrics: { durationMs: 200 } }), ME);
  expect(describeFinished(aborted.finished!)).toBe("request failed in 0.20 s: cancelled by the client");
  // An unknown event or one without data changes nothing.
  expect(applyRoomEvent(s, { type: "participant.joined" }, ME).state).toBe(s);
});

test("the line says when the participant is not online", () => {
  expect(renderStatus({ ...initialStatus("ABCDEF", "m"), participant: "hub-unreachable" })).toBe("○ room ABCDEF · m · hub unreachable, retrying · 0 served");
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
  expect(PROVIDERS.map((p) => p.label)).toEqual(["Ollama", "LM Studio", "vLLM", "llama.cpp server", "OpenRouter", "Together AI", "Groq", "Fireworks", "OpenAI"]);
  expect(providerFor("https://openrouter.ai/api")!.keyEnv).toBe("OPENROUTER_API_KEY");
  expect(providerFor("http://localhost:11434")!.local).toBe(true);
  expect(providerFor("http://10.0.0.5:9999")).toBeUndefined();
  expect(providerFor("not a url")).toBeUndefined();
});
