/**
 * The open room: its event stream (activity, totals, participants joining and leaving), its
 * participant list, read with the password the room was opened with, and its queue (the
 * room's public view), and while `u` shows it, its usage ledger (GET /rooms/:code/usage, on
 * every poll). Results that arrive after the view moved to another room are dropped.
 */
import type { HubClient, PublicRoom } from "../client.ts";
import { applyEvent, initialRoomView, withParticipants, withRoom } from "./room-state.ts";
import type { AppState } from "./state.ts";
import type { Store } from "./store.ts";
import { participantsNotice } from "./transitions.ts";
import { describeHubFailure, HubError } from "../client.ts";

export function createRoomFollow(opts: { store: Store; client: HubClient }) {
  const { store, client } = opts;
  let watch: AbortController | undefined;
  let password: string | undefined;
  /** Changes the room view, if it still shows room `code`. */
  const patchRoom = (code: string, patch: (room: NonNullable<AppState["room"]>) => Partial<NonNullable<AppState["room"]>>) => {
    const now = store.get().room;
    if (now?.code === code) store.set({ room: { ...now, ...patch(now) } });
  };

  async function readUsage(code: string) {
    try {
      const usage = await client.usage(code, password);
      patchRoom(code, () => ({ usage, usageError: undefined }));
    } catch (err) {
      const why = err instanceof HubError && err.status === 404 && err.code !== "room_not_found" ? "this hub keeps no usage ledger (an older gambi)" : err instanceof HubError ? err.message : describeHubFailure(err, client.url);
      patchRoom(code, () => ({ usageError: why }));
    }
  }

  async function refresh() {
    const room = store.get().room;
    if (!room) return;
    const usage = room.showUsage ? readUsage(room.code) : undefined;
    // The queue is a decoration: a failure to read it says nothing the participant list would not.
    const queue = client.getRoom(room.code).then(
      ({ room: view }) => patchRoom(room.code, (now) => withRoom(now, view)),
      () => undefined,
    );
    try {
      const { participants } = await client.participants(room.code, password);
      patchRoom(room.code, (now) => withParticipants(now, participants));
    } catch (err) {
      patchRoom(room.code, () => ({ notice: participantsNotice(err, client.url) }));
    }
    await queue;
    await usage;
  }

  /** `u`: the usage ledger in place of the activity log, or back. */
  function toggleUsage() {
    const room = store.get().room;
    if (!room) return;
    const showUsage = !room.showUsage;
    patchRoom(room.code, () => ({ showUsage }));
    if (showUsage) void readUsage(room.code);
  }

  function open(room: Pick<PublicRoom, "code" | "name">, roomPassword?: string) {
    watch?.abort();
    password = roomPassword;
    store.set({ screen: "room", room: { ...initialRoomView(room.code), name: room.name } });
    const mine = (watch = new AbortController());
    void client.watchRoomEvents(
      room.code,
      (e) => patchRoom(room.code, (now) => applyEvent(now, e, Date.now())),
      mine.signal,
      { password: roomPassword, onRefused: (m) => patchRoom(room.code, () => ({ notice: m })) },
    );
    void refresh();
  }

  /** Stops following; the caller decides what the screen shows next. */
  function stop() {
    watch?.abort();
  }

  return {
    open,
    refresh,
    toggleUsage,
    stop,
    /** Back to the rooms list: the stream stops and the password is forgotten. */
    close() {
      stop();
      watch = undefined;
      password = undefined;
      store.set({ room: undefined, screen: "rooms" });
    },
  };
}
