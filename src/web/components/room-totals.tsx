/** The room's totals: the ledger's since the room was created when the hub keeps one, else what the events said since this page opened. */
import { count } from "../format.ts";
import type { Totals } from "../room-state.ts";
import type { Usage } from "../types.ts";
import { Figure } from "./usage-ledger.tsx";

export function RoomTotals({ live, usage }: { live: Totals; usage?: Usage }) {
  const t = usage?.totals;
  return (
    <section class="card" aria-labelledby="totals-title">
      <h2 id="totals-title">Totals</h2>
      <p class="muted small">{t ? `Since the room was created (${new Date(usage!.since).toLocaleString()}).` : "Since this page opened."}</p>
      <dl class="stats" data-testid="totals">
        <div>
          <dt>Requests</dt>
          <dd>{count(t?.requests ?? live.requests)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{count(t?.errors ?? live.errors)}</dd>
        </div>
        <div>
          <dt>Tokens in</dt>
          <dd>{t ? <Figure value={t.inputTokens} estimated={t.estimatedInputTokens} /> : count(live.inputTokens)}</dd>
        </div>
        <div>
          <dt>Tokens out</dt>
          <dd>{t ? <Figure value={t.outputTokens} estimated={t.estimatedOutputTokens} /> : count(live.outputTokens)}</dd>
        </div>
      </dl>
    </section>
  );
}
