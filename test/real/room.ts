/**
 * A room as a user builds it against real servers: an in-process hub on port 0, a room, and one
 * `gambi join` (the CLI, spawned) per llama-server of the kit. `close()` stops them all.
 */
import { spawnCli, killHubProcesses } from "../helpers/hub-process.ts";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { waitFor } from "../helpers/fake-upstream.ts";
import { startLlama, type LlamaServer } from "./llama-server.ts";

export interface RealRoom {
  hub: TestHub;
  code: string;
  /** `http://127.0.0.1:PORT/rooms/CODE/v1`, for any OpenAI client. */
  v1: string;
  llamas: LlamaServer[];
  /** Participant ids, in the order of `llamas`. */
  ids: string[];
  close(): Promise<void>;
}

/**
 * `servers`: llama-server's extra flags, one entry per server; `joins`: what each one's `gambi
 * join` serves (default `--model tiny`), e.g. `["--embedding-model", "tiny"]` for a server started
 * with `--embeddings`.
 */
export async function realRoom(servers: string[][] = [[]], joins: string[][] = []): Promise<RealRoom> {
  const llamas = await Promise.all(servers.map((flags) => startLlama(flags)));
  const hub = startTestHub();
  const code = await hub.createRoom({ name: "real llama.cpp" });
  const room = () => hub.hub.ctx.registry.find(code)!;
  const ids: string[] = [];
  for (const [n, llama] of llamas.entries()) {
    const nickname = `llama-${n}`;
    const serves = joins[n] ?? ["--model", "tiny"];
    const joiner = spawnCli(["join", "--hub", hub.url, "--code", code, "--endpoint", llama.url, ...serves, "--nickname", nickname, "--no-interactive", "--no-specs"]);
    const joined = await waitFor(() => [...room().participants.values()].some((p) => p.nickname === nickname) || joiner.p.exitCode !== null, 20_000);
    if (!joined || joiner.p.exitCode !== null) throw new Error(`gambi join did not join:\n${joiner.out.stdout}\n${joiner.out.stderr}`);
    ids.push([...room().participants.values()].find((p) => p.nickname === nickname)!.id);
  }
  return {
    hub,
    code,
    v1: `${hub.url}/rooms/${code}/v1`,
    llamas,
    ids,
    async close() {
      killHubProcesses();
      await hub.stop();
      await Promise.all(llamas.map((l) => l.stop()));
    },
  };
}
