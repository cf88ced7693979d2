/**
 * Where the last complete SSE event in a byte buffer ends: just past the last blank line
 * (LF LF, CR CR, or CRLF CRLF). The passthrough forwards bytes up to there and holds back the
 * partial tail, so that if the upstream dies mid-event the hub can still append a well-formed
 * error event instead of gluing it onto half a `data:` line.
 */
const LF = 10;
const CR = 13;

export function lastEventEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    const c = bytes[i];
    if (c !== LF && c !== CR) continue;
    // CRLF is one line ending: the terminator before it sits one byte further back.
    const j = c === LF && bytes[i - 1] === CR ? i - 2 : i - 1;
    if (j >= 0 && (bytes[j] === LF || bytes[j] === CR)) return i + 1;
  }
  return 0;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const BLANK_LINE = Buffer.from("\n\n");

/**
 * The byte ranges of the events in `bytes` (whole events, as the passthrough forwards them)
 * that contain any of `needles`, merged and in order. Events are found by their LF LF
 * terminator; with CRLF or CR line endings the range widens to the whole buffer, which is
 * still made of whole events, so decoding it stays correct — only slower.
 */
export function eventRangesContaining(bytes: Uint8Array, needles: Buffer[]): [number, number][] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hits: number[] = [];
  for (const n of needles) {
    for (let at = view.indexOf(n); at !== -1; at = view.indexOf(n, at + n.length)) hits.push(at);
  }
  if (hits.length === 0) return [];
  hits.sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const hit of hits) {
    const last = ranges.at(-1);
    if (last && hit < last[1]) continue;
    const before = view.lastIndexOf(BLANK_LINE, hit);
    const after = view.indexOf(BLANK_LINE, hit);
    const start = before === -1 ? 0 : before + 2;
    const end = after === -1 ? view.length : after + 2;
    if (last && start <= last[1]) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges;
}

/** End of the event that starts at `from` (just past its LF LF), or the buffer's end. */
export function nextEventEnd(bytes: Uint8Array, from: number): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = view.indexOf(BLANK_LINE, from);
  return at === -1 ? bytes.length : at + 2;
}
