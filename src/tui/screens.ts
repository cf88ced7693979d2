/**
 * Every screen as a pure function: app state + terminal size → exactly `rows` lines of exactly
 * `cols` columns. Layout: the hub status on top, the screen's body, key hints on the last line.
 * Colour is applied after fitting (escape codes take no columns), so NO_COLOR changes nothing
 * but the escapes.
 */
import type { PublicRoom } from "../client.ts";
import { formatMs, median, type RoomView } from "./room-state.ts";
import { columns, fit, type Palette } from "./text.ts";

export interface HubStatus {
  url: string;
  state: "checking" | "up" | "down";
  version?: string;
  uptimeS?: number;
  error?: string;
  /** When the next automatic retry happens (ms since the epoch), while the hub is down. */
  retryAt?: number;
}

export type Screen = "rooms" | "room" | "password";

export interface AppState {
  hub: HubStatus;
  rooms?: PublicRoom[];
  roomsError?: string;
  selected: number;
  screen: Screen;
  room?: RoomView & { name: string };
  /** The room password being typed: only its length is ever drawn. */
  passwordInput: string;
  passwordFor?: PublicRoom;
}

export interface View {
  cols: number;
  rows: number;
  palette: Palette;
  now: number;
}

export const HINTS: Record<Screen, string> = {
  rooms: "↑/↓ select · enter open · r refresh · q quit",
  room: "esc back to rooms · q quit",
  password: "type the room password · enter open · esc back",
};

export function formatUptime(s: number): string {
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** The hub status block: two lines. */
export function renderHubStatus(h: HubStatus, v: View): string[] {
  const p = v.palette;
  const title = fit(`gambi · hub ${h.url}`, v.cols);
  let status: string;
  if (h.state === "up") status = p.green(fit(`● reachable · version ${h.version ?? "?"} · up ${formatUptime(h.uptimeS ?? 0)}`, v.cols));
  else if (h.state === "checking") status = p.yellow(fit("○ connecting…", v.cols));
  else {
    const retry = h.retryAt !== undefined ? ` · retrying in ${Math.max(0, Math.ceil((h.retryAt - v.now) / 1000))}s (r: now)` : "";
    status = p.red(fit(`○ unreachable${retry} · ${h.error ?? ""}`, v.cols));
  }
  return [p.bold(title), status];
}

export function renderRooms(s: AppState, v: View, height: number): string[] {
  const p = v.palette;
  if (!s.rooms) return [fit(s.roomsError ?? (s.hub.state === "down" ? "waiting for the hub…" : "loading rooms…"), v.cols)];
  const lines = [p.bold(fit(`Rooms (${s.rooms.length})`, v.cols))];
  if (s.roomsError) lines.push(p.red(fit(s.roomsError, v.cols)));
  if (s.rooms.length === 0) lines.push(fit("  no rooms yet (gambi create --name ...)", v.cols));
  const widths = [2, 8, Math.max(8, v.cols - 2 - 8 - 16 - 10 - 8), 16, 10];
  const visible = Math.max(1, height - lines.length);
  const first = Math.min(Math.max(0, s.selected - visible + 1), Math.max(0, s.rooms.length - visible));
  s.rooms.slice(first, first + visible).forEach((r, i) => {
    const chosen = first + i === s.selected;
    const n = r.participantCount;
    const row = fit(columns([chosen ? "›" : "", r.code, r.name, `${n} participant${n === 1 ? "" : "s"}`, r.passwordProtected ? "password" : ""], widths), v.cols);
    lines.push(chosen ? p.inverse(row) : row);
  });
  return lines;
}

export function renderRoom(s: AppState, v: View, height: number): string[] {
  const p = v.palette;
  const r = s.room;
  if (!r) return [];
  const p50 = median(r.ttftsMs);
  const tps = median(r.tokensPerSecond);
  const lines = [
    p.bold(fit(`Room ${r.code} · ${r.name}`, v.cols)),
    fit(`requests ${r.requests} · errors ${r.errors} · p50 TTFT ${p50 === undefined ? "–" : formatMs(p50)} · tokens/s ${tps === undefined ? "–" : tps.toFixed(1)}`, v.cols),
  ];
  if (r.notice) lines.push(p.red(fit(r.notice, v.cols)));
  const w = [14, Math.max(10, v.cols - 14 - 10 - 15 - 9 - 8), 10, 15, 9];
  lines.push(p.dim(fit(columns(["NICKNAME", "MODEL", "STATUS", "PROTOCOLS", "SERVED"], w), v.cols)));
  if (r.participants.length === 0) lines.push(fit("  no participants yet (gambi join --code " + r.code + ")", v.cols));
  // The participants table gets up to half the body; the activity log the rest.
  const tableRows = Math.max(1, Math.min(r.participants.length, Math.floor(height / 2) - lines.length));
  for (const row of r.participants.slice(0, tableRows)) {
    const status = row.inFlight ? `${row.status} (${row.inFlight})` : row.status;
    const text = fit(columns([row.nickname, row.model, status, row.protocols.join("+") || "–", String(row.served)], w), v.cols);
    lines.push(row.status === "online" ? text : p.yellow(text));
  }
  if (r.participants.length > tableRows) lines.push(p.dim(fit(`  … ${r.participants.length - tableRows} more`, v.cols)));
  lines.push(p.bold(fit("Activity", v.cols)));
  const room = Math.max(0, height - lines.length);
  const entries = r.log.slice(-room || r.log.length);
  if (entries.length === 0 && room > 0) lines.push(p.dim(fit("  waiting for requests…", v.cols)));
  for (const e of room > 0 ? entries : []) {
    const text = fit(`${clock(e.at)} ${e.text}`, v.cols);
    lines.push(e.level === "error" ? p.red(text) : text);
  }
  return lines.slice(0, height);
}

export function renderPassword(s: AppState, v: View): string[] {
  const room = s.passwordFor;
  return [
    v.palette.bold(fit(`Room ${room?.code ?? "?"} · ${room?.name ?? ""} is protected`, v.cols)),
    fit("", v.cols),
    fit(`Password: ${"•".repeat(s.passwordInput.length)}`, v.cols),
  ];
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** The whole screen: hub status, a blank line, the body, key hints on the last row. */
export function renderApp(s: AppState, v: View): string[] {
  const top = [...renderHubStatus(s.hub, v), fit("", v.cols)];
  const height = Math.max(0, v.rows - top.length - 1);
  const body = s.screen === "room" ? renderRoom(s, v, height) : s.screen === "password" ? renderPassword(s, v) : renderRooms(s, v, height);
  const filler = Array.from({ length: Math.max(0, height - body.length) }, () => fit("", v.cols));
  return [...top, ...body.slice(0, height), ...filler, v.palette.dim(fit(HINTS[s.screen], v.cols))].slice(0, v.rows);
}
