/** `gambi rooms list|delete`: the rooms of a hub (`gambi list` and `gambi delete` are the same commands). */
import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "rooms", description: "List the rooms on a hub, or delete one you created" },
  subCommands: {
    list: () => import("./list.ts").then((m) => m.default),
    delete: () => import("./delete.ts").then((m) => m.default),
  },
});
