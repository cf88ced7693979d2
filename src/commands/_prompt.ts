/**
 * Interactive mode, shared by the commands: whether we may prompt at all, and a wrapper that
 * turns a cancelled prompt (Ctrl-C / Esc) into an error `guard` reports as exit 130.
 * Prompts are @clack/prompts; they draw on stdout, so both stdin and stdout must be a TTY.
 */
import type { ArgDef } from "citty";
import { isCancel } from "@clack/prompts";

export const interactiveArgs = {
  interactive: {
    type: "boolean",
    description: "Ask for missing options when run in a terminal (--no-interactive: never prompt; missing options are usage errors)",
    default: true,
  },
} as const satisfies Record<string, ArgDef>;

export function canPrompt(args: { interactive?: boolean }): boolean {
  return args.interactive !== false && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

export class Cancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "Cancelled";
  }
}

/** Awaits a clack prompt; a cancel becomes `Cancelled` instead of a symbol in the value. */
export async function ask<T>(prompt: Promise<T>): Promise<Exclude<T, symbol>> {
  const value = await prompt;
  if (isCancel(value)) throw new Cancelled();
  return value as Exclude<T, symbol>;
}
