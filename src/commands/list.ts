/**
 * `gambi list`: the hub's rooms with their participant counts. With no hub given or saved it
 * uses a hub found on the local network (commands/_find-hub.ts). `gambi list --hubs` lists the
 * hubs found there instead (`--json`: `[{name, url, version, tls}]`).
 */
import { defineCommand } from "citty";
import { createHubClient } from "../client.ts";
import { canPrompt } from "../terminal/prompt.ts";
import { caArgs, guard, hubCa, hubToken, jsonArgs, tokenArgs } from "./_args.ts";
import { describeFoundHub, findableHubArgs, findHub, lookForHubs } from "./_find-hub.ts";

async function listHubs(json: boolean): Promise<void> {
  const { hubs, problem } = await lookForHubs();
  if (json) {
    console.log(JSON.stringify(hubs));
  } else if (hubs.length === 0) {
    console.log(`no hub found on the local network${problem ? ` (${problem})` : ""}; a hub announces itself with gambi hub --mdns`);
  } else {
    for (const h of hubs) console.log(`${describeFoundHub(h)}${h.tls ? "  (https)" : ""}`);
  }
}

export default defineCommand({
  meta: { name: "list", description: "List the rooms on a hub (--hubs: the hubs on the local network)" },
  args: {
    ...findableHubArgs,
    hubs: { type: "boolean", description: "List the hubs announced on the local network (gambi hub --mdns) instead of rooms", default: false },
    ...caArgs,
    ...tokenArgs,
    ...jsonArgs,
  },
  run: ({ args }) =>
    guard(async () => {
      if (args.hubs) return listHubs(args.json);
      const { url } = await findHub({ flag: args.hub, discover: args.discover, interactive: canPrompt({}) && !args.json });
      const { rooms } = await createHubClient(url, { token: hubToken(args.token), ca: hubCa(args.ca) }).listRooms();
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
