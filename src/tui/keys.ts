/** Raw terminal input → key names. Pure: one chunk of bytes in, the keys it holds out. */

export type Key = "up" | "down" | "enter" | "escape" | "backspace" | "ctrl-c" | "tab" | { char: string };

const SEQUENCES: [string, Key][] = [
  ["\x1b[A", "up"],
  ["\x1bOA", "up"],
  ["\x1b[B", "down"],
  ["\x1bOB", "down"],
];

export function parseKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  outer: while (i < chunk.length) {
    for (const [seq, key] of SEQUENCES) {
      if (chunk.startsWith(seq, i)) {
        keys.push(key);
        i += seq.length;
        continue outer;
      }
    }
    const c = chunk[i]!;
    if (c === "\x1b") {
      // Another escape sequence (e.g. arrows we do not use): skip it whole; a lone ESC is Escape.
      const m = /^\x1b(\[[0-9;?]*[ -\/]*[@-~]|O.)/.exec(chunk.slice(i));
      if (m) i += m[0].length;
      else {
        keys.push("escape");
        i++;
      }
      continue;
    }
    if (c === "\r" || c === "\n") keys.push("enter");
    else if (c === "\x03") keys.push("ctrl-c");
    else if (c === "\x7f" || c === "\b") keys.push("backspace");
    else if (c === "\t") keys.push("tab");
    else if (c >= " ") keys.push({ char: c });
    i++;
  }
  return keys;
}

export const isChar = (k: Key, c: string): boolean => typeof k === "object" && k.char === c;
