/**
 * Incremental text/event-stream decoder (WHATWG HTML §9.2.6 "Interpreting an event stream"):
 * lines end in CRLF, LF or CR (a CR at the end of one chunk may pair with an LF at the start of
 * the next), a leading BOM is skipped, `:` lines are comments, `data:` lines join with "\n",
 * `data:x` and `data: x` are the same (TGI sends the former). Bytes in, typed events out;
 * nothing else in the hub splits SSE text.
 */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}

export class SseDecoder {
  private readonly text = new TextDecoder("utf-8");
  private buf = "";
  private skipLf = false;
  private started = false;
  /** The event's data lines: the first alone (nearly every event has one), the rest in `more`. */
  private data: string | undefined;
  private more: string[] | undefined;
  private event: string | undefined;
  private id: string | undefined;
  private retry: number | undefined;

  /** Feed a chunk; returns the events completed by it (often none or one). */
  push(chunk: Uint8Array): SseEvent[] {
    return this.feed(this.text.decode(chunk, { stream: true }));
  }

  /** End of stream: a trailing event without its blank line is dispatched (TGI, dropped streams). */
  end(): SseEvent[] {
    const out = this.feed(this.text.decode() + "\n\n");
    return out;
  }

  private feed(s: string): SseEvent[] {
    const out: SseEvent[] = [];
    // An empty read must not forget a CR waiting for its LF.
    if (s.length === 0) return out;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    if (this.skipLf && s.charCodeAt(0) === 10) s = s.slice(1);
    this.skipLf = false;
    const buf = this.buf + s;
    // Native indexOf finds line ends far faster than a per-character loop; CR is only looked
    // for when the text has one (nearly every provider sends LF only).
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

  private line(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      if (this.data !== undefined) {
        const ev: SseEvent = { data: this.more === undefined ? this.data : `${this.data}\n${this.more.join("\n")}` };
        if (this.event !== undefined) ev.event = this.event;
        if (this.id !== undefined) ev.id = this.id;
        if (this.retry !== undefined) ev.retry = this.retry;
        out.push(ev);
      }
      this.data = undefined;
      this.more = undefined;
      this.event = undefined;
      this.retry = undefined;
      return;
    }
    // `data: …`, most lines of a stream, without splitting the line into field and value.
    if (line.startsWith("data: ")) return this.dataLine(line.slice(6));
    // `event: …`, the line before it in Responses and Messages streams.
    if (line.startsWith("event: ")) {
      this.event = line.slice(7);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "data":
        this.dataLine(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  private dataLine(value: string): void {
    if (this.data === undefined) this.data = value;
    else (this.more ??= []).push(value);
  }
}
