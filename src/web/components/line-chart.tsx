/**
 * A small SVG chart of values over the last minutes, one line per series (a participant),
 * drawn by hand: no chart library. Screen readers get each series's latest figure in the SVG's
 * name and in the legend. The drawing is as wide as its box in CSS pixels (measured), so its
 * labels are their real size on a phone too, not a desktop drawing shrunk to half.
 */
import { useWidth } from "../hooks.ts";

export interface Series {
  name: string;
  points: { at: number; value: number }[];
}

/** The width drawn before the box is measured. */
const FIRST_WIDTH = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };
export const PALETTE = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)", "var(--c6)"];

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

/**
 * An axis tick's label. The ticks are 0, half the maximum and the maximum, and a half of 1, 2 or
 * 5 times a power of ten has at most two significant digits: shown exactly, never rounded onto
 * its neighbour (a 0-to-1 axis once read 0, 1, 1).
 */
export const tickLabel = (v: number): string => `${Number(v.toPrecision(2))}`;

interface Props {
  title: string;
  unit: string;
  series: Series[];
  now: number;
  windowMs: number;
  /** A series's latest value, in the legend (the axis has tickLabel). */
  format(v: number): string;
}

export function LineChart({ title, unit, series, now, windowMs, format }: Props) {
  const [box, W] = useWidth<HTMLElement>(FIRST_WIDTH);
  const from = now - windowMs;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value))));
  const x = (at: number) => PAD.left + ((at - from) / windowMs) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const id = title.replace(/\W+/g, "-").toLowerCase();
  return (
    <figure class="chart" aria-labelledby={`${id}-cap`} ref={box}>
      <figcaption id={`${id}-cap`}>
        {title} <span class="muted">({unit}, last {Math.round(windowMs / 60_000)} min)</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}: ${series.length === 0 ? "no samples yet" : series.map((s) => `${s.name} ${format(s.points.at(-1)!.value)}`).join(", ")}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={PAD.left - 4} y={y(max * f) + 4} text-anchor="end">
              {tickLabel(max * f)}
            </text>
          </g>
        ))}
        <text class="axis" x={PAD.left} y={H - 4}>
          −{Math.round(windowMs / 60_000)} min
        </text>
        <text class="axis" x={W - PAD.right} y={H - 4} text-anchor="end">
          now
        </text>
        {series.map((s, i) => {
          const pts = s.points.filter((p) => p.at >= from);
          const color = PALETTE[i % PALETTE.length];
          return (
            <g key={s.name} style={{ color }}>
              <polyline class="line" points={pts.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ")} />
              {pts.map((p) => (
                <circle key={p.at} class="pt" cx={x(p.at)} cy={y(p.value)} r={3} />
              ))}
            </g>
          );
        })}
        {series.length === 0 && (
          <text class="axis" x={W / 2} y={H / 2} text-anchor="middle">
            no requests yet
          </text>
        )}
      </svg>
      {series.length > 0 && (
        <ul class="legend">
          {series.map((s, i) => (
            <li key={s.name}>
              <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
              {s.name}: {format(s.points.at(-1)!.value)}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
