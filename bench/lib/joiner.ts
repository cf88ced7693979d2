/**
 * Child process: a tunnelled participant's joiner, the code `gambi join --tunnel` runs
 * (join/session.ts: the join, the runtime, the tunnel connection and its exchanges), serving the
 * bench upstream through one WebSocket to the hub. Its own process, so its CPU time and memory
 * are its own and it can be pinned like the others (tunnel.ts says where).
 *
 * Commands: `join { hub, code }` joins the room and resolves once the hub routes to it (the
 * probe through the tunnel passed); `usage` as every child; `leave`.
 */
import { createConsola } from "consola";
import { createHubClient } from "../../src/client.ts";
import { openSession, type Session } from "../../src/join/session.ts";
import { processUsage, serveParent } from "./children.ts";

const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error("BENCH_UPSTREAM_URL is not set");
// Warnings and errors only, as the hub's.
const log = createConsola({ level: 1 });
let session: Session | undefined;

serveParent(
  {},
  {
    usage: (arg) => processUsage(arg === true),
    join: async (arg) => {
      const { hub, code } = arg as { hub: string; code: string };
      session = openSession({
        client: createHubClient(hub),
        log,
        settings: {
          code,
          endpoint: upstream,
          tunnel: true,
          models: ["bench-model"],
          // As the direct participant (rooms.ts): the upstream serves any number at once.
          maxConcurrency: 1024,
          nickname: "bench-tunnel",
          // The same key as the direct participant's: here the joiner, not the hub, cuts it out of answers.
          authHeaders: { Authorization: "Bearer sk-bench-not-a-real-key-0123456789" },
          specs: false,
        },
      });
      const view = await session.start();
      return { id: session.id, transport: view.transport };
    },
    leave: async () => {
      await session?.stop();
      session = undefined;
    },
  },
);
