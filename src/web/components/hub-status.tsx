/** The hub's status, version, uptime and room count (GET /health). */
import { duration } from "../format.ts";
import type { Health } from "../types.ts";

export function HubStatus({ health, error }: { health?: Health; error?: string }) {
  return (
    <section class="card" aria-labelledby="hub-status">
      <h2 id="hub-status">Status</h2>
      {error ? (
        <p class="error" role="alert">
          The hub does not answer: {error}
        </p>
      ) : !health ? (
        <p class="muted">Loading…</p>
      ) : (
        <dl class="stats">
          <div>
            <dt>Status</dt>
            <dd data-testid="hub-health">
              <span class={health.status === "ok" ? "dot ok" : "dot warn"} aria-hidden="true" />
              {health.status}
            </dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd data-testid="hub-version">{health.version}</dd>
          </div>
          <div>
            <dt>Uptime</dt>
            <dd>{duration(health.uptime)}</dd>
          </div>
          <div>
            <dt>Rooms</dt>
            <dd>{health.rooms}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
