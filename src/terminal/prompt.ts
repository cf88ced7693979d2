/**
 * Prompting, shared by the commands, the join flow and `gambi chat`: whether we may prompt at
 * all, a wrapper that turns a cancelled prompt (Ctrl-C / Esc) into `Cancelled`, and the
 * questions more than one of them asks. Prompts are @clack/prompts; they draw on stdout, so
 * both stdin and stdout must be a TTY.
 */
import * as p from "@clack/prompts";
import { Cancelled } from "./errors.ts";

export function canPrompt(args: { interactive?: boolean }): boolean {
  return args.interactive !== false && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** Awaits a clack prompt; a cancel becomes `Cancelled` instead of a symbol in the value. */
export async function ask<T>(prompt: Promise<T>): Promise<Exclude<T, symbol>> {
  const value = await prompt;
  if (p.isCancel(value)) throw new Cancelled();
  return value as Exclude<T, symbol>;
}

/** A protected room's password, hidden as it is typed (`gambi join` and `gambi chat` both ask it). */
export async function askRoomPassword(code: string): Promise<string> {
  return ask(p.password({ message: `Password for room ${code} (input hidden)`, validate: (v) => (v ? undefined : "required: the room is protected") }));
}
