/**
 * The room's participants, live: nickname, models, transport, status and health, requests in
 * flight against its limit, a 429 cooldown counting down, and what it served (the ledger's
 * count when the hub keeps one, else since this page opened) with its last TTFT and tokens/s.
 */
import { count, ms, rate } from "../format.ts";
import { useNow } from "../hooks.ts";
import type { Served } from "../room-state.ts";
import type { ParticipantView, Usage } from "../types.ts";
import { ScrollRegion } from "./scroll-region.tsx";

interface Props {
  participants: ParticipantView[];
  served: Record<string, Served>;
  usage?: Usage;
}

export function ParticipantsTable({ participants, served, usage }: Props) {
  const now = useNow();
  const ledger = (id: string) => usage?.participants.filter((u) => u.participantId === id).reduce((n, u) => n + u.requests, 0);
  return (
    <section class="card" aria-labelledby="participants-title">
      <h2 id="participants-title">Participants ({participants.length})</h2>
      {participants.length === 0 ? (
        <p class="muted">Nobody has joined yet. The Connect section below has the command line to lend a model.</p>
      ) : (
        <ScrollRegion label="Participants table">
          <table data-testid="participants">
            <thead>
              <tr>
                <th scope="col">Nickname</th>
                <th scope="col">Models</th>
                <th scope="col">Transport</th>
                <th scope="col">Status</th>
                <th scope="col">Health</th>
                <th scope="col">In flight / limit</th>
                <th scope="col">Cooldown</th>
                <th scope="col">Served</th>
                <th scope="col">Last TTFT</th>
                <th scope="col">Tokens/s</th>
              </tr>
            </thead>
            <tbody>
              {participants.map((p) => {
                const s = served[p.id];
                const cooling = p.cooldownUntil !== null && p.cooldownUntil > now ? Math.ceil((p.cooldownUntil - now) / 1000) : 0;
                return (
                  <tr key={p.id}>
                    <th scope="row">{p.nickname}</th>
                    <td>{p.models.join(", ")}</td>
                    <td>{p.transport}</td>
                    <td>
                      <span class={`dot ${p.status === "online" ? "ok" : "bad"}`} aria-hidden="true" />
                      {p.status}
                    </td>
                    <td>{p.health ?? "—"}</td>
                    <td class="num">
                      {p.inFlight} / {p.limit ?? p.maxConcurrency ?? "—"}
                    </td>
                    <td class="num">{cooling > 0 ? `${cooling} s` : "—"}</td>
                    <td class="num">{count(ledger(p.id) ?? s?.served ?? 0)}</td>
                    <td class="num">{ms(s?.lastTtftMs)}</td>
                    <td class="num">{rate(s?.lastTokensPerSecond)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
