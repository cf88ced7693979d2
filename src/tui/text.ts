/**
 * Text for a fixed-width screen: display width (wide characters count two), cut and pad to a
 * column count, and colour that disappears entirely when `NO_COLOR` is set
 * (https://no-color.org) — the render functions stay the same, only the palette changes.
 */

export function width(s: string): number {
  return Bun.stringWidth(s);
}

/** Cuts `s` to at most `cols` columns (ending in "…" when cut) and pads it to exactly `cols`. */
export function fit(s: string, cols: number): string {
  if (cols <= 0) return "";
  const w = width(s);
  if (w <= cols) return s + " ".repeat(cols - w);
  let out = "";
  let used = 0;
  for (const ch of s) {
    const cw = width(ch);
    if (used + cw > cols - 1) break;
    out += ch;
    used += cw;
  }
  return out + "…" + " ".repeat(Math.max(0, cols - used - 1));
}

/** Table columns: each cell fitted to its column width, joined by two spaces. */
export function columns(cells: string[], widths: number[]): string {
  return cells.map((c, i) => fit(c, widths[i] ?? 0)).join("  ");
}

export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  inverse(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;

export const COLOR: Palette = { bold: sgr(1, 22), dim: sgr(2, 22), inverse: sgr(7, 27), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39) };

/** NO_COLOR: no colours; the selection keeps a visible marker ("›") drawn by the screens. */
export const PLAIN: Palette = { bold: (s) => s, dim: (s) => s, inverse: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s };

/** `NO_COLOR` set to anything non-empty turns colour off. */
export function paletteFor(env: Record<string, string | undefined>): Palette {
  return env.NO_COLOR ? PLAIN : COLOR;
}
