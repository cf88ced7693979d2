/**
 * What-if experiment, never used by default: `bun bench/proxy.ts --hub-preload
 * bench/experiments/indexof-line-scan.ts` replaces `SseDecoder.feed`'s character-by-character
 * loop with native `indexOf` searches for line ends (same semantics: CRLF, LF, CR, a CR at the
 * end of one chunk pairing with an LF at the start of the next). Measured on 2026-11-23
 * (bench/README.md): hub CPU per event on burst chat streams 1.30 → 1.00 µs, events/s 0.42× →
 * 0.57× direct. It helps, but most of the decoder's time is the string, field split and event
 * object it builds for every line of every event, which skip-sse-observation.ts removes.
 */
import { SseDecoder, type SseEvent } from "../../src/proxy/sse/decode.ts";

interface DecoderState {
  buf: string;
  skipLf: boolean;
  started: boolean;
  line(line: string, out: SseEvent[]): void;
}

function feed(this: DecoderState, s: string): SseEvent[] {
  const out: SseEvent[] = [];
  if (s.length === 0) return out;
  if (!this.started) {
    this.started = true;
    if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  }
  if (this.skipLf && s.charCodeAt(0) === 10) s = s.slice(1);
  this.skipLf = false;
  const buf = this.buf + s;
  const hasCr = buf.includes("\r");
  let start = 0;
  for (;;) {
    let i = buf.indexOf("\n", start);
    if (hasCr) {
      const r = buf.indexOf("\r", start);
      if (r !== -1 && (i === -1 || r < i)) i = r;
    }
    if (i === -1) break;
    this.line(buf.slice(start, i), out);
    if (buf.charCodeAt(i) === 13) {
      if (i + 1 < buf.length) {
        if (buf.charCodeAt(i + 1) === 10) i++;
      } else {
        this.skipLf = true;
      }
    }
    start = i + 1;
  }
  this.buf = start === 0 ? buf : buf.slice(start);
  return out;
}

Object.assign(SseDecoder.prototype, { feed });
