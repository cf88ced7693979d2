/** The TUI's screens as pure functions: fake state in, 80-column NO_COLOR lines out. */
import { describe, expect, test } from "bun:test";
import type { PublicRoom } from "../../src/client.ts";
import { parseKeys } from "../../src/tui/keys.ts";
import { applyEvent, initialRoomView, median } from "../../src/tui/room-state.ts";
import { renderApp, renderHubStatus, type AppState, type View } from "../../src/tui/screens.ts";
import { COLOR, fit, paletteFor, PLAIN } from "../../src/tui/text.ts";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const view = (over: Partial<View> = {}): View => ({ cols: 80, rows: 24, palette: PLAIN, now: NOW, ...over });
const room = (code: string, name: string, participantCount: number, passwordProtected = false): PublicRoom => ({ id: code, code, name, createdAt: 0, passwordProtected, participantCount, defaults: {} });
const base = (over: Partial<AppState> = {}): AppState => ({ hub: { url: "http://hub:3000", state: "up", version: "0.1.0", uptimeS: 3725 }, selected: 0, screen: "rooms", passwordInput: "", ...over });
const participant = (id: string, nickname: string, over: Record<string, unknown> = {}) => ({ id, nickname, model: "llama3.2", status: "online", health: "healthy", capabilities: { chatCompletions: true, responses: false }, ...over });

function expectShape(lines: string[], cols = 80, rows = 24) {
  expect(lines).toHaveLength(rows);
  for (const l of lines) expect(Bun.stringWidth(l)).toBe(cols);
  expect(lines.join("")).not.toContain("\x1b");
}

describe("hub status", () => {
  test("reachable: version and uptime", () => {
    const [title, status] = renderHubStatus(base().hub, view());
    expect(title).toContain("hub http://hub:3000");
    expect(status!.trimEnd()).toBe("● reachable · version 0.1.0 · up 1h 2m");
  });
  test("unreachable: the error and the retry countdown", () => {
    const [, status] = renderHubStatus({ url: "http://hub:3000", state: "down", error: "connection refused", retryAt: NOW + 4200 }, view());
    expect(status).toContain("○ unreachable · retrying in 5s (r: now) · connection refused");
  });
  test("while the hub is down the rooms list waits for it", () => {
    const lines = renderApp(base({ hub: { url: "http://h", state: "down", error: "refused" } }), view());
    expectShape(lines);
    expect(lines[3]).toContain("waiting for the hub");
  });
});

describe("rooms list", () => {
  const rooms = [room("K7QX2M", "team", 2), room("AB12CD", "secret", 1, true), room("ZZ99ZZ", "empty", 0)];
  test("codes, names, counts, the protected mark; the selection is marked; key hints last", () => {
    const lines = renderApp(base({ rooms, selected: 1 }), view());
    expectShape(lines);
    expect(lines[3]!.trimEnd()).toBe("Rooms (3)");
    expect(lines[4]).toMatch(/^ {4}K7QX2M\s+team\s+2 participants/);
    expect(lines[5]).toMatch(/^› {3}AB12CD\s+secret\s+1 participant\s+password/);
    expect(lines[6]).toMatch(/ZZ99ZZ\s+empty\s+0 participants/);
    expect(lines[23]).toContain("↑/↓ select · enter open · r refresh · q quit");
  });
  test("no rooms yet", () => {
    expect(renderApp(base({ rooms: [] }), view()).join("\n")).toContain("no rooms yet");
  });
  test("more rooms than rows: the selected one stays visible", () => {
    const many = Array.from({ length: 40 }, (_, i) => room(`R${String(i).padStart(5, "0")}`, `room ${i}`, i));
    const lines = renderApp(base({ rooms: many, selected: 39 }), view());
    expectShape(lines);
    expect(lines.some((l) => l.startsWith("›") && l.includes("R00039"))).toBe(true);
  });
  test("colour only without NO_COLOR, and it takes no columns", () => {
    expect(paletteFor({ NO_COLOR: "1" })).toBe(PLAIN);
    expect(paletteFor({})).toBe(COLOR);
    const lines = renderApp(base({ rooms, selected: 0 }), view({ palette: COLOR }));
    expect(lines.join("")).toContain("\x1b[7m");
    const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
    for (const l of lines) expect(Bun.stringWidth(strip(l))).toBe(80);
  });
});

describe("room view", () => {
  function liveRoom() {
    let v = initialRoomView("K7QX2M");
    v = applyEvent(v, { type: "connected", data: { participants: [participant("a", "alice"), participant("b", "bob", { model: "gpt-4o-mini", status: "offline", capabilities: { chatCompletions: true, responses: true } })] } }, NOW);
    v = applyEvent(v, { type: "llm.request", timestamp: NOW, data: { participantId: "a", nickname: "alice", model: "llama3.2", protocol: "chat" } }, NOW);
    v = applyEvent(v, { type: "llm.complete", timestamp: NOW, data: { participantId: "a", nickname: "alice", metrics: { ttftMs: 120, tokensPerSecond: 40 } } }, NOW);
    v = applyEvent(v, { type: "llm.complete", timestamp: NOW, data: { participantId: "a", nickname: "alice", metrics: { ttftMs: 300, tokensPerSecond: 20 } } }, NOW);
    v = applyEvent(v, { type: "llm.error", timestamp: NOW, data: { participantId: "b", nickname: "bob", error: "upstream 401" } }, NOW);
    return v;
  }
  test("participants table, totals, activity log, key hints", () => {
    const lines = renderApp(base({ screen: "room", room: { ...liveRoom(), name: "team" } }), view());
    expectShape(lines);
    const text = lines.join("\n");
    expect(lines[3]!.trimEnd()).toBe("Room K7QX2M · team");
    expect(lines[4]!.trimEnd()).toBe("requests 3 · errors 1 · p50 TTFT 210 ms · tokens/s 30.0");
    expect(lines[5]).toMatch(/^NICKNAME\s+MODEL\s+STATUS\s+PROTOCOLS\s+SERVED/);
    expect(lines[6]).toMatch(/^alice\s+llama3\.2\s+online\s+chat\s+2/);
    expect(lines[7]).toMatch(/^bob\s+gpt-4o-mini\s+offline\s+chat\+responses\s+0/);
    expect(text).toContain("→ alice llama3.2 chat");
    expect(text).toContain("✓ alice done · TTFT 120 ms · 40.0 tok/s");
    expect(text).toContain("✗ bob upstream 401");
    expect(lines[23]).toContain("esc back to rooms · q quit");
  });
  test("a long log shows its newest entries and still fits 80×24", () => {
    let v = liveRoom();
    for (let i = 0; i < 50; i++) v = applyEvent(v, { type: "llm.error", timestamp: NOW, data: { participantId: "a", nickname: "alice", error: `err ${i} ${"x".repeat(100)}` } }, NOW);
    const lines = renderApp(base({ screen: "room", room: { ...v, name: "team" } }), view());
    expectShape(lines);
    expect(lines[22]).toContain("err 49");
    expect(lines[22]!.trimEnd().endsWith("…")).toBe(true);
  });
  test("resize: the same state redrawn at 120×40 and at 40×10", () => {
    const s = base({ screen: "room", room: { ...liveRoom(), name: "team" } });
    expectShape(renderApp(s, view({ cols: 120, rows: 40 })), 120, 40);
    expectShape(renderApp(s, view({ cols: 40, rows: 10 })), 40, 10);
  });
  test("participants leave, come and go offline", () => {
    let v = liveRoom();
    v = applyEvent(v, { type: "participant.left", data: { participantId: "b", nickname: "bob" } }, NOW);
    v = applyEvent(v, { type: "participant.joined", data: { participant: participant("c", "carol") } }, NOW);
    expect(v.participants.map((p) => p.nickname)).toEqual(["alice", "carol"]);
    expect(v.participants[0]!.served).toBe(2);
  });
  test("password prompt shows only dots", () => {
    const lines = renderApp(base({ screen: "password", passwordFor: room("AB12CD", "secret", 1, true), passwordInput: "hunter2" }), view());
    expectShape(lines);
    expect(lines.join("\n")).toContain("Password: •••••••");
    expect(lines.join("\n")).not.toContain("hunter2");
  });
});

test("keys, fit and median", () => {
  expect(parseKeys("\x1b[A\x1b[Bq\r\x03\x1b\x7f")).toEqual(["up", "down", { char: "q" }, "enter", "ctrl-c", "escape", "backspace"]);
  expect(fit("日本語テキスト", 6)).toBe("日本… ");
  expect(Bun.stringWidth(fit("日本語テキスト", 6))).toBe(6);
  expect(median([3, 1, 2])).toBe(2);
  expect(median([])).toBeUndefined();
});
