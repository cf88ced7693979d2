/**
 * The TUI's controller: holds the app state, turns keys into state changes, polls the hub
 * (health and rooms, with backoff while it is down), follows an open room (its participants
 * and its event stream, via `watchRoomEvents`), and draws `renderApp(state)` after each change.
 * Drawing and input go through ./terminal.ts; everything shown comes from ./screens.ts.
 */
import { bearer, createHubClient, describeHubFailure, type PublicRoom } from "../client.ts";
import { watchRoomEvents } from "../join/status.ts";
import { isChar, type Key } from "./keys.ts";
import { applyEvent, initialRoomView, withParticipants } from "./room-state.ts";
import { renderApp, type AppState } from "./screens.ts";
import { openTerminal } from "./terminal.ts";
import { paletteFor } from "./text.ts";

export interface TuiOptions {
  hubUrl: string;
  token?: string;
  ca?: string;
}

const POLL_MS = 2000;
const TICK_MS = 500;

/** Runs until q / Ctrl-C (or SIGTERM); resolves with the exit code once the terminal is restored. */
export function runTui(opts: TuiOptions): Promise<number> {
  const client = createHubClient(opts.hubUrl, { token: opts.token, ca: opts.ca, timeoutMs: 5000 });
  const palette = paletteFor(process.env);
  const state: AppState = { hub: { url: client.url, state: "checking" }, selected: 0, screen: "rooms", passwordInput: "" };
  let retryDelay = 1000;
  let nextPollAt = 0;
  let polling = false;
  let roomWatch: AbortController | undefined;
  let roomPassword: string | undefined;
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));

  const draw = () => term.draw(renderApp(state, { cols: term.cols(), rows: term.rows(), palette, now: Date.now() }));

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const h = await client.health();
      state.hub = { url: client.url, state: "up", version: h.version, uptimeS: h.uptime };
      retryDelay = 1000;
      nextPollAt = Date.now() + POLL_MS;
      if (state.screen === "rooms") await refreshRooms();
      else if (state.screen === "room") await refreshParticipants();
    } catch (err) {
      state.hub = { url: client.url, state: "down", error: err instanceof Error ? err.message : String(err), retryAt: Date.now() + retryDelay };
      nextPollAt = Date.now() + retryDelay;
      retryDelay = Math.min(10_000, retryDelay * 2);
    } finally {
      polling = false;
      draw();
    }
  }

  async function refreshRooms() {
    try {
      state.rooms = (await client.listRooms()).rooms.sort((a, b) => a.createdAt - b.createdAt);
      state.roomsError = undefined;
      state.selected = Math.min(state.selected, Math.max(0, state.rooms.length - 1));
    } catch (err) {
      state.roomsError = err instanceof Error ? err.message : String(err);
    }
  }

  async function refreshParticipants() {
    const room = state.room;
    if (!room) return;
    try {
      const res = await client.fetch(`${client.url}/rooms/${encodeURIComponent(room.code)}/participants`, { headers: bearer(roomPassword), signal: AbortSignal.timeout(5000) });
      if (state.room?.code !== room.code) return;
      if (res.ok) state.room = { ...state.room, ...withParticipants(state.room, ((await res.json()) as { participants: Record<string, unknown>[] }).participants) };
      else {
        const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
        state.room = { ...state.room, notice: `the hub refused: ${body.error?.message ?? `HTTP ${res.status}`}${res.status === 401 ? " (esc, then open the room again)" : ""}` };
      }
    } catch (err) {
      if (state.room?.code === room.code) state.room = { ...state.room, notice: describeHubFailure(err, client.url) };
    }
  }

  function openRoom(room: PublicRoom, password?: string) {
    roomPassword = password;
    state.screen = "room";
    state.room = { ...initialRoomView(room.code), name: room.name };
    roomWatch = new AbortController();
    void watchRoomEvents(
      client.url,
      room.code,
      (e) => {
        if (state.room?.code !== room.code) return;
        state.room = { ...state.room, ...applyEvent(state.room, e, Date.now()) };
        draw();
      },
      roomWatch.signal,
      { password, fetch: client.fetch, onRefused: (m) => state.room && ((state.room = { ...state.room, notice: m }), draw()) },
    );
    void refreshParticipants().then(draw);
  }

  function closeRoom() {
    roomWatch?.abort();
    roomWatch = undefined;
    roomPassword = undefined;
    state.room = undefined;
    state.screen = "rooms";
    void poll();
  }

  function quit() {
    roomWatch?.abort();
    clearInterval(ticker);
    process.off("SIGTERM", quit);
    process.off("SIGINT", quit);
    term.close();
    done(0);
  }

  function onKey(k: Key) {
    if (k === "ctrl-c") return quit();
    if (state.screen === "password") {
      if (k === "escape") ((state.screen = "rooms"), (state.passwordInput = ""));
      else if (k === "backspace") state.passwordInput = state.passwordInput.slice(0, -1);
      else if (k === "enter" && state.passwordFor) {
        const pw = state.passwordInput;
        state.passwordInput = "";
        openRoom(state.passwordFor, pw);
      } else if (typeof k === "object") state.passwordInput += k.char;
      return draw();
    }
    if (isChar(k, "q")) return quit();
    if (state.screen === "room") {
      if (k === "escape" || k === "backspace") closeRoom();
    } else {
      const n = state.rooms?.length ?? 0;
      if (k === "up" || isChar(k, "k")) state.selected = Math.max(0, state.selected - 1);
      else if (k === "down" || isChar(k, "j")) state.selected = Math.min(Math.max(0, n - 1), state.selected + 1);
      else if (isChar(k, "r")) void poll();
      else if (k === "enter" && state.rooms?.[state.selected]) {
        const room = state.rooms[state.selected]!;
        if (room.passwordProtected) ((state.passwordFor = room), (state.screen = "password"));
        else openRoom(room);
      }
    }
    draw();
  }

  const term = openTerminal(onKey, draw);
  process.on("SIGTERM", quit);
  process.on("SIGINT", quit);
  const ticker = setInterval(() => {
    if (Date.now() >= nextPollAt) void poll();
    else draw(); // the retry countdown moves
  }, TICK_MS);
  draw();
  void poll();
  return finished;
}
