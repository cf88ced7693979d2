/**
 * Creates a room (POST /rooms) and opens its page. The password, when given, is remembered
 * for that room in this tab (its creator should not have to type it again); the hostId the
 * hub returns to a room's creator is not kept.
 */
import { useState } from "preact/hooks";
import { ApiError, call } from "../api.ts";
import { setRoomPassword } from "../secrets.ts";

export function CreateRoom({ token, onTokenWanted }: { token?: string; onTokenWanted(err: ApiError): void }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { room } = await call<{ room: { code: string } }>("/rooms", { method: "POST", body: { name, ...(password ? { password } : {}) }, bearer: token });
      if (password) setRoomPassword(room.code, password);
      location.assign(`/r/${room.code}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) onTokenWanted(err);
      else setError((err as Error).message);
    }
  };
  return (
    <form class="card" aria-labelledby="create-title" onSubmit={submit}>
      <h2 id="create-title">Create a room</h2>
      <div class="row">
        <div class="field">
          <label for="room-name">Name</label>
          <input id="room-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="friday-lab" />
        </div>
        <div class="field">
          <label for="room-password">Password (optional)</label>
          <input id="room-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create room"}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
