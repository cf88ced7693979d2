/** Everything the TUI shows, as one plain object: the controller changes it, the view draws it. */
import type { PublicRoom } from "../client.ts";
import type { ParticipantState } from "../join/runtime.ts";
import type { CreateForm } from "./create-form.ts";
import type { JoinForm } from "./join-form.ts";
import type { RoomView } from "./room-state.ts";

export interface HubStatus {
  url: string;
  /** The name it was announced under, when found on the local network (gambi hub --mdns). */
  foundAs?: string;
  state: "checking" | "up" | "down";
  version?: string;
  uptimeS?: number;
  error?: string;
  /** When the next automatic retry happens (ms since the epoch), while the hub is down. */
  retryAt?: number;
}

/** The participant this TUI runs after a join: what it serves and how its session is doing. */
export interface SessionView {
  code: string;
  id: string;
  nickname: string;
  /** The models it serves, the first being its default. */
  models: string[];
  /** The models it serves for embeddings, if any. */
  embeddingModels?: string[];
  state: ParticipantState;
  /** Serving through a tunnel (the hub never dials the endpoint). */
  tunnel?: boolean;
  /** The runtime's last message (e.g. "re-joined room K7QX2M"). */
  notice?: string;
}

export type Screen = "rooms" | "room" | "password" | "join" | "create";

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
  join?: JoinForm;
  create?: CreateForm;
  session?: SessionView;
  /** A one-line message for the last thing done (e.g. "created room K7QX2M"). */
  flash?: { text: string; level: "info" | "error" };
  /** When the state was last changed or the clock ticked (countdowns are drawn from it). */
  now: number;
}

export function initialState(hubUrl: string, now: number, foundAs?: string): AppState {
  return { hub: { url: hubUrl, state: "checking", ...(foundAs !== undefined ? { foundAs } : {}) }, selected: 0, screen: "rooms", passwordInput: "", now };
}
