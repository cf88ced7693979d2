/** `/`: the hub's status, its rooms, and a form to create one (asking for the hub token when the hub has one). */
import { useState } from "preact/hooks";
import { ApiError, call } from "../api.ts";
import { usePoll } from "../hooks.ts";
import { hubToken, setHubToken } from "../secrets.ts";
import type { Health, RoomView } from "../types.ts";
import { CreateRoom } from "./create-room.tsx";
import { HubStatus } from "./hub-status.tsx";
import { RoomsTable } from "./rooms-table.tsx";
import { SecretPrompt } from "./secret-prompt.tsx";

const TOKEN_CODES = new Set(["hub_token_required", "invalid_hub_token"]);

export function HubPage() {
  const [health, setHealth] = useState<Health | undefined>();
  const [healthError, setHealthError] = useState<string | undefined>();
  const [rooms, setRooms] = useState<RoomView[] | undefined>();
  const [token, setToken] = useState(hubToken());
  const [tokenWanted, setTokenWanted] = useState<string | undefined>();
  const [roomsError, setRoomsError] = useState<string | undefined>();

  const askToken = (err: ApiError) => {
    if (token) setHubToken(undefined);
    setToken(undefined);
    setTokenWanted(err.code === "invalid_hub_token" ? "That token is not this hub's." : "This hub asks for its token to list and create rooms.");
  };

  usePoll(
    async () => {
      try {
        setHealth(await call<Health>("/health"));
        setHealthError(undefined);
      } catch (err) {
        setHealthError((err as Error).message);
      }
    },
    5000,
    [],
  );
  usePoll(
    async () => {
      if (tokenWanted) return;
      try {
        setRooms((await call<{ rooms: RoomView[] }>("/rooms", { bearer: token })).rooms);
        setRoomsError(undefined);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401 && TOKEN_CODES.has(err.code ?? "")) askToken(err);
        else setRoomsError((err as Error).message);
      }
    },
    5000,
    [token, tokenWanted],
  );

  return (
    <>
      <h1>Hub</h1>
      <HubStatus health={health} error={healthError} />
      {tokenWanted ? (
        <SecretPrompt
          title="This hub wants its token"
          label="Hub token"
          hint={tokenWanted}
          onSubmit={(t) => {
            setHubToken(t);
            setToken(t);
            setTokenWanted(undefined);
          }}
        />
      ) : (
        <>
          <RoomsTable rooms={rooms} error={roomsError} />
          <CreateRoom token={token} onTokenWanted={askToken} />
        </>
      )}
    </>
  );
}
