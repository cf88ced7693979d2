/**
 * A CLI run inside a real pseudo-terminal (Bun.spawn's `terminal` option): the program sees a
 * TTY on stdin and stdout, so it prompts exactly as it would for a person. The test reads
 * everything the program drew (`raw`, byte for byte, and `screen`, without ANSI sequences),
 * and types keys once the prompt it expects is on screen.
 */
import { waitFor } from "./fake-upstream.ts";

export const KEY = { enter: "\r", down: "\x1b[B", up: "\x1b[A", ctrlC: "\x03" } as const;

// CSI sequences (cursor moves, colours, erase), OSC titles and the keypad-mode switches.
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>78]/g;

export function spawnInTerminal(cmd: string[], env: Record<string, string | undefined>) {
  const chunks: Uint8Array[] = [];
  const proc = Bun.spawn(cmd, {
    env,
    terminal: {
      cols: 120,
      rows: 40,
      data: (_term, data) => {
        chunks.push(new Uint8Array(data));
      },
    },
  });
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
    type(keys: string): void {
      proc.terminal!.write(keys);
    },
    async close(): Promise<number> {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await proc.exited;
      proc.terminal?.close();
      return code;
    },
  };
}
