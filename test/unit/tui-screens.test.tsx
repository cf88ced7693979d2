/**
 * Every TUI screen rendered by Ink (renderToString) from fake state: what it shows, that it is
 * exactly rows-1 lines no wider than the terminal at 80×24 and other sizes, and that NO_COLOR
 * leaves no escape code while colour adds some without taking columns.
 */
import chalk from "chalk";
import { renderToString } from "ink";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PublicRoom } from "../../src/client.ts";
import { newCreateForm } from "../../src/tui/create-form.ts";
import { newJoinForm, type JoinForm } from "../../src/tui/join-form.ts";
import { applyEvent, initialRoomView, withRoom } from "../../src/tui/room-state.ts";
import { initialState, type AppState } from "../../src/tui/state.ts";
import { Screen } from "../../src/tui/view/screen.tsx";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const ESC = "\x1b";

function draw(s: AppState, size = { cols: 80, rows: 24 }, colour = false): string[] {
  return renderToString(<Screen s={s} size={size} colour={colour} />, { columns: size.cols }).split("\n");
}

function expectShape(lines: string[], cols = 80, rows = 24) {
  expect(lines).toHaveLength(rows - 1);
  for (const l of lines) expect(Bun.stringWidth(l.replace(/\x1b\[[0-9;]*m/g, ""))).toBeLessThanOrEqual(cols);
}

const room = (code: string, name: string, participantCount: number, passwordProtected = false): PublicRoom => ({ id: code, code, name, createdAt: 0, passwordProtected, participantCount, defaults: {} });
const base = (over: Partial<AppState> = {}): AppState => ({ ...initialState("http://hub:3000", NOW), hub: { url: "http://hub:3000", state: "up", version: "0.1.0", uptimeS: 3725 }, ...over });
const participant = (id: string, nickname: string, over: Record<string, unknown> = {}) => ({ id, nickname, model: "llama3.2", status: "online", health: "healthy", capabilities: { chatCompletions: true, responses: false }, ...over });

// Colour is Chalk's to emit: a test runner is no terminal, so the level is set by hand here.
let level: typeof chalk.level;
beforeAll(() => {
  level = chalk.level;
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = level;
});

describe("hub status", () => {
  test("reachable: version and uptime; checking; unreachable with the retry countdown", () => {
    expect(draw(base())[1]).toBe("● reachable · version 0.1.0 · up 1h 2m");
    expect(draw(base({ hub: { url: "http://h", state: "checking" } }))[1]).toBe("○ connecting…");
    const lines = draw(base({ hub: { url: "http://h", state: "down", error: "connection refused", retryAt: NOW + 4200 } }));
    expectShape(lines);
    expect(lines[1]).toBe("○ unreachable · retrying in 5s (r: now) · connection refused");
    expect(lines[3]).toBe("waiting for the hub…");
  });
  test("a hub found on the local network shows the name it was announced under, on top", () => {
    const lines = draw(base({ hub: { url: "http://192.168.1.20:3000", foundAs: "kitchen", state: "up", version: "0.1.0", uptimeS: 5 } }), { cols: 120, rows: 24 });
    expect(lines[0]).toBe('gambi · hub http://192.168.1.20:3000 · "kitchen", found on the local network');
    expectShape(draw(base({ hub: { url: "http://192.168.1.20:3000", foundAs: "k".repeat(200), state: "checking" } })));
  });
  test("the session this TUI runs is on the third line, on every screen", () => {
    const session = { code: "K7QX2M", id: "p1", nickname: "alice", models: ["llama3.2"], state: "hub-unreachable" as const, notice: "fetch failed; retrying with backoff" };
    expect(draw(base({ session, rooms: [] }))[2]).toBe("○ you: alice serving llama3.2 in room K7QX2M · hub unreachable, retrying · fetc…");
    expect(draw(base({ session, rooms: [] }), { cols: 120, rows: 24 })[2]).toBe("○ you: alice serving llama3.2 in room K7QX2M · hub unreachable, retrying · fetch failed; retrying with backoff");
    expect(draw(base({ session: { ...session, state: "joined" }, rooms: [] }))[2]).toBe("● you: alice serving llama3.2 in room K7QX2M · online");
    expect(draw(base({ session: { ...session, models: ["llama3.2", "qwen2.5"], state: "joined" }, rooms: [] }))[2]).toBe("● you: alice serving llama3.2, qwen2.5 in room K7QX2M · online");
    expect(draw(base({ session: { ...session, state: "joined", tunnel: true }, rooms: [] }))[2]).toBe("● you: alice serving llama3.2 in room K7QX2M through a tunnel · online");
    expect(draw(base({ session: { ...session, state: "joined", embeddingModels: ["nomic-embed"] }, rooms: [] }))[2]).toBe("● you: alice serving llama3.2, nomic-embed (embeddings) in room K7QX2M · online");
  });
});

describe("rooms list", () => {
  const rooms = [room("K7QX2M", "team", 2), room("AB12CD", "secret", 1, true), room("ZZ99ZZ", "empty", 0)];
  test("codes, names, counts, the protected mark; the selection is marked; key hints last", () => {
    const lines = draw(base({ rooms, selected: 1 }));
    expectShape(lines);
    expect(lines[3]).toBe("Rooms (3)");
    expect(lines[4]).toMatch(/^ {4}K7QX2M\s+team\s+2 participants$/);
    expect(lines[5]).toMatch(/^› {3}AB12CD\s+secret\s+1 participant\s+password$/);
    expect(lines[6]).toMatch(/ZZ99ZZ\s+empty\s+0 participants/);
    expect(lines[22]).toBe("↑/↓ select · enter open · j join · c create · r refresh · q quit");
  });
  test("no rooms yet; the last action's message above the hints", () => {
    const lines = draw(base({ rooms: [], flash: { text: "created room K7QX2M", level: "info" } }));
    expect(lines.join("\n")).toContain("no rooms yet: c creates one");
    expect(lines[21]).toBe("created room K7QX2M");
  });
  test("more rooms than rows: the selected one stays visible", () => {
    const many = Array.from({ length: 40 }, (_, i) => room(`R${String(i).padStart(5, "0")}`, `room ${i}`, i));
    const lines = draw(base({ rooms: many, selected: 39 }));
    expectShape(lines);
    expect(lines.some((l) => l.startsWith("›") && l.includes("R00039"))).toBe(true);
  });
  test("NO_COLOR: no escape codes at all; with colour, escapes that take no columns", () => {
    const plain = draw(base({ rooms, selected: 0 }));
    expect(plain.join("")).not.toContain(ESC);
    const coloured = draw(base({ rooms, selected: 0 }), { cols: 80, rows: 24 }, true);
    expect(coloured.join("")).toContain(`${ESC}[7m`); // the selection, inverse
    expect(coloured.join("")).toContain(`${ESC}[32m`); // reachable, green
    expectShape(coloured);
    expect(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trimEnd())).toEqual(plain);
  });
});

describe("room view", () => {
  function liveRoom() {
    let v = initialRoomView("K7QX2M");
    v = applyEvent(v, { type: "connected", data: { participants: [participant("a", "alice"), participant("b", "bob", { model: "gpt-4o-mini", status: "offline", capabilities: { chatCompletions: true, responses: true } })] } }, NOW);
    v = applyEvent(v, { type: "llm.request", timestamp: NOW, data: { participantId: "a", nickname: "alice", model: "llama3.2", protocol: "chat" } }, NOW);
    v = applyEvent(v, { type: "llm.complete", timestamp: NOW, data: { participantId: "a", nickname: "alice", metrics: { ttftMs: 120, tokensPerSecond: 40 } } }, NOW);
    v = applyEvent(v, { type: "llm.complete", timestamp: NOW, data: { participantId: "a", nickname: "alice", metrics: { ttftMs: 300, tokensPerSecond: 20 } } }, NOW);
    v = applyEvent(v, { type: "llm.error", timestamp: NOW, data: { participantId: "b", nickname: "bob", stage: "upstream", error: "upstream 401" } }, NOW);
    return { ...v, name: "team" };
  }
  test("participants table with last TTFT and tok/s, totals, activity log, key hints", () => {
    const lines = draw(base({ screen: "room", room: liveRoom() }));
    expectShape(lines);
    const text = lines.join("\n");
    expect(lines[3]).toBe("Room K7QX2M · team");
    expect(lines[4]).toBe("since opened: requests 3 · errors 1 · p50 TTFT 210 ms · tokens/s 30.0");
    expect(lines[5]).toMatch(/^NICKNAME\s+MODEL\s+STATUS\s+PROTOCOLS\s+ACTIVE\s+SERVED\s+TTFT\s+TOK\/S$/);
    expect(lines[6]).toMatch(/^alice\s+llama3\.2\s+online\s+chat\s+0\s+2\s+300 ms\s+20\.0$/);
    expect(lines[7]).toMatch(/^bob\s+gpt-4o-mini\s+offline\s+chat\+resp\s+0\s+0\s+–\s+–$/);
    expect(text).toContain("→ alice llama3.2 chat");
    expect(text).toContain("✓ alice done · TTFT 120 ms · 40.0 tok/s");
    expect(text).toContain("✗ bob [upstream] upstream 401");
    expect(lines[22]).toBe("esc rooms · j join this room · u usage · q quit");
  });
  test("a participant that speaks all three protocols, or Messages alone: the PROTOCOLS column grows to say so", () => {
    let v = initialRoomView("K7QX2M");
    const all = { chatCompletions: true, responses: true, messages: true };
    v = applyEvent(v, { type: "connected", data: { participants: [participant("a", "llama", { capabilities: all }), participant("b", "claude", { capabilities: { chatCompletions: false, responses: false, messages: true } })] } }, NOW);
    const lines = draw(base({ screen: "room", room: { ...v, name: "team" } }));
    expectShape(lines);
    expect(lines[6]).toMatch(/^llama\s+llama3\.2\s+online\s+chat\+resp\+msg\s+0\s/);
    expect(lines[7]).toMatch(/^claude\s+llama3\.2\s+online\s+msg\s+0\s/);
  });
  test("u: the room's usage ledger in place of the activity log, estimates marked; an error said", () => {
    const usage = {
      room: "K7QX2M",
      since: "2025-01-01T11:00:00.000Z",
      participants: [
        { participantId: "a", nickname: "alice", model: "llama3.2", requests: 12, errors: 1, inputTokens: 1200, outputTokens: 3400, estimatedInputTokens: 0, estimatedOutputTokens: 0, meanTtftMs: 210.5, tokensPerSecond: 42.1 },
        { participantId: "b", nickname: "bob", model: "gpt-4o-mini", requests: 2, errors: 0, inputTokens: 30, outputTokens: 40, estimatedInputTokens: 30, estimatedOutputTokens: 40, meanTtftMs: null, tokensPerSecond: null },
      ],
      callers: [
        { caller: "caller-3f2a1c9b", model: "llama3.2", requests: 5, errors: 1, inputTokens: 500, outputTokens: 900, estimatedInputTokens: 0, estimatedOutputTokens: 0 },
        { caller: "caller-3f2a1c9b", model: "", requests: 3, errors: 2, inputTokens: 0, outputTokens: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0 },
        // A hub from before callers' errors were counted: the cell stays empty.
        { caller: "caller-00aa11bb", model: "qwen", requests: 1, inputTokens: 1, outputTokens: 1, estimatedInputTokens: 0, estimatedOutputTokens: 0 },
      ],
      totals: { requests: 14, errors: 1, inputTokens: 1230, outputTokens: 3440, estimatedInputTokens: 30, estimatedOutputTokens: 40 },
    };
    const lines = draw(base({ screen: "room", room: { ...liveRoom(), showUsage: true, usage } }), { cols: 80, rows: 40 });
    expectShape(lines, 80, 40);
    const text = lines.join("\n");
    expect(text).toContain("Usage since 2025-01-01 11:00 UTC");
    expect(text).not.toContain("→ alice llama3.2 chat");
    expect(text).toMatch(/alice \(a\)\s+llama3\.2\s+12\s+1\s+1,200\s+3,400\s+211ms\s+42\.1/);
    expect(text).toMatch(/bob \(b\)\s+gpt-4o-mi…\s+2\s+0\s+~30\s+~40\s+—\s+—/);
    expect(text).toMatch(/CALLER\s+MODEL\s+REQS\s+ERRS\s+IN\s+OUT/);
    expect(text).toMatch(/caller-3f2a1c9b\s+llama3\.2\s+5\s+1\s+500\s+900/);
    expect(text).toMatch(/caller-3f2a1c9b\s+\(unserved\)\s+3\s+2\s+0\s+0/);
    expect(text).toMatch(/caller-00aa11bb\s+qwen\s+1\s{3,}1\s+1/);
    expect(text).toContain("total: 14 requests, 1 errors, ~1,230 tokens in, ~3,440 tokens out");
    expect(text).toContain("~ includes the hub's estimate");
    expect(lines[38]).toBe("esc rooms · j join this room · u activity · q quit");
    const failed = draw(base({ screen: "room", room: { ...liveRoom(), showUsage: true, usageError: "this hub keeps no usage ledger (an older gambi)" } }));
    expectShape(failed);
    expect(failed.join("\n")).toContain("this hub keeps no usage ledger");
  });
  test("the TUI's own participant is starred, requests in flight counted, and l (leave) offered in its room", () => {
    const session = { code: "K7QX2M", id: "a", nickname: "alice", models: ["llama3.2"], state: "joined" as const };
    const busy = { ...liveRoom(), ...applyEvent(liveRoom(), { type: "llm.request", timestamp: NOW, data: { participantId: "a", nickname: "alice" } }, NOW) };
    const lines = draw(base({ screen: "room", room: busy, session }));
    expect(lines[6]).toMatch(/^★ alice\s+llama3\.2\s+online\s+chat\s+1\s+2\s/);
    expect(lines[22]).toBe("esc rooms · j join this room · l leave · u usage · q quit");
  });
  test("a participant serving through a tunnel is marked ⇄", () => {
    const v = applyEvent(initialRoomView("K7QX2M"), { type: "connected", data: { participants: [participant("t", "tina", { transport: "tunnel" }), participant("d", "dan")] } }, NOW);
    const lines = draw(base({ screen: "room", room: { ...v, name: "team" } }));
    expectShape(lines);
    expect(lines[6]).toMatch(/^⇄ tina\s+llama3\.2\s+online\s/);
    expect(lines[7]).toMatch(/^dan\s+llama3\.2\s+online\s/);
  });
  test("a participant's several models, and its capacity beside its requests in flight", () => {
    let v = initialRoomView("K7QX2M");
    v = applyEvent(v, { type: "connected", data: { participants: [participant("a", "alice", { model: "m1", models: ["m1", "m2"], maxConcurrency: 4 })] } }, NOW);
    v = applyEvent(v, { type: "llm.request", timestamp: NOW, data: { participantId: "a", nickname: "alice", model: "m2", protocol: "chat" } }, NOW);
    const lines = draw(base({ screen: "room", room: { ...v, name: "team" } }));
    expectShape(lines);
    expect(lines[6]).toMatch(/^alice\s+m1, m2\s+online\s+chat\s+1\/4\s+0\s/);
  });
  test("a lowered limit beside its maximum, a 429's cooldown counting down in STATUS, the room's queue on the totals line", () => {
    let v = initialRoomView("K7QX2M");
    const alice = participant("a", "alice", { maxConcurrency: 4, limit: 4, inFlight: 1 });
    v = applyEvent(v, { type: "connected", data: { participants: [alice, participant("b", "bob", { maxConcurrency: 2, limit: 2, inFlight: 0 })] } }, NOW);
    v = applyEvent(v, { type: "participant.updated", timestamp: NOW, data: { participant: { ...alice, limit: 2, cooldownUntil: NOW + 12_000 }, reason: "rate_limited", cooldownMs: 12_000 } }, NOW);
    v = withRoom(v, { queue: { waiting: 3, queueSize: 64, queueTimeoutMs: 120_000 } });
    const cooling = draw(base({ screen: "room", room: { ...v, name: "team" } }));
    expectShape(cooling);
    expect(cooling[4]).toBe("since opened: requests 0 · errors 0 · p50 TTFT – · tokens/s – · 3 waiting");
    expect(cooling[5]).toMatch(/^NICKNAME\s+MODEL\s+STATUS\s+PROTOCOLS\s+ACTIVE\s+SERVED\s+TTFT\s+TOK\/S$/);
    expect(cooling[6]).toMatch(/^alice\s+llama3\.2\s+cooling 12s\s+chat\s+1\/2 \(max 4\)\s+0\s+–\s+–$/);
    expect(cooling[7]).toMatch(/^bob\s+llama3\.2\s+online\s+chat\s+0\/2\s+0\s/);
    expect(cooling.join("\n")).toContain("alice answered 429: cooling down 12 s");
    // Eleven seconds on, the same state counts down; once over, the participant is online again.
    expect(draw(base({ screen: "room", room: { ...v, name: "team" }, now: NOW + 11_000 }))[6]).toMatch(/^alice\s+llama3\.2\s+cooling 1s\s/);
    expect(draw(base({ screen: "room", room: { ...v, name: "team" }, now: NOW + 12_000 }))[6]).toMatch(/^alice\s+llama3\.2\s+online\s+chat\s+1\/2 \(max 4\)\s/);
  });

  test("a long log shows its newest entries, each cut to one line", () => {
    let v = liveRoom();
    for (let i = 0; i < 50; i++) v = { ...v, ...applyEvent(v, { type: "llm.error", timestamp: NOW, data: { participantId: "a", nickname: "alice", error: `err ${i} ${"x".repeat(100)}` } }, NOW) };
    const lines = draw(base({ screen: "room", room: v }));
    expectShape(lines);
    expect(lines[20]).toContain("err 49");
    expect(lines[20]!.endsWith("…")).toBe(true);
    expect(lines[19]).toContain("err 48");
  });
  test("resize: the same state at 120×40 and at 40×10", () => {
    const s = base({ screen: "room", room: liveRoom() });
    expectShape(draw(s, { cols: 120, rows: 40 }), 120, 40);
    expectShape(draw(s, { cols: 40, rows: 10 }), 40, 10);
  });
  test("password prompt shows only dots", () => {
    const lines = draw(base({ screen: "password", passwordFor: room("AB12CD", "secret", 1, true), passwordInput: "hunter2" }));
    expectShape(lines);
    expect(lines.join("\n")).toContain("Password: •••••••");
    expect(lines.join("\n")).not.toContain("hunter2");
  });
});

describe("join flow", () => {
  const form = (over: Partial<JoinForm> = {}): JoinForm => ({ ...newJoinForm({ code: "K7QX2M", nickname: "brave-otter-42" }), ...over });
  test("the form, Advanced options folded", () => {
    const lines = draw(base({ screen: "join", join: form() }));
    expectShape(lines);
    expect(lines.slice(3, 11)).toEqual([
      "Join a room with your endpoint",
      "  Room code       K7QX2M",
      "› Provider        ‹ Ollama ›",
      "  Endpoint URL    http://localhost:11434",
      "  Transport       ‹ direct ›  the hub dials your endpoint",
      "  ▸ Advanced options (auth headers: 0)",
      "  Save profile as (optional)",
      "  [ Probe endpoint ]",
    ]);
  });
  test("the transport row: a tunnel says the keys stay here; a direct join of localhost to a remote hub is warned", () => {
    expect(draw(base({ screen: "join", join: form({ tunnel: true }) }))).toContain("  Transport       ‹ tunnel ›  you connect to the hub; your keys stay here");
    expect(draw(base({ screen: "join", join: form({ hubRemote: true }) }))).toContain("  Transport       ‹ direct ›  the hub cannot reach localhost: ←/→ tunnel");
  });
  test("Advanced options open: each entry is a header name and an env var name, marked set or missing", () => {
    const headers = [
      { name: "Authorization", env: "OPENAI_AUTH", ok: true },
      { name: "X-Org", env: "ORG_ID", problem: "ORG_ID is not set" },
    ];
    const lines = draw(base({ screen: "join", join: form({ advanced: true, headers, focus: "add" }) }));
    expectShape(lines);
    const text = lines.join("\n");
    expect(text).toContain("▾ Advanced options (auth headers: 2)");
    expect(text).toContain("Header 1        Authorization");
    expect(text).toMatch(/from env var\s+OPENAI_AUTH {2}✓ set/);
    expect(text).toMatch(/Header 2\s+X-Org/);
    expect(text).toMatch(/from env var\s+ORG_ID {2}✗ ORG_ID is not set/);
    expect(text).toContain("›     + add a header (name → environment variable)");
  });
  test("many headers in a short terminal: the focused row stays on screen", () => {
    const headers = Array.from({ length: 8 }, (_, i) => ({ name: `X-H${i}`, env: `V${i}` }));
    const lines = draw(base({ screen: "join", join: form({ advanced: true, headers, focus: "probe" }) }), { cols: 80, rows: 24 });
    expectShape(lines);
    expect(lines.join("\n")).toContain("› [ Probe endpoint ]");
  });
  test("the model list after the probe, filtered, picks numbered; then nickname, a masked room password and the capacity", () => {
    const probed = { endpoint: "http://gpu:8000", speaks: "Chat Completions", models: ["llama3.2", "llama3.1:8b", "qwen2.5"], concurrency: "4: llama.cpp's /props: 4 slots" };
    const models = draw(base({ screen: "join", join: form({ phase: "model", probed, modelFilter: "llama", modelIndex: 1 }) }));
    expectShape(models);
    expect(models[3]).toBe("Join room K7QX2M · http://gpu:8000 speaks Chat Completions · 3 models");
    expect(models[4]).toBe("› Models (type to filter, space picks): llama█");
    expect(models[5]).toBe("  enter takes the highlighted one; space picks several");
    expect(models.slice(6, 9)).toEqual(["      llama3.2", "›     llama3.1:8b", ""]);
    expect(models[22]).toBe("type to filter · ↑/↓ move · space pick (several) · enter choose · esc back");
    const picked = draw(base({ screen: "join", join: form({ phase: "model", probed, models: ["qwen2.5", "llama3.2", "mine"] }) }));
    expect(picked[5]).toBe("  picked: qwen2.5, llama3.2, mine (the first is the default) · not listed: mine");
    expect(picked.slice(6, 9)).toEqual(["› ✓2  llama3.2", "      llama3.1:8b", "  ✓1  qwen2.5"]);
    const details = draw(base({ screen: "join", join: form({ phase: "details", probed, models: ["qwen2.5"], passwordNeeded: true, password: "hunter2", focus: "password" }) }));
    expectShape(details);
    const text = details.join("\n");
    expect(text).toContain("Join room K7QX2M · http://gpu:8000 · model qwen2.5");
    expect(text).toContain("  Nickname        brave-otter-42");
    expect(text).toContain("› Room password   •••••••█");
    expect(text).toContain("  At once (max)   default 4: llama.cpp's /props: 4 slots");
    expect(text).not.toContain("hunter2");
    expect(details[22]).toBe("↑/↓ move · enter join · esc back to models · ctrl-c quit");
    const several = draw(base({ screen: "join", join: form({ phase: "details", probed, models: ["qwen2.5", "llama3.2"], maxConcurrency: "12", focus: "concurrency" }) })).join("\n");
    expect(several).toContain("Join room K7QX2M · http://gpu:8000 · models qwen2.5, llama3.2");
    expect(several).toContain("› At once (max)   12█  requests served at once, 1-1024; empty: the default");
  });
  test("an endpoint with /v1/embeddings: tab picks models to embed, marked E beside the chat picks; the details say both", () => {
    const probed = { endpoint: "http://gpu:8080", speaks: "Chat Completions + Embeddings", models: ["llama3.2", "nomic-embed", "bge-m3"], embeddings: true };
    const open = draw(base({ screen: "join", join: form({ phase: "model", probed }) }));
    expectShape(open);
    expect(open[4]).toBe("› Models (type to filter, space picks, tab picks to embed): █");
    expect(open[5]).toBe("  enter takes the highlighted one; space picks several; tab, models that embed");
    expect(open[22]).toBe("type to filter · ↑/↓ · space pick · tab pick to embed · enter choose · esc back");
    const picked = draw(base({ screen: "join", join: form({ phase: "model", probed, models: ["llama3.2"], embeddingModels: ["nomic-embed", "typed-embed"], modelIndex: 1 }) }), { cols: 120, rows: 24 });
    expectShape(picked, 120);
    expect(picked[5]).toBe("  picked: llama3.2 (the first is the default) · to embed: nomic-embed, typed-embed · not listed: typed-embed");
    expect(picked.slice(6, 9)).toEqual(["  ✓1   llama3.2", "›    E nomic-embed", "       bge-m3"]);
    // Only models that embed: no chat pick at all.
    const embedOnly = draw(base({ screen: "join", join: form({ phase: "model", probed, embeddingModels: ["bge-m3"] }) }));
    expect(embedOnly[5]).toBe("  to embed: bge-m3");
    const details = draw(base({ screen: "join", join: form({ phase: "details", probed, models: ["llama3.2"], embeddingModels: ["nomic-embed"], focus: "nickname" }) })).join("\n");
    expect(details).toContain("Join room K7QX2M · http://gpu:8080 · model llama3.2 · to embed: nomic-embed");
    const detailsEmbedOnly = draw(base({ screen: "join", join: form({ phase: "details", probed, models: [], embeddingModels: ["bge-m3"], focus: "nickname" }) })).join("\n");
    expect(detailsEmbedOnly).toContain("Join room K7QX2M · http://gpu:8080 · to embed: bge-m3");
  });
});

test("create a room: name, masked password, defaults file, and the hub's error", () => {
  const lines = draw(base({ screen: "create", create: { ...newCreateForm(), name: "team", password: "pw-123", focus: "defaults", error: "room.json: expected a JSON object of room defaults" } }));
  expectShape(lines);
  expect(lines.slice(3, 11)).toEqual([
    "Create a room",
    "",
    "  Name            team",
    "  Password        ••••••",
    "› Defaults file   █",
    "",
    "  [ Create ]",
    "room.json: expected a JSON object of room defaults",
  ]);
});
