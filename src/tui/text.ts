/**
 * Text for fixed-width table rows: display width (wide characters count two), and cells cut
 * and padded to a column count, so columns line up whatever the names hold.
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
