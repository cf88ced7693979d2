/** `gambi create`: make a room on a hub and print its code. */
import { defineCommand } from "citty";
import { readFile } from "node:fs/promises";
import { createHubClient } from "../client.ts";
import { roomPasswordProblem } from "../common/room-password.ts";
import { log } from "../logger.ts";
import * as p from "@clack/prompts";
import { UsageError } from "../terminal/errors.ts";
import { ask, canPrompt } from "../terminal/prompt.ts";
import { saveOwnedRoom, SettingsError } from "../settings.ts";
import { caArgs, guard, hubCa, hubToken, interactiveArgs, jsonArgs, tokenArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";

async function readConfig(path: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a JSON object");
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
}

/**
 * Saves the room's hostId for `gambi rooms delete`; the room exists either way, so a settings
 * file that cannot be read or written is a warning (with what to do), not a failure.
 */
function keepHostId(hub: string, code: string, name: string, hostId: string): string | undefined {
  try {
    return saveOwnedRoom({ hub, code, name, hostId });
  } catch (err) {
    if (!(err instanceof SettingsError) && !(err instanceof Error && "code" in err)) throw err;
    log.warn(`could not save the room's delete credential (${(err as Error).message}); with --json, create prints it as "hostId"`);
    return undefined;
  }
}

export default defineCommand({
  meta: { name: "create", description: "Create a room and print its code" },
  args: {
    name: { type: "string", description: 'Room name (default "gambi room")' },
    password: { type: "string", description: "Password participants need to join" },
    config: { type: "string", description: "JSON file with room defaults (instructions, temperature, max_tokens, ...)" },
    ...findableHubArgs,
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
    ...interactiveArgs,
  },
  run: ({ args }) =>
    guard(async () => {
      const { url } = await findHub({ flag: args.hub, discover: args.discover, interactive: canPrompt(args) && !args.json });
      const client = createHubClient(url, { token: hubToken(args.token), ca: hubCa(args.ca) });
      let name = args.name;
      let password = args.password;
      // In a terminal, ask for what the flags left out (a name, then an optional hidden password).
      if (!name && canPrompt(args) && !args.json) {
        p.intro(`gambi create · hub ${client.url}`);
        name = (await ask(p.text({ message: "Room name", placeholder: "gambi room", defaultValue: "gambi room" }))).trim() || "gambi room";
        if (password === undefined) {
          password = await ask(p.password({ message: "Room password (input hidden; Enter for an open room)", validate: (v) => (v ? roomPasswordProblem(v) : undefined) }));
        }
      }
      const config = await readConfig(args.config);
      const { room, hostId } = await client.createRoom({ name: name || "gambi room", password: password || undefined, config });
      const saved = keepHostId(client.url, room.code, room.name, hostId);
      if (args.json) {
        console.log(JSON.stringify({ ...room, hostId }));
        return;
      }
      console.log(room.code);
      log.info(`room "${room.name}" on ${client.url}; inference base URL ${client.url}/rooms/${room.code}/v1`);
      if (saved) log.info(`its delete credential (hostId) is saved in ${saved}: gambi rooms delete ${room.code}`);
    }),
});
