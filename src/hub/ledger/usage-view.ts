/**
 * What `GET /rooms/:code/usage` answers (routes.ts): the room's ledger rows as JSON — a
 * contract with the web UI and `gambi usage`, fields only ever added — or as CSV, one row per
 * (kind, id, model) under a header line. Pure. `inputTokens` / `outputTokens` include the
 * estimated part; `estimated*` say how much of them the hub estimated (estimate.ts).
 * `meanTtftMs` and `tokensPerSecond` are null when nothing measured them. A caller's row of
 * model `UNSERVED` ("") counts its requests no participant took (ledger.ts); `totals` are what
 * participants served, so they leave those out.
 */
import type { LedgerRow } from "../persist/ledger-store.ts";

export interface TokenFigures {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
}

export interface ParticipantUsage extends TokenFigures {
  participantId: string;
  nickname: string;
  model: string;
  errors: number;
  meanTtftMs: number | null;
  tokensPerSecond: number | null;
}

export interface CallerUsage extends TokenFigures {
  caller: string;
  /** `UNSERVED` (""): requests no participant took. */
  model: string;
  /** Requests that ended in an error (not the client leaving), served or not. */
  errors: number;
}

export interface RoomUsage {
  room: string;
  since: string;
  participants: ParticipantUsage[];
  callers: CallerUsage[];
  totals: TokenFigures & { errors: number };
}

/** The model of a caller's requests that no participant took: none (a model's name is never empty). */
export const UNSERVED = "";

const round1 = (n: number) => Math.round(n * 10) / 10;

function tokens(r: LedgerRow): TokenFigures {
  return {
    requests: r.requests,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    estimatedInputTokens: r.estimatedInputTokens,
    estimatedOutputTokens: r.estimatedOutputTokens,
  };
}

/** Participants by output tokens served, then callers by tokens used (most first). */
export function usageView(code: string, since: number, rows: readonly LedgerRow[]): RoomUsage {
  const participants: ParticipantUsage[] = [];
  const callers: CallerUsage[] = [];
  const totals = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0 };
  for (const r of rows) {
    if (r.kind === "caller") {
      callers.push({ caller: r.id, model: r.model, ...tokens(r), errors: r.errors });
      continue;
    }
    participants.push({
      participantId: r.id,
      nickname: r.nickname ?? r.id,
      model: r.model,
      ...tokens(r),
      errors: r.errors,
      meanTtftMs: r.ttftCount > 0 ? round1(r.ttftMsSum / r.ttftCount) : null,
      tokensPerSecond: r.generationMs > 0 ? round1((r.generatedTokens * 1000) / r.generationMs) : null,
    });
    totals.requests += r.requests;
    totals.errors += r.errors;
    totals.inputTokens += r.inputTokens;
    totals.outputTokens += r.outputTokens;
    totals.estimatedInputTokens += r.estimatedInputTokens;
    totals.estimatedOutputTokens += r.estimatedOutputTokens;
  }
  const used = (u: TokenFigures) => u.inputTokens + u.outputTokens;
  participants.sort((a, b) => b.outputTokens - a.outputTokens || a.participantId.localeCompare(b.participantId));
  callers.sort((a, b) => used(b) - used(a) || a.caller.localeCompare(b.caller));
  return { room: code, since: new Date(since).toISOString(), participants, callers, totals };
}

export const CSV_HEADER = [
  "kind",
  "id",
  "nickname",
  "model",
  "requests",
  "errors",
  "inputTokens",
  "outputTokens",
  "estimatedInputTokens",
  "estimatedOutputTokens",
  "meanTtftMs",
  "tokensPerSecond",
] as const;

/** RFC 4180: quoted when it holds a comma, a quote or a line break; a leading = + - @ is quoted with a ' so spreadsheets do not run it. */
export function csvField(v: string | number | null): string {
  if (v === null) return "";
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function usageCsv(u: RoomUsage): string {
  const lines = [CSV_HEADER.join(",")];
  for (const p of u.participants) {
    lines.push([ "participant", p.participantId, p.nickname, p.model, p.requests, p.errors, p.inputTokens, p.outputTokens, p.estimatedInputTokens, p.estimatedOutputTokens, p.meanTtftMs, p.tokensPerSecond].map(csvField).join(","));
  }
  for (const c of u.callers) {
    lines.push(["caller", c.caller, null, c.model, c.requests, c.errors, c.inputTokens, c.outputTokens, c.estimatedInputTokens, c.estimatedOutputTokens, null, null].map(csvField).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
