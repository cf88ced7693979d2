/**
 * Ink's keypress (input + flags) → the TUI's own key names, so the controller's key handling is
 * plain data in, state out, and testable without a terminal. Typed or pasted text arrives as
 * one `{ char }` holding every character.
 */
import type { Key as InkKey } from "ink";

export type Key = "up" | "down" | "left" | "right" | "enter" | "escape" | "backspace" | "ctrl-c" | "tab" | "shift-tab" | { char: string };

/**
 * Ink splits escape sequences into separate keypresses but hands a run of plain bytes over as
 * one (a paste, or keys that arrived together: "abc\r", "\x7f\x7f"): such a run is split here
 * into text and the control keys inside it, so no Enter or Backspace is lost.
 */
export function splitPlain(input: string): Key[] {
  const keys: Key[] = [];
  let text = "";
  const flush = () => {
    if (text) keys.push({ char: text });
    text = "";
  };
  for (const ch of input) {
    const control: Key | undefined = ch === "\r" || ch === "\n" ? "enter" : ch === "\x7f" || ch === "\b" ? "backspace" : ch === "\t" ? "tab" : ch === "\x03" ? "ctrl-c" : ch === "\x1b" ? "escape" : undefined;
    if (control) {
      flush();
      keys.push(control);
    } else if (ch >= " ") text += ch;
  }
  flush();
  return keys;
}

export function fromInk(input: string, key: InkKey): Key[] {
  if (input.length > 1 && !input.startsWith("\x1b")) return splitPlain(input);
  if (key.ctrl && input === "c") return ["ctrl-c"];
  if (key.upArrow) return ["up"];
  if (key.downArrow) return ["down"];
  if (key.leftArrow) return ["left"];
  if (key.rightArrow) return ["right"];
  if (key.return) return ["enter"];
  if (key.escape) return ["escape"];
  // Terminals send DEL (0x7f) for Backspace, which Ink names `delete`; both erase backwards here.
  if (key.backspace || key.delete) return ["backspace"];
  if (key.tab) return [key.shift ? "shift-tab" : "tab"];
  if (key.ctrl || key.meta) return [];
  return splitPlain(input);
}

export const isChar = (k: Key, c: string): boolean => typeof k === "object" && k.char === c;
