/**
 * Polling the hub: its health every `pollMs` while it answers, with backoff (1 s doubling to
 * 10 s) while it does not, and after each good health check the data of the screen shown (the
 * rooms list, or the open room's participants).
 */
import type { HubClient } from "../client.ts";
import { errorText, type Store } from "./store.ts";
import { roomsLoaded } from "./transitions.ts";

export interface HubPollOptions {
  store: Store;
  client: HubClient;
  pollMs: number;
  /** Re-reads the open room's participants (room-follow.ts). */
  refreshRoom: () => Promise<void>;
}

export function createHubPoll(opts: HubPollOptions) {
  const { store, client } = opts;
  let retryDelay = 1000;
  let nextPollAt = 0;
  let polling = false;

  async function refreshRooms(select?: string) {
    try {
      const { rooms } = await client.listRooms();
      store.set(roomsLoaded(store.get(), rooms, select));
    } catch (err) {
      store.set({ roomsError: errorText(err) });
    }
  }

  /** What stays of the hub between polls: its URL, and the name it was found under. */
  const known = () => {
    const { foundAs } = store.get().hub;
    return { url: client.url, ...(foundAs !== undefined ? { foundAs } : {}) };
  };

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const h = await client.health();
      store.set({ hub: { ...known(), state: "up", version: h.version, uptimeS: h.uptime } });
      retryDelay = 1000;
      nextPollAt = Date.now() + opts.pollMs;
      const screen = store.get().screen;
      if (screen === "rooms") await refreshRooms();
      else if (screen === "room") await opts.refreshRoom();
    } catch (err) {
      store.set({ hub: { ...known(), state: "down", error: errorText(err), retryAt: Date.now() + retryDelay } });
      nextPollAt = Date.now() + retryDelay;
      retryDelay = Math.min(10_000, retryDelay * 2);
    } finally {
      polling = false;
    }
  }

  return {
    poll,
    /** Re-reads the rooms list now; `select` selects a room in it (one just created). */
    refreshRooms,
    /** Whether the next poll is due (the controller's ticker asks every half second). */
    due: (now: number) => now >= nextPollAt,
  };
}
