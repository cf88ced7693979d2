/**
 * Which hub `gambi list`, `join`, `chat`, `tui`, `create`, `usage` and `rooms delete` talk to:
 * `--hub`, a profile's hub,
 * `$GAMBI_HUB_URL` or the saved default, as `hubUrl` says; with none of those, the hubs that
 * announce themselves on the local network (`gambi hub --mdns`), looked for for about a
 * second: one is used (and said so, on stderr), several are offered in a prompt (without a
 * terminal: listed, and `--hub` asked for), none leaves today's default, localhost:3000.
 * `--no-discover` skips the looking.
 */
import type { ArgDef } from "citty";
import { select } from "@clack/prompts";
import { browseHubs, type BrowseResult } from "../discovery/browse.ts";
import { browseInterface } from "../discovery/interface.ts";
import type { FoundHub } from "../discovery/records.ts";
import { log } from "../logger.ts";
import { readSettingsQuietly } from "../settings.ts";
import { UsageError } from "../terminal/errors.ts";
import { ask } from "../terminal/prompt.ts";
import { DEFAULT_HUB, hubUrl } from "./_args.ts";

export const findableHubArgs = {
  hub: {
    type: "string",
    description: `Hub URL (default: $GAMBI_HUB_URL, else the one saved in ~/.config/gambi/config.json, else a hub found on the local network, else ${DEFAULT_HUB})`,
  },
  discover: { type: "boolean", description: "With no hub given or saved, look for hubs on the local network for a second (--no-discover: don't)", default: true },
} as const satisfies Record<string, ArgDef>;

/** Notes go to stderr: stdout may be JSON for a script. */
const note = log.create({ stdout: process.stderr });

/** "kitchen  http://192.168.1.20:3000  gambi 0.1.0" */
export const describeFoundHub = (h: FoundHub) => `${h.name}  ${h.url}${h.version ? `  gambi ${h.version}` : ""}`;

/** Looks on the local network for about a second: what was found, sorted by name. */
export const lookForHubs = (): Promise<BrowseResult> => browseHubs({ interface: browseInterface(process.env) });

export interface FindHubOptions {
  flag: string | undefined;
  profileHub?: string;
  discover: boolean;
  /** A prompt may be shown. */
  interactive: boolean;
}

/** The hub given or saved, if any (hubUrl's chain without its localhost fallback). */
function givenHub(flag: string | undefined, profileHub: string | undefined): string | undefined {
  return flag || profileHub || process.env.GAMBI_HUB_URL || readSettingsQuietly().hub || undefined;
}

export async function findHub(opts: FindHubOptions): Promise<{ url: string; found?: FoundHub }> {
  if (givenHub(opts.flag, opts.profileHub) || !opts.discover) return { url: hubUrl(opts.flag, opts.profileHub) };
  const { hubs, problem } = await lookForHubs();
  if (problem) note.debug(`looking for hubs on the local network: ${problem}`);
  if (hubs.length === 0) return { url: DEFAULT_HUB };
  if (hubs.length === 1) {
    const found = hubs[0]!;
    note.info(`using hub "${found.name}" at ${found.url}, found on the local network (--hub to choose another)`);
    return { url: found.url, found };
  }
  if (!opts.interactive) {
    throw new UsageError(`${hubs.length} hubs found on the local network; choose one with --hub:\n${hubs.map((h) => `  ${describeFoundHub(h)}`).join("\n")}`);
  }
  const url = await ask(
    select({
      message: "Hubs on the local network: which one?",
      options: hubs.map((h) => ({ value: h.url, label: `${h.name}  ${h.url}`, hint: [h.version && `gambi ${h.version}`, h.tls && "https"].filter(Boolean).join(", ") || undefined })),
    }),
  );
  return { url, found: hubs.find((h) => h.url === url) };
}
