/**
 * A room's usage ledger (client.ts `RoomUsage`) as fixed-width text rows: the TUI's usage panel
 * (view/room.tsx, key `u`) and `gambi usage` print the same lines. Pure. A figure the hub
 * estimated (its participant reported no usage) is marked with `~`, and the legend says so. A
 * caller's requests that no participant took (model "") are the row of model `(unserved)`.
 */
import type { RoomUsage, UsageFigures } from "../client.ts";
import { columns } from "./text.ts";

const n = (v: number) => v.toLocaleString("en-US");
const tokens = (total: number, estimated: number) => (estimated > 0 ? `~${n(total)}` : n(total));
const ms = (v: number | null) => (v === null ? "—" : `${Math.round(v)}ms`);
const rate = (v: number | null) => (v === null ? "—" : v.toFixed(1));
const estimatedAny = (f: UsageFigures) => f.estimatedInputTokens > 0 || f.estimatedOutputTokens > 0;

/** Two spaces of indent and these columns fit 80 columns of terminal. */
const P_WIDTHS = [16, 10, 5, 4, 8, 8, 7, 6];
const C_WIDTHS = [16, 10, 5, 4, 8, 8];

export function usageLines(u: RoomUsage): string[] {
  const lines: string[] = [`usage of room ${u.room} since ${u.since.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`];
  lines.push("", "served by participants (TTFT: mean time to first token)");
  if (u.participants.length === 0) lines.push("  (nothing served yet)");
  else {
    lines.push("  " + columns(["PARTICIPANT", "MODEL", "REQS", "ERRS", "IN", "OUT", "TTFT", "TOK/S"], P_WIDTHS));
    for (const p of u.participants) {
      lines.push(
        "  " +
          columns(
            [`${p.nickname} (${p.participantId})`, p.model, n(p.requests), n(p.errors), tokens(p.inputTokens, p.estimatedInputTokens), tokens(p.outputTokens, p.estimatedOutputTokens), ms(p.meanTtftMs), rate(p.tokensPerSecond)],
            P_WIDTHS,
          ),
      );
    }
  }
  lines.push("", "used by callers");
  if (u.callers.length === 0) lines.push("  (nobody yet)");
  else {
    lines.push("  " + columns(["CALLER", "MODEL", "REQS", "ERRS", "IN", "OUT"], C_WIDTHS).trimEnd());
    for (const c of u.callers) {
      const errors = c.errors === undefined ? "" : n(c.errors);
      lines.push("  " + columns([c.caller, c.model || "(unserved)", n(c.requests), errors, tokens(c.inputTokens, c.estimatedInputTokens), tokens(c.outputTokens, c.estimatedOutputTokens)], C_WIDTHS).trimEnd());
    }
  }
  const t = u.totals;
  lines.push("", `total: ${n(t.requests)} requests, ${n(t.errors)} errors, ${tokens(t.inputTokens, t.estimatedInputTokens)} tokens in, ${tokens(t.outputTokens, t.estimatedOutputTokens)} tokens out`);
  if (estimatedAny(t) || u.callers.some(estimatedAny)) lines.push("~ includes the hub's estimate where a participant reported no usage");
  return lines.map((l) => l.trimEnd());
}
