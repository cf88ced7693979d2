/** The rooms list (with the selected room marked) and the room password prompt. */
import { Box } from "ink";
import type { PublicRoom } from "../../client.ts";
import type { AppState } from "../state.ts";
import { columns } from "../text.ts";
import { Line } from "./theme.tsx";

export function Rooms({ s, cols, height }: { s: AppState; cols: number; height: number }) {
  if (!s.rooms) return <Line>{s.roomsError ?? (s.hub.state === "down" ? "waiting for the hub…" : "loading rooms…")}</Line>;
  const widths = [2, 8, Math.max(8, cols - 2 - 8 - 16 - 10 - 8), 16, 10];
  const head = 1 + (s.roomsError ? 1 : 0) + (s.rooms.length === 0 ? 1 : 0);
  const visible = Math.max(1, height - head);
  const first = Math.min(Math.max(0, s.selected - visible + 1), Math.max(0, s.rooms.length - visible));
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Rooms (${s.rooms.length})`}</Line>
      {s.roomsError ? <Line tone="red">{s.roomsError}</Line> : null}
      {s.rooms.length === 0 ? <Line>{"  no rooms yet: c creates one"}</Line> : null}
      {s.rooms.slice(first, first + visible).map((r: PublicRoom, i) => {
        const chosen = first + i === s.selected;
        const n = r.participantCount;
        return (
          <Line key={r.code} tone={chosen && "inverse"}>
            {columns([chosen ? "›" : "", r.code, r.name, `${n} participant${n === 1 ? "" : "s"}`, r.passwordProtected ? "password" : ""], widths)}
          </Line>
        );
      })}
    </Box>
  );
}

export function PasswordPrompt({ s }: { s: AppState }) {
  const room = s.passwordFor;
  return (
    <Box flexDirection="column">
      <Line tone="bold">{`Room ${room?.code ?? "?"} · ${room?.name ?? ""} is protected`}</Line>
      <Line />
      <Line>{`Password: ${"•".repeat(s.passwordInput.length)}`}</Line>
    </Box>
  );
}
