/** The hub's rooms (GET /rooms): code, name, participants, whether a password protects it. */
import { clock } from "../format.ts";
import type { RoomView } from "../types.ts";
import { ScrollRegion } from "./scroll-region.tsx";

export function RoomsTable({ rooms, error }: { rooms?: RoomView[]; error?: string }) {
  return (
    <section class="card" aria-labelledby="rooms-title">
      <h2 id="rooms-title">Rooms</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!rooms ? (
        <p class="muted">Loading…</p>
      ) : rooms.length === 0 ? (
        <p class="muted">No rooms yet: create one below.</p>
      ) : (
        <ScrollRegion label="Rooms table">
          <table>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Name</th>
                <th scope="col">Participants</th>
                <th scope="col">Access</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rooms.map((r) => (
                <tr key={r.code}>
                  <td>
                    <a href={`/r/${r.code}`} class="code">
                      {r.code}
                    </a>
                  </td>
                  <td>{r.name}</td>
                  <td class="num">{r.participantCount ?? 0}</td>
                  <td>{r.passwordProtected ? "🔒 password" : "open"}</td>
                  <td>{clock(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
