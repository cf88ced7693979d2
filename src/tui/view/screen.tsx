/**
 * The whole screen for a state and a terminal size: the hub and session on top, the current
 * screen's body, then the last action's message and the key hints. It is exactly `rows - 1`
 * lines of at most `cols` columns (Ink clears the whole terminal on every frame once a frame is
 * as tall as the terminal; one spare row keeps redraws in place).
 */
import { Box } from "ink";
import type { AppState } from "../state.ts";
import { Create } from "./create.tsx";
import { Join } from "./join.tsx";
import { Room } from "./room.tsx";
import { PasswordPrompt, Rooms } from "./rooms.tsx";
import { ColourContext, Line } from "./theme.tsx";
import { Top } from "./top.tsx";

export function hints(s: AppState): string {
  switch (s.screen) {
    case "room":
      return `esc rooms · j join this room${s.session?.code === s.room?.code ? " · l leave" : ""} · u ${s.room?.showUsage ? "activity" : "usage"} · q quit`;
    case "password":
      return "type the room password · enter open · esc back";
    case "create":
      return "↑/↓ move · enter next / create · esc cancel · ctrl-c quit";
    case "join":
      if (s.join?.phase === "model") return s.join.probed?.embeddings ? "type to filter · ↑/↓ · space pick · tab pick to embed · enter choose · esc back" : "type to filter · ↑/↓ move · space pick (several) · enter choose · esc back";
      if (s.join?.phase === "details" || s.join?.phase === "joining") return "↑/↓ move · enter join · esc back to models · ctrl-c quit";
      return "↑/↓ move · ←/→ choose · enter next / expand / add · backspace on an empty header removes it · esc cancel";
    default:
      return `↑/↓ select · enter open · j join · c create · r refresh · q quit${s.session ? " (leaves your room)" : ""}`;
  }
}

export interface ScreenSize {
  cols: number;
  rows: number;
}

function Body({ s, cols, height }: { s: AppState; cols: number; height: number }) {
  switch (s.screen) {
    case "room":
      return <Room s={s} cols={cols} height={height} />;
    case "password":
      return <PasswordPrompt s={s} />;
    case "join":
      return s.join ? <Join f={s.join} height={height} /> : null;
    case "create":
      return s.create ? <Create f={s.create} /> : null;
    default:
      return <Rooms s={s} cols={cols} height={height} />;
  }
}

export function Screen({ s, size, colour }: { s: AppState; size: ScreenSize; colour: boolean }) {
  const rows = Math.max(6, size.rows - 1);
  const height = rows - 5; // 3 on top, the message and the hints below
  return (
    <ColourContext.Provider value={colour}>
      <Box flexDirection="column" width={size.cols} height={rows}>
        <Top hub={s.hub} session={s.session} now={s.now} />
        <Box flexDirection="column" height={height} overflow="hidden">
          <Body s={s} cols={size.cols} height={height} />
        </Box>
        <Line tone={s.flash && (s.flash.level === "error" ? "red" : "green")}>{s.flash?.text ?? ""}</Line>
        <Line tone="dim">{hints(s)}</Line>
      </Box>
    </ColourContext.Provider>
  );
}
