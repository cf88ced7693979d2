/**
 * The controller's state changes that need no I/O, as pure functions of the state: the rooms
 * list arriving, moving the selection, typing a room's password, and what a refused
 * participant list says. Each returns a patch (or a value) for the caller to apply.
 */
import { describeHubFailure, HubError, type PublicRoom } from "../client.ts";
import type { Key } from "./keys.ts";
import type { AppState } from "./state.ts";

/** The rooms list as the hub gave it, oldest first; the selection follows `select` (a room just created), else stays in range. */
export function roomsLoaded(s: AppState, rooms: PublicRoom[], select?: string): Partial<AppState> {
  const sorted = [...rooms].sort((a, b) => a.createdAt - b.createdAt);
  const at = select ? sorted.findIndex((r) => r.code === select) : -1;
  return { rooms: sorted, roomsError: undefined, selected: at >= 0 ? at : Math.min(s.selected, Math.max(0, sorted.length - 1)) };
}

/** Up or down the rooms list, stopping at either end. */
export function moveSelection(s: AppState, by: -1 | 1): Partial<AppState> {
  const last = Math.max(0, (s.rooms?.length ?? 0) - 1);
  return { selected: by < 0 ? Math.max(0, s.selected - 1) : Math.min(last, s.selected + 1) };
}

/**
 * The password screen: typing, backspace, escape back to the rooms; enter hands back the
 * room and the password to open it with (the typed text is cleared at once either way).
 */
export function passwordKey(s: AppState, k: Key): { patch?: Partial<AppState>; open?: { room: PublicRoom; password: string } } {
  if (k === "escape") return { patch: { screen: "rooms", passwordInput: "" } };
  if (k === "backspace") return { patch: { passwordInput: s.passwordInput.slice(0, -1) } };
  if (k === "enter" && s.passwordFor) return { patch: { passwordInput: "" }, open: { room: s.passwordFor, password: s.passwordInput } };
  if (typeof k === "object") return { patch: { passwordInput: s.passwordInput + k.char } };
  return {};
}

/** The room `j` joins from the room view: the listed room (it knows about a password), else what the view knows of it. */
export function roomToJoin(s: AppState): PublicRoom | undefined {
  return s.rooms?.find((r) => r.code === s.room?.code) ?? (s.room ? ({ code: s.room.code, name: s.room.name } as PublicRoom) : undefined);
}

/** Why the room's participant list could not be read, for the room view's notice. */
export function participantsNotice(err: unknown, hubUrl: string): string {
  if (!(err instanceof HubError)) return describeHubFailure(err, hubUrl);
  // Without a status the client's message is already "cannot reach the hub at ...".
  if (err.status === undefined) return err.message;
  return `the hub refused: ${err.message}${err.status === 401 ? " (esc, then open the room again)" : ""}`;
}
