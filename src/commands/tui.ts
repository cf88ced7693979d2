/** `gambi tui` (alias `gambi monitor`): a full-screen live view of a hub, its rooms and their activity, and a join flow. */
import { defineCommand } from "citty";
import { UsageError } from "../terminal/errors.ts";
import { caArgs, guard, hubCa, hubToken, tokenArgs } from "./_args.ts";
import { findableHubArgs, findHub } from "./_find-hub.ts";

export default defineCommand({
  meta: { name: "tui", description: "A live terminal dashboard of a hub (rooms, participants, requests) that can also create rooms and join them" },
  args: { ...findableHubArgs, ...caArgs, ...tokenArgs },
  run: ({ args }) =>
    guard(async () => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError("gambi tui needs a terminal (for scripts: gambi list --json, or GET /rooms/CODE/events)");
      // Ink draws only a last frame, at exit, when CI or CONTINUOUS_INTEGRATION is set (it reads
      // them when loaded). This runs on a terminal, checked above, so a person is watching:
      // a CI variable left in their shell must not blank the screen.
      for (const name of ["CI", "CONTINUOUS_INTEGRATION"]) if (name in process.env) process.env[name] = "false";
      // Before the TUI takes the screen: several hubs on the local network are a prompt.
      const { url, found } = await findHub({ flag: args.hub, discover: args.discover, interactive: true });
      // Ink and React load only for this command: the hub and the other commands never pay for them.
      const { runTui } = await import("../tui/run.tsx");
      const code = await runTui({ hubUrl: url, foundAs: found?.name, token: hubToken(args.token), ca: hubCa(args.ca) });
      // The terminal is restored; a poll still waiting on an unreachable hub must not hold the exit.
      process.exit(code);
    }),
});
