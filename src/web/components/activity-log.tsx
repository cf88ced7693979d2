/**
 * The room's events as they come, newest first. The list is there from the start (empty until the
 * first event), so a screen reader hears each addition, the first one too; it scrolls once long,
 * so it takes the keyboard's focus and has a name.
 */
import { clock } from "../format.ts";
import type { LogEntry } from "../room-state.ts";

export function ActivityLog({ entries }: { entries: LogEntry[] }) {
  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      {entries.length === 0 && <p class="muted">Waiting for the room's events…</p>}
      <ol class="log" data-testid="activity" aria-live="polite" aria-relevant="additions" aria-label="Room events, newest first" tabIndex={entries.length > 0 ? 0 : undefined}>
        {entries
          .slice()
          .reverse()
          .map((e) => (
            <li key={e.id} class={e.level}>
              <time dateTime={new Date(e.at).toISOString()}>{clock(e.at)}</time> {e.text}
            </li>
          ))}
      </ol>
    </section>
  );
}
