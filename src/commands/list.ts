/** `gambi list`: the hub's rooms with their participant counts. */
import { defineCommand } from "citty";
import { createHubClient } from "../client.ts";
import { caArgs, guard, hubArgs, hubCa, hubToken, hubUrl, jsonArgs, tokenArgs } from "./_args.ts";

export default defineCommand({
  meta: { name: "list", description: "List the rooms on a hub" },
  args: { ...hubArgs, ...caArgs, ...tokenArgs, ...jsonArgs },
  run: ({ args }) =>
    guard(async () => {
      const { rooms } = await createHubClient(hubUrl(args.hub), { token: hubToken(args.token), ca: hubCa(args.ca) }).listRooms();
      if (args.json) {
        console.log(JSON.stringify(rooms));
        return;
      }
      if (rooms.length === 0) {
        console.log("no rooms yet (gambi create --name ...)");
        return;
      }
      for (const r of rooms) {
        console.log(`${r.code}  ${r.name}  ${r.participantCount} participant${r.participantCount === 1 ? "" : "s"}${r.passwordProtected ? "  (password)" : ""}`);
      }
    }),
});
