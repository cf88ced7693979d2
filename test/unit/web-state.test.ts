/** The web UI's pure parts: SSE parsing, the room state from events, answer pieces, snippets. */
import { expect, test } from "bun:test";
import { SseParser } from "../../src/web/sse.ts";
import { applyEvent, emptyRoomState, LOG_MAX } from "../../src/web/room-state.ts";
import { readPiece, requestBody } from "../../src/web/answer-stream.ts";
import { snippets } from "../../src/web/snippets.ts";
import type { ParticipantView } from "../../src/web/types.ts";

const enc = new TextEncoder();

test("SSE: events split across chunks, CRLF, comments and multi-line data", () => {
  const p = new SseParser();
  expect(p.push(enc.encode(": heartbeat\n\nevent: llm.request\ndata: {\"a\""))).toEqual([]);
  expect(p.push(enc.encode(":1}\n\ndata: x\r\ndata: y\r\n\r\n"))).toEqual([
    { event: "llm.request", data: '{"a":1}' },
    { event: "message", data: "x\ny" },
  ]);
});

const participant = (id: string, nickname: string): ParticipantView => ({ id, nickname, model: "m", models: ["m"], transport: "direct", status: "online", health: "healthy", limit: 2, inFlight: 0, cooldownUntil: null });
const ev = (type: string, data: Record<string, unknown>, timestamp = 1_000) => ({ type, roomCode: "K7QX2M", timestamp, data });

test("room state: participants join, update and leave; requests count, sample and log", () => {
  let s = applyEvent(emptyRoomState(), ev("connected", { participants: [participant("p1", "ana")] }));
  s = applyEvent(s, ev("participant.joined", { participant: participant("p2", "bo") }));
  s = applyEvent(s, ev("participant.updated", { participant: { ...participant("p2", "bo"), inFlight: 1 } }));
  expect(s.participants.map((p) => [p.id, p.inFlight])).toEqual([["p1", 0], ["p2", 1]]);
  s = applyEvent(s, ev("llm.complete", { requestId: "r1", participantId: "p2", nickname: "bo", metrics: { ttftMs: 120, tokensPerSecond: 42.5, inputTokens: 3, outputTokens: 9 } }, 2_000));
  s = applyEvent(s, ev("llm.error", { requestId: "r2", participantId: "p2", nickname: "bo", error: "upstream 500", metrics: {} }, 3_000));
  expect(s.served.p2).toEqual({ served: 1, errors: 1, lastTtftMs: 120, lastTokensPerSecond: 42.5 });
  expect(s.totals).toEqual({ requests: 2, errors: 1, inputTokens: 3, outputTokens: 9 });
  expect(s.samples).toEqual([{ at: 2_000, participantId: "p2", nickname: "bo", ttftMs: 120, tokensPerSecond: 42.5 }]);
  expect(s.log.at(-1)!.text).toContain("✗ bo: upstream 500");
  s = applyEvent(s, ev("participant.left", { participantId: "p1", nickname: "ana", reason: "timeout" }));
  expect(s.participants.map((p) => p.id)).toEqual(["p2"]);
  s = applyEvent(s, ev("room.deleted", { reason: "deleted" }));
  expect(s.deleted).toBe(true);
});

test("room state: the log keeps its last LOG_MAX lines; samples older than the window drop", () => {
  let s = emptyRoomState();
  for (let i = 0; i < LOG_MAX + 5; i++) s = applyEvent(s, ev("llm.complete", { requestId: `r${i}`, participantId: "p", nickname: "n", metrics: { ttftMs: 1 } }, i * 60_000));
  expect(s.log).toHaveLength(LOG_MAX);
  expect(s.log.at(-1)!.text).toContain(`r${LOG_MAX + 4}`);
  expect(s.samples.every((x) => x.at >= (LOG_MAX + 4) * 60_000 - 10 * 60_000)).toBe(true);
});

test("answer pieces: chat deltas and usage; Responses deltas, ids, usage and failures", () => {
  expect(readPiece("chat", { event: "message", data: '{"choices":[{"delta":{"content":"Hi"}}]}' })).toEqual({ text: "Hi" });
  expect(readPiece("chat", { event: "message", data: '{"choices":[],"usage":{"completion_tokens":7}}' })).toEqual({ outputTokens: 7 });
  expect(readPiece("chat", { event: "message", data: "[DONE]" })).toEqual({});
  expect(readPiece("chat", { event: "message", data: '{"error":{"message":"boom"}}' })).toEqual({ error: "boom" });
  expect(readPiece("responses", { event: "response.created", data: '{"type":"response.created","response":{"id":"resp_1"}}' })).toEqual({ responseId: "resp_1" });
  expect(readPiece("responses", { event: "response.output_text.delta", data: '{"type":"response.output_text.delta","delta":"yo"}' })).toEqual({ text: "yo" });
  expect(readPiece("responses", { event: "response.completed", data: '{"type":"response.completed","response":{"id":"resp_1","usage":{"output_tokens":5}}}' })).toEqual({ responseId: "resp_1", outputTokens: 5 });
  expect(readPiece("responses", { event: "response.failed", data: '{"type":"response.failed","response":{"error":{"message":"no"}}}' })).toEqual({ error: "no" });
});

test("request bodies: chat sends the history, Responses the input and the previous id, or the history when it has none", () => {
  const history = [{ role: "user" as const, content: "a" }, { role: "assistant" as const, content: "b" }];
  expect(requestBody("chat", "*", history, "c", "resp_x")).toEqual({ model: "*", stream: true, stream_options: { include_usage: true }, messages: [...history, { role: "user", content: "c" }] });
  expect(requestBody("responses", "m", history, "c", "resp_x")).toEqual({ model: "m", stream: true, input: "c", previous_response_id: "resp_x" });
  expect(requestBody("responses", "m", [], "c", undefined)).toEqual({ model: "m", stream: true, input: "c" });
  // Nothing to continue from (after chat turns, or to another participant): the conversation itself.
  expect(requestBody("responses", "m", history, "c", undefined)).toEqual({ model: "m", stream: true, input: [...history, { role: "user", content: "c" }] });
});

test("snippets: the room's base URL and model in each; a protected room's password only as a variable", () => {
  const open = snippets({ origin: "http://10.0.0.5:3000", code: "K7QX2M", models: ["llama3.2", "qwen"], passwordProtected: false });
  expect(open.map((s) => s.id)).toEqual(["curl", "python", "js", "ai-sdk", "langchain", "anthropic-python", "anthropic-js", "claude-code", "codex", "join"]);
  const anthropic = new Set(["anthropic-python", "anthropic-js", "claude-code"]);
  for (const s of open.filter((x) => x.id !== "join")) {
    // Anthropic's clients add /v1/messages to the base URL themselves: the room's URL without /v1.
    if (anthropic.has(s.id)) {
      expect(s.text).toContain("http://10.0.0.5:3000/rooms/K7QX2M");
      expect(s.text).not.toContain("/rooms/K7QX2M/v1");
    } else expect(s.text).toContain("http://10.0.0.5:3000/rooms/K7QX2M/v1");
    expect(s.text).toContain("llama3.2");
    expect(s.text).not.toContain("GAMBI_ROOM_PASSWORD");
  }
  expect(open.find((s) => s.id === "codex")!.text).toContain('wire_api = "responses"');
  expect(open.find((s) => s.id === "join")!.text).toContain("gambi join --hub http://10.0.0.5:3000 --code K7QX2M");
  const locked = snippets({ origin: "http://h:3000", code: "ABCDEF", models: [], passwordProtected: true });
  for (const s of locked) expect(s.text).toContain("GAMBI_ROOM_PASSWORD");
  expect(locked[0]!.text).toContain('"model":"*"');
  expect(locked.find((s) => s.id === "codex")!.text).toContain('env_key = "GAMBI_ROOM_PASSWORD"');
  // Claude Code: the room's URL, its password as the bearer token (or any token), the model quoted for the shell.
  const claude = (x: ReturnType<typeof snippets>) => x.find((s) => s.id === "claude-code")!.text.split("\n");
  expect(claude(open)).toEqual([
    "export ANTHROPIC_BASE_URL=http://10.0.0.5:3000/rooms/K7QX2M",
    "export ANTHROPIC_AUTH_TOKEN=gambi  # any value: the room has no password",
    "export ANTHROPIC_MODEL='llama3.2'",
    "export ANTHROPIC_DEFAULT_HAIKU_MODEL='llama3.2'  # its small model, for background tasks",
    "claude",
  ]);
  expect(claude(locked)).toContain('export ANTHROPIC_AUTH_TOKEN="$GAMBI_ROOM_PASSWORD"');
  expect(claude(locked)).toContain("export ANTHROPIC_MODEL='*'");
  expect(claude(snippets({ origin: "http://h", code: "ABCDEF", models: ["it's"], passwordProtected: false }))).toContain("export ANTHROPIC_MODEL='it'\\''s'");
  expect(open.find((s) => s.id === "anthropic-python")!.text).toContain('Anthropic(base_url="http://10.0.0.5:3000/rooms/K7QX2M", api_key="gambi"');
  expect(locked.find((s) => s.id === "anthropic-js")!.text).toContain('new Anthropic({ baseURL: "http://h:3000/rooms/ABCDEF", apiKey: process.env.GAMBI_ROOM_PASSWORD })');
});
