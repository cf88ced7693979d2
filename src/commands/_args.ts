/** Argument groups shared by several commands, and parsers citty does not have. */
import type { ArgDef } from "citty";

export const listenArgs = {
  port: { type: "string", description: "Port to listen on", default: "3000" },
  host: { type: "string", description: "Address to bind", default: "0.0.0.0" },
} as const satisfies Record<string, ArgDef>;

export class UsageError extends Error {}

/** citty has no number type: ports are parsed here, with a message saying what was wrong. */
export function parsePort(value: string, flag = "--port"): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}
