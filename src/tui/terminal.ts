/**
 * The only terminal I/O of the TUI: the alternate screen, raw keyboard input, resize, and
 * drawing a frame of lines. `close()` puts the terminal back as it was (cursor, main screen,
 * cooked mode), and is safe to call twice.
 */
import { parseKeys, type Key } from "./keys.ts";

export interface Terminal {
  cols(): number;
  rows(): number;
  draw(lines: string[]): void;
  close(): void;
}

export function openTerminal(onKey: (k: Key) => void, onResize: () => void): Terminal {
  const { stdin, stdout } = process;
  let last = "";
  let closed = false;
  const onData = (chunk: Buffer | string) => {
    for (const k of parseKeys(chunk.toString())) onKey(k);
  };
  const resized = () => {
    last = ""; // a resized terminal may have reflowed or cleared: draw everything again
    stdout.write("\x1b[2J");
    onResize();
  };
  stdout.write("\x1b[?1049h\x1b[?25l\x1b[2J");
  stdin.setRawMode?.(true);
  stdin.resume();
  stdin.on("data", onData);
  stdout.on("resize", resized);
  return {
    cols: () => stdout.columns || 80,
    rows: () => stdout.rows || 24,
    draw(lines) {
      const frame = `\x1b[H${lines.join("\r\n")}`;
      if (closed || frame === last) return;
      last = frame;
      stdout.write(frame);
    },
    close() {
      if (closed) return;
      closed = true;
      stdin.off("data", onData);
      stdout.off("resize", resized);
      stdin.setRawMode?.(false);
      stdin.pause();
      stdout.write("\x1b[0m\x1b[?25h\x1b[?1049l");
    },
  };
}
