/** Argument groups shared by several commands, and parsers citty does not have. */
import type { ArgDef } from "citty";
import { readFileSync } from "node:fs";
import { HubError } from "../client.ts";
import { log } from "../logger.ts";
import { readSettingsQuietly, SettingsError } from "../settings.ts";
import { Cancelled, EXIT, UsageError } from "../terminal/errors.ts";

export const listenArgs = {
  port: { type: "string", description: "Port to listen on", default: "3000" },
  host: { type: "string", description: "Address to bind", default: "0.0.0.0" },
} as const satisfies Record<string, ArgDef>;

export const hubArgs = {
  hub: { type: "string", description: "Hub URL (default: $GAMBI_HUB_URL, else the one saved in ~/.config/gambi/config.json, else http://localhost:3000)" },
} as const satisfies Record<string, ArgDef>;

export const tokenArgs = {
  token: { type: "string", description: "Hub token, when the hub was started with one (default: $GAMBI_HUB_TOKEN)" },
} as const satisfies Record<string, ArgDef>;

/** --token, then $GAMBI_HUB_TOKEN; empty means none. */
export function hubToken(flag: string | undefined): string | undefined {
  return flag || process.env.GAMBI_HUB_TOKEN || undefined;
}

export const caArgs = {
  ca: { type: "string", description: "PEM file to trust for an https:// hub with a self-signed certificate: a copy of its certificate (default: $GAMBI_HUB_CA)" },
} as const satisfies Record<string, ArgDef>;

/** --ca, then $GAMBI_HUB_CA: the PEM text, read now so a wrong path is a usage error naming it. */
export function hubCa(flag: string | undefined): string | undefined {
  const path = flag || process.env.GAMBI_HUB_CA || undefined;
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--ca ${path}: ${(err as Error).message}`);
  }
  // Bun reports an unusable CA only as a failed connection: say what is wrong here instead.
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--ca ${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`);
  return text;
}

/** Prompting itself (canPrompt, ask) is in terminal/prompt.ts, below the commands. */
export const interactiveArgs = {
  interactive: {
    type: "boolean",
    description: "Ask for missing options when run in a terminal (--no-interactive: never prompt; missing options are usage errors)",
    default: true,
  },
} as const satisfies Record<string, ArgDef>;

export const jsonArgs = {
  json: { type: "boolean", description: "Print JSON for scripts", default: false },
} as const satisfies Record<string, ArgDef>;

/** Where a client looks when it is told of no hub (and, for some commands, finds none on the LAN). */
export const DEFAULT_HUB = "http://localhost:3000";

/** --hub, then a chosen profile's hub, then $GAMBI_HUB_URL, then the saved default, then localhost. */
export function hubUrl(flag: string | undefined, profileHub?: string): string {
  return flag || profileHub || process.env.GAMBI_HUB_URL || readSettingsQuietly().hub || DEFAULT_HUB;
}

/** citty has no number type: ports are parsed here, with a message saying what was wrong. */
export function parsePort(value: string, flag = "--port"): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}

/** citty keeps only the last of a repeated flag; this reads all of them from the raw argv. */
export function repeatedFlag(rawArgs: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === `--${name}`) {
      const v = rawArgs[i + 1];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out;
}

/** Runs a command body, turning known failures into a message and an exit code (stack only with --verbose). */
export async function guard(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof SettingsError) {
      log.error(err.message);
      process.exitCode = EXIT.usage;
    } else if (err instanceof Cancelled) {
      log.info("cancelled");
      process.exitCode = 130;
    } else if (err instanceof HubError) {
      log.error(err.message);
      process.exitCode = err.exitCode;
    } else {
      log.error(err instanceof Error ? err.message : String(err));
      if (process.argv.includes("--verbose") && err instanceof Error) log.error(err.stack);
      process.exitCode = EXIT.unexpected;
    }
  }
}
