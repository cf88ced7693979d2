/**
 * What a command-line run ends with, for everything on the client side to use: the exit codes
 * scripts rely on, and the errors `guard` (commands/_args.ts) turns into them. It sits below
 * commands/ so that join/, chat/ and the hub client can throw these without importing a command.
 */

/** 0 ok, 1 unexpected, 2 usage, 3 hub or endpoint unreachable, 4 rejected (README's table). Ctrl-C is 130. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2, unreachable: 3, rejected: 4 } as const;

/** A flag or argument that cannot work as given: exit 2, with a message naming it. */
export class UsageError extends Error {}

/** A prompt cancelled with Ctrl-C or Esc: exit 130. */
export class Cancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "Cancelled";
  }
}
