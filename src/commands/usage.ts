/**
 * `gambi usage CODE`: a room's usage ledger — what each participant served and each caller used,
 * per model, since the room was created (GET /rooms/:code/usage). A table by default, `--json`
 * (the hub's answer as it is) or `--csv` (the hub's CSV). A protected room's password comes
 * from `--password` or, in a terminal, a hidden prompt.
 */
import { defineCommand } from "citty";
import { createHubClient } from "../client.ts";
import { askChatPassword, explainRefusal } from "../chat/password.ts";
import { canPrompt } from "../terminal/prompt.ts";
import { UsageError } from "../terminal/errors.ts";
import { usageLines } from "../tui/usage-table.ts";
import { looksLikeRoomCode } from "../common/room-code.ts";
import { caArgs, guard, hubCa, interactiveArgs, jsonArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";

export default defineCommand({
  meta: { name: "usage", description: "Show a room's usage ledger: tokens each participant served and each caller used" },
  args: {
    code: { type: "positional", required: true, description: "The room's code" },
    password: { type: "string", description: "Room password, for a protected room (in a terminal, asked when needed)" },
    csv: { type: "boolean", description: "Print the ledger as CSV", default: false },
    ...jsonArgs,
    ...findableHubArgs,
    ...caArgs,
    ...interactiveArgs,
  },
  run: ({ args }) =>
    guard(async () => {
      if (args.json && args.csv) throw new UsageError("--json and --csv: pick one");
      if (!looksLikeRoomCode(args.code)) throw new UsageError(`"${args.code}" is not a room code (6 letters or digits; gambi list shows the rooms)`);
      const code = args.code.trim().toUpperCase();
      const { url } = await findHub({ flag: args.hub, discover: args.discover, interactive: canPrompt(args) && !args.json && !args.csv });
      const client = createHubClient(url, { ca: hubCa(args.ca) });
      const password = args.password || (canPrompt(args) ? await askChatPassword(client, code) : undefined);
      try {
        if (args.csv) process.stdout.write(await client.usageCsv(code, password));
        else {
          const usage = await client.usage(code, password);
          console.log(args.json ? JSON.stringify(usage, null, 2) : usageLines(usage).join("\n"));
        }
      } catch (err) {
        throw explainRefusal(err, code);
      }
    }),
});
