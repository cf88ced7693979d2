/** `gambi hub`: run the hub in the foreground until Ctrl-C. */
import { defineCommand } from "citty";
import { networkInterfaces } from "node:os";
import { listenArgs, parsePort, UsageError } from "./_args.ts";
import { startHub } from "../hub/index.ts";
import { log } from "../logger.ts";
import { VERSION } from "../version.ts";

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);
}

export default defineCommand({
  meta: { name: "hub", description: "Start a gambi hub (rooms, participants and the OpenAI-compatible proxy)" },
  args: { ...listenArgs },
  async run({ args }) {
    let port: number;
    try {
      port = parsePort(args.port);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      log.error(err.message);
      process.exitCode = 2;
      return;
    }
    let running;
    try {
      running = startHub({ port, host: args.host });
    } catch (err) {
      log.error(`could not listen on ${args.host}:${port}: ${(err as Error).message}`);
      process.exitCode = 3;
      return;
    }
    const hosts = args.host === "0.0.0.0" ? ["127.0.0.1", ...lanAddresses()] : [args.host];
    log.success(`gambi hub ${VERSION} listening on port ${running.port}`);
    for (const h of hosts) log.info(`  http://${h}:${running.port}`);
    log.info(`inference base URL: http://${hosts.at(-1)}:${running.port}/rooms/<CODE>/v1`);
    log.info(`create a room: curl -X POST http://127.0.0.1:${running.port}/rooms -H 'content-type: application/json' -d '{"name":"my room"}'`);
    const stop = async () => {
      log.info("stopping hub");
      await running.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  },
});
