/** TTFT and tokens/s of each request the room served in the last minutes, per participant. */
import { useNow } from "../hooks.ts";
import type { Sample } from "../room-state.ts";
import { LineChart, type Series } from "./line-chart.tsx";

const WINDOW_MS = 5 * 60_000;

function seriesOf(samples: Sample[], pick: (s: Sample) => number | null): Series[] {
  const by = new Map<string, Series>();
  for (const s of samples) {
    const v = pick(s);
    if (v === null) continue;
    let series = by.get(s.participantId);
    if (!series) by.set(s.participantId, (series = { name: s.nickname, points: [] }));
    series.points.push({ at: s.at, value: v });
  }
  return [...by.values()];
}

export function SpeedCharts({ samples }: { samples: Sample[] }) {
  const now = useNow(2000);
  const recent = samples.filter((s) => s.at >= now - WINDOW_MS);
  return (
    <section class="card" aria-labelledby="charts-title">
      <h2 id="charts-title">Speed</h2>
      <div class="two">
        <LineChart title="Time to first token" unit="ms" series={seriesOf(recent, (s) => s.ttftMs)} now={now} windowMs={WINDOW_MS} format={(v) => `${Math.round(v)}`} />
        <LineChart title="Tokens per second" unit="tok/s" series={seriesOf(recent, (s) => s.tokensPerSecond)} now={now} windowMs={WINDOW_MS} format={(v) => (v > 0 && v < 10 ? v.toFixed(1) : `${Math.round(v)}`)} />
      </div>
    </section>
  );
}
