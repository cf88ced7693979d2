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
