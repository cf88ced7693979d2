/**
 * `/r/CODE`: a room. Its public view first (GET /rooms/:code: does it want a password?), then,
 * with the password when it has one, its participants, the live events, the playground, the
 * charts, totals, the usage ledger and the Connect snippets.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, call } from "../api.ts";
import { usePoll } from "../hooks.ts";
import { roomPassword, setRoomPassword } from "../secrets.ts";
import type { RoomView } from "../types.ts";
import { RoomLive } from "./room-live.tsx";
import { SecretPrompt } from "./secret-prompt.tsx";

export function RoomPage({ code }: { code: string }) {
  const [room, setRoom] = useState<RoomView | undefined>();
  const [missing, setMissing] = useState<string | undefined>();
  const [password, setPassword] = useState(roomPassword(code));
  const [refused, setRefused] = useState<string | undefined>();

  usePoll(
    async () => {
      try {
        setRoom((await call<{ room: RoomView }>(`/rooms/${encodeURIComponent(code)}`)).room);
        setMissing(undefined);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) setMissing(`There is no room ${code} on this hub.`);
      }
    },
    5000,
    [code],
  );
  useEffect(() => {
    document.title = room ? `${room.name} · ${code} · gambi` : `${code} · gambi`;
  }, [room?.name, code]);

  if (missing) {
    return (
      <section class="card">
        <h1>Room {code}</h1>
        <p class="error" role="alert">
          {missing}
        </p>
        <a href="/">Back to the hub</a>
      </section>
    );
  }
  if (!room) {
    return (
      <>
        <h1>Room {code}</h1>
        <p class="muted">Loading…</p>
      </>
    );
  }

  const heading = (
    <div class="room-head">
      <h1>
        {room.name} <span class="code">{room.code}</span>
      </h1>
      <p class="muted">
        {room.passwordProtected ? "🔒 password-protected" : "open room"} · queue {room.queue?.waiting ?? 0} waiting of {room.queue?.queueSize ?? "—"}
      </p>
    </div>
  );
  if (room.passwordProtected && !password) {
    return (
      <>
        {heading}
        <SecretPrompt
          title="This room is password-protected"
          label="Room password"
          error={refused}
          submit="Open room"
          onSubmit={(p) => {
            setRoomPassword(code, p);
            setRefused(undefined);
            setPassword(p);
          }}
        />
      </>
    );
  }
  return (
    <>
      {heading}
      <RoomLive
        key={password ?? ""}
        room={room}
        password={password}
        onRefused={(message) => {
          setRoomPassword(code, undefined);
          setPassword(undefined);
          setRefused(message);
        }}
      />
    </>
  );
}
