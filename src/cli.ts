#!/usr/bin/env bun
/** gambi: the root command is only a menu; each subcommand lives in src/commands/. */
import { defineCommand, renderUsage, runMain } from "citty";
import { stripVTControlCharacters } from "node:util";
import { VERSION } from "./version.ts";

const main = defineCommand({
  meta: { name: "gambi", version: VERSION, description: "Pool a group's LLM endpoints behind one OpenAI-compatible hub" },
  subCommands: {
    hub: () => import("./commands/hub.ts").then((m) => m.default),
    serve: () => import("./commands/hub.ts").then((m) => m.default),
    create: () => import("./commands/create.ts").then((m) => m.default),
    list: () => import("./commands/list.ts").then((m) => m.default),
    rooms: () => import("./commands/rooms.ts").then((m) => m.default),
    delete: () => import("./commands/delete.ts").then((m) => m.default),
    join: () => import("./commands/join.ts").then((m) => m.default),
    chat: () => import("./commands/chat.ts").then((m) => m.default),
    tui: () => import("./commands/tui.ts").then((m) => m.default),
    monitor: () => import("./commands/tui.ts").then((m) => m.default),
    health: () => import("./commands/health.ts").then((m) => m.default),
    usage: () => import("./commands/usage.ts").then((m) => m.default),
    upgrade: () => import("./commands/upgrade.ts").then((m) => m.default),
  },
});

// citty colours its help whatever stdout is; piped (`gambi --help | less`, into a file) it goes plain.
runMain(main, {
  showUsage: async (cmd, parent) => {
    const usage = await renderUsage(cmd, parent);
    console.log(`${process.stdout.isTTY ? usage : stripVTControlCharacters(usage)}\n`);
  },
});
