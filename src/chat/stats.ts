/**
 * The line printed on stderr after an answer:
 *   `— alice (llama3.2) · TTFT 312 ms · 41.2 tok/s · 128 tokens`
 * Tokens per second counts the output tokens the endpoint reported over the time from the first
 * token to the end (as the hub's own metrics do). An endpoint that reports no usage gets
 * "tokens not reported" rather than a guess from the number of chunks.
 */
import type { ParticipantName } from "./participants.ts";
import type { Reply } from "./reply.ts";

export interface ReplyStats {
  ttftMs?: number;
  durationMs: number;
  outputTokens?: number;
  tokensPerSecond?: number;
}

export function replyStats(reply: Reply): ReplyStats {
  const stats: ReplyStats = { durationMs: reply.endedAt - reply.startedAt };
  if (reply.firstTokenAt !== undefined) stats.ttftMs = reply.firstTokenAt - reply.startedAt;
  const out = reply.usage?.outputTokens;
  if (out !== undefined) {
    stats.outputTokens = out;
    const genMs = reply.endedAt - (reply.firstTokenAt ?? reply.startedAt);
    if (out > 0 && genMs > 0) stats.tokensPerSecond = (out * 1000) / genMs;
  }
  return stats;
}

export function describeParticipant(p: ParticipantName | undefined): string {
  if (!p) return "unknown participant";
  if (!p.nickname) return `participant ${p.id}`;
  return p.model ? `${p.nickname} (${p.model})` : p.nickname;
}

function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export function formatStats(participant: ParticipantName | undefined, stats: ReplyStats, finishReason?: string): string {
  const parts = [`— ${describeParticipant(participant)}`];
  parts.push(stats.ttftMs !== undefined ? `TTFT ${ms(stats.ttftMs)}` : "no tokens");
  if (stats.tokensPerSecond !== undefined) parts.push(`${stats.tokensPerSecond.toFixed(1)} tok/s`);
  if (stats.outputTokens !== undefined) parts.push(`${stats.outputTokens} token${stats.outputTokens === 1 ? "" : "s"}`);
  else parts.push(`${ms(stats.durationMs)} total, tokens not reported`);
  // "stop"/"completed" are the normal end; anything else (length, max_output_tokens, content_filter) is worth a word.
  if (finishReason && !["stop", "completed", "eos", "eos_token", "end_turn"].includes(finishReason)) parts.push(`stopped: ${finishReason}`);
  return parts.join(" · ");
}
