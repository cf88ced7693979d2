/**
 * The room view: totals and the room's queue, the participants table (the TUI's own
 * participant marked ★, one serving through a tunnel ⇄; requests in flight over the hub's limit, a 429's cooldown counting down
 * in STATUS), and the live activity log, newest at the bottom, or (key `u`) the room's usage
 * ledger in its place (usage-table.ts). The table gets up to half the body, the log the rest.
 */
import { Box } from "ink";
import { activeText, formatMs, median, queueText, statusText, type ParticipantRow } from "../room-state.ts";
import type { AppState } from "../state.ts";
import { columns, width } from "../text.ts";
import { Line } from "./theme.tsx";
import { usageLines } from "../usage-table.ts";

const HEAD = ["NICKNAME", "MODEL", "STATUS", "PROTOCOLS", "ACTIVE", "SERVED", "TTFT", "TOK/S"];

/** STATUS, PROTOCOLS and ACTIVE grow to what their cells say (a cooldown, all three protocols, a lowered limit), up to these. */
const GROWS: Record<number, number> = { 2: 11, 3: 13, 4: 14 };

/**
 * Column widths: fixed ones, STATUS, PROTOCOLS and ACTIVE as wide as their longest cell (`rows`) within
 * bounds, and the model column takes what they leave (two spaces between columns), at least 8.
 */
export function participantWidths(cols: number, rows: string[][] = []): number[] {
  const fixed = [12, 0, 9, 9, 6, 6, 6, 6];
  for (const [i, most] of Object.entries(GROWS)) {
    const at = Number(i);
    for (const r of rows) fixed[at] = Math.min(most, Math.max(fixed[at]!, width(r[at] ?? "")));
  }
  const used = fixed.reduce((a, b) => a + b, 0) + 2 * (fixed.length - 1);
  // Short of room for an 8-column model, the nickname gives up to 4 columns first.
  const short = Math.min(4, Math.max(0, used + 8 - cols));
  fixed[0] = fixed[0]! - short;
  fixed[1] = Math.max(8, cols - used + short);
  return fixed;
}

function cells(row: ParticipantRow, mine: boolean, now: number): string[] {
  const protocols = [row.protocols.includes("chat") ? "chat" : "", row.protocols.includes("responses") ? "resp" : "", row.protocols.includes("messages") ? "msg" : ""].filter(Boolean).join("+") || "–";
  return [
    `${mine ? "★ " : ""}${row.tunnel ? "⇄ " : ""}${row.nickname}`,
    row.model,
    statusText(row, now),
    protocols,
    activeText(row),
    String(row.served),
    row.lastTtftMs === undefined ? "–" : formatMs(row.lastTtftMs),
    row.lastTokensPerSecond === undefined ? "–" : row.lastTokensPerSecond.toFixed(1),
  ];
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

export function Room({ s, cols, height }: { s: AppState; cols: number; height: number }) {
  const r = s.room;
  if (!r) return null;
  const p50 = median(r.ttftsMs);
  const tps = median(r.tokensPerSecond);
  const queue = queueText(r);
  const mine = s.session?.code === r.code ? s.session.id : undefined;
  const head = 3 + (r.notice ? 1 : 0) + (r.participants.length === 0 ? 1 : 0);
  const tableRows = Math.max(1, Math.min(r.participants.length, Math.floor(height / 2) - head));
  const more = r.participants.length > tableRows ? 1 : 0;
  const logRoom = Math.max(0, height - head - Math.min(tableRows, r.participants.length) - more - 1);
  const entries = logRoom > 0 && !r.showUsage ? r.log.slice(-logRoom) : [];
  const usage = r.showUsage ? (r.usageError ? [r.usageError] : r.usage ? usageLines(r.usage).slice(1) : ["reading the ledger…"]).slice(0, logRoom) : [];
  const shown = r.participants.slice(0, tableRows).map((row) => ({ row, texts: cells(row, row.id === mine, s.now) }));
  const w = participantWidths(cols, shown.map((x) => x.texts));
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Room ${r.code} · ${r.name}`}</Line>
      <Line>{`since opened: requests ${r.requests} · errors ${r.errors} · p50 TTFT ${p50 === undefined ? "–" : formatMs(p50)} · tokens/s ${tps === undefined ? "–" : tps.toFixed(1)}${queue ? ` · ${queue}` : ""}`}</Line>
      {r.notice ? <Line tone="red">{r.notice}</Line> : null}
      <Line tone="dim">{columns(HEAD, w)}</Line>
      {r.participants.length === 0 ? <Line>{`  no participants yet: j joins this room`}</Line> : null}
      {shown.map(({ row, texts }) => (
        <Line key={row.id} tone={texts[2] !== "online" ? "yellow" : row.id === mine && "cyan"}>
          {columns(texts, w)}
        </Line>
      ))}
      {more ? <Line tone="dim">{`  … ${r.participants.length - tableRows} more`}</Line> : null}
      <Line tone="bold">{r.showUsage ? `Usage${r.usage ? ` since ${r.usage.since.slice(0, 16).replace("T", " ")} UTC` : ""}` : "Activity"}</Line>
      {usage.map((line, i) => (
        <Line key={`u-${i}`} tone={r.usageError ? "red" : undefined}>
          {line}
        </Line>
      ))}
      {entries.length === 0 && logRoom > 0 && !r.showUsage ? <Line tone="dim">{"  waiting for requests…"}</Line> : null}
      {entries.map((e, i) => (
        <Line key={`${e.at}-${i}`} tone={e.level === "error" && "red"}>{`${clock(e.at)} ${e.text}`}</Line>
      ))}
    </Box>
  );
}
