/** The line `gambi chat` prints after an answer: who, TTFT, tok/s from reported usage, or saying usage is missing. */
import { expect, test } from "bun:test";
import { describeParticipant, formatStats, replyStats } from "../../src/chat/stats.ts";
import { answeredModel } from "../../src/chat/participants.ts";
import type { Reply } from "../../src/chat/reply.ts";

const reply = (r: Partial<Reply>): Reply => ({ text: "", startedAt: 1000, endedAt: 1000, ...r });

test("TTFT from the request to the first token; tok/s over the generation time", () => {
  const stats = replyStats(reply({ firstTokenAt: 1312, endedAt: 4412, usage: { outputTokens: 128 } }));
  expect(stats).toEqual({ ttftMs: 312, durationMs: 3412, outputTokens: 128, tokensPerSecond: 128 / 3.1 });
  expect(formatStats({ id: "p1", nickname: "alice", model: "llama3.2" }, stats)).toBe("— alice (llama3.2) · TTFT 312 ms · 41.3 tok/s · 128 tokens");
});

test("no usage reported: say so, no invented rate", () => {
  const stats = replyStats(reply({ firstTokenAt: 1050, endedAt: 13_000 }));
  expect(stats.tokensPerSecond).toBeUndefined();
  expect(formatStats({ id: "p1", nickname: "bob" }, stats)).toBe("— bob · TTFT 50 ms · 12.0 s total, tokens not reported");
});

test("all tokens in one chunk: no rate from a zero interval; an unusual stop reason is shown", () => {
  const stats = replyStats(reply({ firstTokenAt: 1200, endedAt: 1200, usage: { outputTokens: 1 } }));
  expect(stats.tokensPerSecond).toBeUndefined();
  expect(formatStats(undefined, stats, "length")).toBe("— unknown participant · TTFT 200 ms · 1 token · stopped: length");
  expect(formatStats(undefined, stats, "stop")).not.toContain("stopped");
});

test("a participant whose name could not be looked up is shown by id", () => {
  expect(describeParticipant({ id: "abc-123", lookupError: "HTTP 500" })).toBe("participant abc-123");
  expect(formatStats({ id: "x" }, replyStats(reply({ endedAt: 1500 })))).toBe("— participant x · no tokens · 500 ms total, tokens not reported");
});

test("who answered: a participant serving several models answered with the one the request named", () => {
  const models = ["llama3", "qwen2.5"];
  expect(answeredModel("pa", models, "llama3", "qwen2.5")).toBe("qwen2.5");
  expect(answeredModel("pa", models, "llama3", "model:qwen2.5")).toBe("qwen2.5");
  expect(answeredModel("pa", models, "llama3", "pa/qwen2.5")).toBe("qwen2.5");
  for (const requested of ["*", "any", "pa", "other", undefined]) expect(answeredModel("pa", models, "llama3", requested)).toBe("llama3");
  // A hub from before several models per participant: its view has `model` only.
  expect(answeredModel("pa", undefined, "llama3", "qwen2.5")).toBe("llama3");
});
