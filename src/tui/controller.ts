/**
 * The TUI's controller: owns the app state (store.ts) and turns keys into state changes,
 * handing each concern to its own part: polling the hub (hub-poll.ts), following an open room
 * (room-follow.ts), the join flow and its participant session (join-flow.ts), and room
 * creation (create-flow.ts); the changes that need no I/O are pure functions
 * (transitions.ts). It knows nothing of drawing: the view subscribes and draws `getState()`.
 */
import type { HubClient } from "../client.ts";
import { settingsPath } from "../settings.ts";
import { createCreateFlow } from "./create-flow.ts";
import { createHubPoll } from "./hub-poll.ts";
import { createJoinFlow } from "./join-flow.ts";
import { isChar, type Key } from "./keys.ts";
import { createRoomFollow } from "./room-follow.ts";
import { initialState } from "./state.ts";
import { createStore } from "./store.ts";
import { moveSelection, passwordKey, roomToJoin } from "./transitions.ts";

export interface ControllerOptions {
  client: HubClient;
  /** The name the hub was announced under, when it was found on the local network (shown on top). */
  foundAs?: string;
  env: Record<string, string | undefined>;
  /** Where join profiles are read and saved (default: the CLI's config file). */
  settingsFile?: string;
  pollMs?: number;
  /** The joined participant's heartbeat (default 10 s, as `gambi join`). */
  sessionHeartbeatMs?: number;
}

const TICK_MS = 500;

export function createController(opts: ControllerOptions) {
  const { client, env } = opts;
  const store = createStore(initialState(client.url, Date.now(), opts.foundAs));
  const room = createRoomFollow({ store, client });
  const hub = createHubPoll({ store, client, pollMs: opts.pollMs ?? 2000, refreshRoom: room.refresh });
  const settingsFile = opts.settingsFile ?? settingsPath(env);
  const join = createJoinFlow({ store, client, env, settingsFile, heartbeatMs: opts.sessionHeartbeatMs, openRoom: room.open });
  const create = createCreateFlow({ store, client, settingsFile, refreshRooms: hub.refreshRooms });
  let ticker: ReturnType<typeof setInterval> | undefined;
  let quitting: Promise<void> | undefined;
  let onQuit: () => void = () => {};

  function roomsKey(k: Key) {
    const s = store.get();
    const current = s.rooms?.[s.selected];
    if (k === "up") store.set(moveSelection(s, -1));
    else if (k === "down") store.set(moveSelection(s, 1));
    else if (isChar(k, "r")) void hub.poll();
    else if (isChar(k, "c")) create.open();
    else if (isChar(k, "j")) join.open(current);
    else if (k === "enter" && current) {
      if (current.passwordProtected) store.set({ passwordFor: current, screen: "password" });
      else room.open(current);
    }
  }

  function roomKey(k: Key) {
    if (k === "escape" || k === "backspace") {
      room.close();
      void hub.poll();
    } else if (isChar(k, "l") && join.serving) void join.leave();
    else if (isChar(k, "j")) join.open(roomToJoin(store.get()));
    else if (isChar(k, "u")) room.toggleUsage();
  }

  function onKey(k: Key) {
    if (k === "ctrl-c") return void quit();
    switch (store.get().screen) {
      case "password": {
        const { patch, open } = passwordKey(store.get(), k);
        if (patch) store.set(patch);
        if (open) room.open(open.room, open.password);
        return;
      }
      case "join":
        return join.key(k);
      case "create":
        return create.key(k);
      case "room":
        if (isChar(k, "q")) return void quit();
        return roomKey(k);
      default:
        if (isChar(k, "q")) return void quit();
        roomsKey(k);
    }
  }

  /** Leaves the joined room (if any), stops every timer and stream; resolves when done. */
  function quit(): Promise<void> {
    quitting ??= (async () => {
      const leaving = join.stop();
      room.stop();
      if (ticker) clearInterval(ticker);
      await leaving;
      onQuit();
    })();
    return quitting;
  }

  return {
    getState: store.get,
    subscribe: store.subscribe,
    onKey,
    quit,
    /** Starts polling; `whenQuit` is called once everything is stopped after q / Ctrl-C / quit(). */
    start(whenQuit: () => void) {
      onQuit = whenQuit;
      ticker = setInterval(() => {
        if (hub.due(Date.now())) void hub.poll();
        else store.set({}); // the retry countdown and the clock move
      }, TICK_MS);
      void hub.poll();
    },
  };
}

export type Controller = ReturnType<typeof createController>;
