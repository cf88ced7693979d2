/**
 * The TUI controller's pure state changes (transitions.ts): the rooms list arriving and the
 * selection following it, moving the selection, the password screen's keys, the room `j`
 * joins from the room view, and how a refused participant list reads.
 */
import { describe, expect, test } from "bun:test";
import { HubError, type PublicRoom } from "../../src/client.ts";
import { initialRoomView } from "../../src/tui/room-state.ts";
import { initialState, type AppState } from "../../src/tui/state.ts";
import { moveSelection, participantsNotice, passwordKey, roomsLoaded, roomToJoin } from "../../src/tui/transitions.ts";

const room = (code: string, createdAt: number, passwordProtected = false): PublicRoom => ({ id: code, code, name: `room ${code}`, createdAt, passwordProtected, participantCount: 0, defaults: {} });
const state = (over: Partial<AppState> = {}): AppState => ({ ...initialState("http://hub:3000", 0), ...over });

describe("roomsLoaded", () => {
  test("oldest first; the selection stays in range, or follows a room just created", () => {
    const rooms = [room("CCCCCC", 3), room("AAAAAA", 1), room("BBBBBB", 2)];
    expect(roomsLoaded(state({ selected: 1 }), [...rooms]).rooms!.map((r) => r.code)).toEqual(["AAAAAA", "BBBBBB", "CCCCCC"]);
    expect(roomsLoaded(state({ selected: 7 }), [...rooms]).selected).toBe(2);
    expect(roomsLoaded(state({ selected: 7 }), []).selected).toBe(0);
    expect(roomsLoaded(state({ selected: 0 }), [...rooms], "CCCCCC").selected).toBe(2);
    expect(roomsLoaded(state({ selected: 1, roomsError: "down" }), [...rooms], "ZZZZZZ")).toMatchObject({ selected: 1, roomsError: undefined });
  });
});

test("moveSelection stops at both ends of the list", () => {
  const rooms = [room("AAAAAA", 1), room("BBBBBB", 2)];
  expect(moveSelection(state({ rooms, selected: 0 }), -1).selected).toBe(0);
  expect(moveSelection(state({ rooms, selected: 0 }), 1).selected).toBe(1);
  expect(moveSelection(state({ rooms, selected: 1 }), 1).selected).toBe(1);
  expect(moveSelection(state({ selected: 0 }), 1).selected).toBe(0);
});

describe("passwordKey", () => {
  const protectedRoom = room("AAAAAA", 1, true);
  test("typing and backspace change only the input; escape goes back and forgets it", () => {
    expect(passwordKey(state({ passwordInput: "se" }), { char: "c" })).toEqual({ patch: { passwordInput: "sec" } });
    expect(passwordKey(state({ passwordInput: "sec" }), "backspace")).toEqual({ patch: { passwordInput: "se" } });
    expect(passwordKey(state({ passwordInput: "sec" }), "escape")).toEqual({ patch: { screen: "rooms", passwordInput: "" } });
  });
  test("enter opens the room with what was typed and clears the input; without a room it does nothing", () => {
    expect(passwordKey(state({ passwordInput: "secret", passwordFor: protectedRoom }), "enter")).toEqual({ patch: { passwordInput: "" }, open: { room: protectedRoom, password: "secret" } });
    expect(passwordKey(state({ passwordInput: "secret" }), "enter")).toEqual({});
  });
});

test("roomToJoin: the listed room (it knows about a password), else what the room view knows", () => {
  const listed = room("AAAAAA", 1, true);
  expect(roomToJoin(state({ rooms: [listed], room: { ...initialRoomView("AAAAAA"), name: "x" } }))).toBe(listed);
  expect(roomToJoin(state({ rooms: [], room: { ...initialRoomView("BBBBBB"), name: "b" } }))).toEqual({ code: "BBBBBB", name: "b" } as PublicRoom);
  expect(roomToJoin(state())).toBeUndefined();
});

test("participantsNotice: unreachable as the client says it, refusals with the hub's message and a hint for 401", () => {
  expect(participantsNotice(new HubError("cannot reach the hub at http://hub:3000: refused", undefined, "hub_unreachable", 3), "http://hub:3000")).toBe("cannot reach the hub at http://hub:3000: refused");
  expect(participantsNotice(new HubError("wrong password", 401, "invalid_room_password", 4), "http://hub:3000")).toBe("the hub refused: wrong password (esc, then open the room again)");
  expect(participantsNotice(new HubError("slow down", 429, "rate_limited", 4), "http://hub:3000")).toBe("the hub refused: slow down");
  expect(participantsNotice(new TypeError("boom"), "http://hub:3000")).toBe("cannot reach the hub at http://hub:3000: boom");
});
