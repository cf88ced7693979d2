/** The room's events as they come, newest first. */
import { clock } from "../format.ts";
import type { LogEntry } from "../room-state.ts";

export function ActivityLog({ entries }: { entries: LogEntry[] }) {
  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      {entries.length === 0 ? (
        <p class="muted">Waiting for the room's events…</p>
      ) : (
        <ol class="log" data-testid="activity" aria-live="polite" aria-relevant="additions">
          {entries
            .slice()
            .reverse()
            .map((e) => (
              <li key={e.id} class={e.level}>
                <time dateTime={new Date(e.at).toISOString()}>{clock(e.at)}</time> {e.text}
              </li>
            ))}
        </ol>
      )}
    </section>
  );
}
