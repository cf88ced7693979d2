/**
 * `gambi rooms delete CODE` (or `gambi delete CODE`): delete a room. The credential is, in
 * order, `--host-id`, the hostId `gambi create` saved for this hub and code, then the hub token
 * (`--token` / $GAMBI_HUB_TOKEN). The room's participants are told and their joiners stop
 * serving it; the saved hostId is dropped.
 */
import { defineCommand } from "citty";
import { createHubClient, HubError } from "../client.ts";
import { log } from "../logger.ts";
import { hasCode } from "../protocol/error-codes.ts";
import { findOwnedRoom, forgetOwnedRoom, readSettingsQuietly } from "../settings.ts";
import { UsageError } from "../terminal/errors.ts";
import { caArgs, guard, hubCa, hubToken, jsonArgs, tokenArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";
import { canPrompt } from "../terminal/prompt.ts";

export default defineCommand({
  meta: { name: "delete", description: "Delete a room you created (its participants are told)" },
  args: {
    code: { type: "positional", description: "The room's code", required: true },
    "host-id": { type: "string", description: "The room's hostId (default: the one `gambi create` saved for this hub)" },
    ...findableHubArgs,
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
  },
  run: ({ args }) =>
    guard(async () => {
      const { url } = await findHub({ flag: args.hub, discover: args.discover, interactive: canPrompt({}) && !args.json });
      const client = createHubClient(url, { ca: hubCa(args.ca) });
      const code = args.code.trim().toUpperCase();
      const saved = findOwnedRoom(readSettingsQuietly(), client.url, code);
      const credential = args["host-id"] || saved?.hostId || hubToken(args.token);
      if (!credential) {
        // A room that is gone (deleted already, a mistyped code) is said as such, not as a missing credential.
        await client.getRoom(code);
        throw new UsageError(
          `no credential for deleting room ${code} on ${client.url}: only its creator (whose \`gambi create\` saved its hostId) or the hub's admin can. ` +
            "Pass --host-id ID, or --token with the hub token",
        );
      }
      try {
        await client.deleteRoom(code, credential);
      } catch (err) {
        // Gone already: the saved credential is of no use any more either.
        if (err instanceof HubError && hasCode(err, "room_not_found") && saved) forgetOwnedRoom(client.url, code);
        throw err;
      }
      if (saved) forgetOwnedRoom(client.url, code);
      if (args.json) console.log(JSON.stringify({ deleted: code }));
      else log.success(`room ${code} deleted from ${client.url}`);
    }),
});
