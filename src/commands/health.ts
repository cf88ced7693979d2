/**
 * `gambi health`: ask a hub's GET /health and exit 0 when it says ok, 3 when it cannot be
 * reached (or answers otherwise). The container image's HEALTHCHECK runs it, so the image
 * needs no curl; a script can use it to wait for a hub.
 */
import { defineCommand } from "citty";
import { createHubClient } from "../client.ts";
import { EXIT, UsageError } from "../terminal/errors.ts";
import { caArgs, guard, hubArgs, hubCa, hubUrl, jsonArgs } from "./_args.ts";

export default defineCommand({
  meta: { name: "health", description: "Check that a hub is up (GET /health): exit 0 if it is, 3 if not" },
  args: {
    ...hubArgs,
    ...caArgs,
    ...jsonArgs,
    timeout: { type: "string", description: "Seconds to wait for the answer", default: "5" },
  },
  run: ({ args }) =>
    guard(async () => {
      const seconds = Number(args.timeout);
      if (!/^\d+(\.\d+)?$/.test(args.timeout) || seconds <= 0) throw new UsageError(`--timeout must be a number of seconds above 0, got "${args.timeout}"`);
      const client = createHubClient(hubUrl(args.hub), { ca: hubCa(args.ca), timeoutMs: Math.round(seconds * 1000) });
      const health = await client.health();
      if (args.json) console.log(JSON.stringify(health));
      else console.log(`${health.status}: gambi hub ${health.version} at ${client.url}, up ${Math.round(health.uptime)} s, ${health.rooms} room${health.rooms === 1 ? "" : "s"}`);
      if (health.status !== "ok") process.exitCode = EXIT.unreachable;
    }),
});
