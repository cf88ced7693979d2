/**
 * A CLI run inside a real pseudo-terminal (Bun.spawn's `terminal` option): the program sees a
 * TTY on stdin and stdout, so it prompts exactly as it would for a person. The test reads
 * everything the program drew (`raw`, byte for byte, and `screen`, without ANSI sequences),
 * and types keys once the prompt it expects is on screen.
 *
 * Full-screen programs redraw only what changed, so the byte stream says little about what is
 * on screen at a given moment; for them the bytes are also fed to a terminal emulator
 * (@xterm/headless) and `view()` / `expectView()` read the screen as a person would see it.
 */
import xterm from "@xterm/headless";
import { waitFor } from "./fake-upstream.ts";

export const KEY = { enter: "\r", down: "\x1b[B", up: "\x1b[A", ctrlC: "\x03" } as const;

// CSI sequences (cursor moves, colours, erase), OSC titles and the keypad-mode switches.
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>78]/g;

export function spawnInTerminal(cmd: string[], env: Record<string, string | undefined>, size: { cols: number; rows: number } = { cols: 120, rows: 40 }) {
  const chunks: Uint8Array[] = [];
  const vt = new xterm.Terminal({ cols: size.cols, rows: size.rows, allowProposedApi: true });
  let pending = 0;
  const proc = Bun.spawn(cmd, {
    env,
    terminal: {
      cols: size.cols,
      rows: size.rows,
      data: (_term, data) => {
        const bytes = new Uint8Array(data);
        chunks.push(bytes);
        pending++;
        vt.write(bytes, () => void pending--);
      },
    },
  });
  /** The emulated screen now: one string per row, trailing blanks trimmed. */
  const view = (): string[] => {
    const b = vt.buffer.active;
    return Array.from({ length: vt.rows }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
  };
  const raw = () => Buffer.concat(chunks).toString("utf8");
  const screen = () => raw().replace(ANSI, "");
  let mark = 0;
  return {
    proc,
    raw,
    screen,
    /** Waits until `text` appears after everything already waited for, then returns. */
    async expect(text: string | RegExp, timeoutMs = 10_000): Promise<void> {
      const found = () => {
        const s = screen().slice(mark);
        const at = typeof text === "string" ? s.indexOf(text) : s.search(text);
        if (at === -1) return false;
        mark += at + 1;
        return true;
      };
      if (!(await waitFor(found, timeoutMs))) throw new Error(`timed out waiting for ${String(text)}; screen so far:\n${screen().slice(-2000)}`);
    },
    view,
    /** Waits until the emulated screen shows `text` (or satisfies `test`), and returns that screen. */
    async expectView(match: string | RegExp | ((lines: string[]) => boolean), timeoutMs = 10_000): Promise<string[]> {
      const ok = (lines: string[]) => (typeof match === "function" ? match(lines) : typeof match === "string" ? lines.join("\n").includes(match) : match.test(lines.join("\n")));
      let seen: string[] = [];
      if (!(await waitFor(() => pending === 0 && ok((seen = view())), timeoutMs))) throw new Error(`timed out waiting for ${String(match)} on screen:\n${view().join("\n")}`);
      return seen;
    },
    /** Resizes the pseudo-terminal (the program gets SIGWINCH) and the emulator with it. */
    resize(cols: number, rows: number): void {
      proc.terminal!.resize(cols, rows);
      vt.resize(cols, rows);
    },
    type(keys: string): void {
      proc.terminal!.write(keys);
    },
    async close(): Promise<number> {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await proc.exited;
      proc.terminal?.close();
      vt.dispose();
      return code;
    },
  };
}
