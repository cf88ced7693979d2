/** A room the page may see: follows its events and lays out its sections. */
import { useEffect, useMemo, useState } from "preact/hooks";
import { applyEvent, emptyRoomState, type RoomState } from "../room-state.ts";
import { followRoom, type FollowStatus } from "../room-events.ts";
import type { RoomView } from "../types.ts";
import { ActivityLog } from "./activity-log.tsx";
import { Connect } from "./connect.tsx";
import { ParticipantsTable } from "./participants-table.tsx";
import { Playground } from "./playground.tsx";
import { SpeedCharts } from "./speed-charts.tsx";
import { RoomTotals } from "./room-totals.tsx";
import { UsageLedger } from "./usage-ledger.tsx";
import { useUsage } from "../use-usage.ts";

const STATUS_TEXT: Record<FollowStatus, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unauthorized: "password refused",
  gone: "room closed",
};

export function RoomLive({ room, password, onRefused }: { room: RoomView; password?: string; onRefused(message: string): void }) {
  const [state, setState] = useState<RoomState>(emptyRoomState);
  const [status, setStatus] = useState<FollowStatus>("connecting");
  useEffect(
    () =>
      followRoom(room.code, password, {
        event: (e) => setState((s) => applyEvent(s, e)),
        status: (s) => {
          setStatus(s);
          if (s === "unauthorized") onRefused("Wrong password for this room.");
        },
      }),
    [room.code, password],
  );
  const usage = useUsage(room.code, password, state.totals.requests);
  const models = useMemo(() => [...new Set(state.participants.flatMap((p) => p.models))], [state.participants]);

  return (
    <>
      <p class="live-status" role="status">
        <span class={`dot ${status === "live" ? "ok" : status === "gone" || status === "unauthorized" ? "bad" : "warn"}`} aria-hidden="true" /> events: {STATUS_TEXT[status]}
      </p>
      <ParticipantsTable participants={state.participants} served={state.served} usage={usage.data} />
      <div class="two">
        <Playground code={room.code} password={password} participants={state.participants} models={models} />
        <ActivityLog entries={state.log} />
      </div>
      <SpeedCharts samples={state.samples} />
      <RoomTotals live={state.totals} usage={usage.data} />
      <UsageLedger usage={usage} />
      <Connect code={room.code} models={models} passwordProtected={room.passwordProtected} />
    </>
  );
}
