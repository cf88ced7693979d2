/**
 * The room view: totals, the participants table (the TUI's own participant marked), and the
 * live activity log, newest at the bottom. The table gets up to half the body, the log the rest.
 */
import { Box } from "ink";
import { formatMs, median, type ParticipantRow } from "../room-state.ts";
import type { AppState } from "../state.ts";
import { columns } from "../text.ts";
import { Line } from "./theme.tsx";

const HEAD = ["NICKNAME", "MODEL", "STATUS", "PROTOCOLS", "ACTIVE", "SERVED", "TTFT", "TOK/S"];

/** Column widths: the model column takes what the fixed ones leave (two spaces between columns). */
export function participantWidths(cols: number): number[] {
  const fixed = [12, 0, 9, 9, 7, 6, 6, 6];
  const used = fixed.reduce((a, b) => a + b, 0) + 2 * (fixed.length - 1);
  fixed[1] = Math.max(8, cols - used);
  return fixed;
}

function cells(row: ParticipantRow, mine: boolean): string[] {
  const protocols = [row.protocols.includes("chat") ? "chat" : "", row.protocols.includes("responses") ? "resp" : ""].filter(Boolean).join("+") || "–";
  return [
    `${mine ? "★ " : ""}${row.nickname}`,
    row.model,
    row.status,
    protocols,
    row.maxConcurrency === undefined ? String(row.inFlight) : `${row.inFlight}/${row.maxConcurrency}`,
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
  const w = participantWidths(cols);
  const mine = s.session?.code === r.code ? s.session.id : undefined;
  const head = 3 + (r.notice ? 1 : 0) + (r.participants.length === 0 ? 1 : 0);
  const tableRows = Math.max(1, Math.min(r.participants.length, Math.floor(height / 2) - head));
  const more = r.participants.length > tableRows ? 1 : 0;
  const logRoom = Math.max(0, height - head - Math.min(tableRows, r.participants.length) - more - 1);
  const entries = logRoom > 0 ? r.log.slice(-logRoom) : [];
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Room ${r.code} · ${r.name}`}</Line>
      <Line>{`requests ${r.requests} · errors ${r.errors} · p50 TTFT ${p50 === undefined ? "–" : formatMs(p50)} · tokens/s ${tps === undefined ? "–" : tps.toFixed(1)}`}</Line>
      {r.notice ? <Line tone="red">{r.notice}</Line> : null}
      <Line tone="dim">{columns(HEAD, w)}</Line>
      {r.participants.length === 0 ? <Line>{`  no participants yet: j joins this room`}</Line> : null}
      {r.participants.slice(0, tableRows).map((row) => (
        <Line key={row.id} tone={row.status !== "online" ? "yellow" : row.id === mine && "cyan"}>
          {columns(cells(row, row.id === mine), w)}
        </Line>
      ))}
      {more ? <Line tone="dim">{`  … ${r.participants.length - tableRows} more`}</Line> : null}
      <Line tone="bold">Activity</Line>
      {entries.length === 0 && logRoom > 0 ? <Line tone="dim">{"  waiting for requests…"}</Line> : null}
      {entries.map((e, i) => (
        <Line key={`${e.at}-${i}`} tone={e.level === "error" && "red"}>{`${clock(e.at)} ${e.text}`}</Line>
      ))}
    </Box>
  );
}
