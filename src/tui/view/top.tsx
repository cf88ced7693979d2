/** The three lines on top of every screen: the hub, its status, and the session this TUI runs. */
import { Box } from "ink";
import { STATE_WORDS } from "../../join/status.ts";
import type { HubStatus, SessionView } from "../state.ts";
import { Line } from "./theme.tsx";

export function formatUptime(s: number): string {
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function hubStatusText(h: HubStatus, now: number): string {
  if (h.state === "up") return `● reachable · version ${h.version ?? "?"} · up ${formatUptime(h.uptimeS ?? 0)}`;
  if (h.state === "checking") return "○ connecting…";
  const retry = h.retryAt !== undefined ? ` · retrying in ${Math.max(0, Math.ceil((h.retryAt - now) / 1000))}s (r: now)` : "";
  return `○ unreachable${retry} · ${h.error ?? ""}`;
}

export function sessionText(s: SessionView): string {
  const notice = s.state !== "joined" && s.notice ? ` · ${s.notice}` : "";
  const via = s.tunnel ? " through a tunnel" : "";
  return `${s.state === "joined" ? "●" : "○"} you: ${s.nickname} serving ${[...s.models, ...(s.embeddingModels ?? []).map((m) => `${m} (embeddings)`)].join(", ")} in room ${s.code}${via} · ${STATE_WORDS[s.state]}${notice}`;
}

export function Top({ hub, session, now }: { hub: HubStatus; session?: SessionView; now: number }) {
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`gambi · hub ${hub.url}${hub.foundAs !== undefined ? ` · "${hub.foundAs}", found on the local network` : ""}`}</Line>
      <Line tone={hub.state === "up" ? "green" : hub.state === "down" ? "red" : "yellow"}>{hubStatusText(hub, now)}</Line>
      <Line tone={session && (session.state === "joined" ? "cyan" : "yellow")}>{session ? sessionText(session) : ""}</Line>
    </Box>
  );
}
