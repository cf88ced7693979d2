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

/**
 * Where the first event completed by `chunk` ends, in `chunk` (just past its blank line), when
 * `held` (bytes before it) holds no complete event: the blank line may begin in `held`. -1 when
 * the chunk completes none. A CR followed by LF in the chunk is one line ending, judged at its LF.
 */
export function firstEventEndIn(held: Uint8Array, chunk: Uint8Array): number {
  const at = (k: number) => (k >= 0 ? chunk[k] : held[held.length + k]);
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    if (c !== LF && c !== CR) continue;
    if (c === CR && chunk[i + 1] === LF) continue;
    const j = c === LF && at(i - 1) === CR ? i - 2 : i - 1;
    const b = at(j);
    if (b === LF || b === CR) return i + 1;
  }
  return -1;
}

/**
 * The whole events of `held` + `chunk`, as pieces to send in order, and the partial event left
 * to hold. Copies only what completes the held event (and the new partial tail): the bulk of a
 * chunk goes on as a view of it, where joining `held` and `chunk` first would copy it all.
 */
export function takeWholeEvents(held: Uint8Array, chunk: Uint8Array): { pieces: Uint8Array[]; held: Uint8Array } {
  let rest = chunk;
  const pieces: Uint8Array[] = [];
  if (held.length > 0) {
    const first = firstEventEndIn(held, chunk);
    if (first === -1) return { pieces, held: concatBytes(held, chunk) };
    pieces.push(concatBytes(held, chunk.subarray(0, first)));
    rest = chunk.subarray(first);
  }
  const cut = lastEventEnd(rest);
  if (cut > 0) pieces.push(cut === rest.length ? rest : rest.subarray(0, cut));
  return { pieces, held: cut === rest.length ? EMPTY : rest.slice(cut) };
}

const EMPTY = new Uint8Array(0);

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
