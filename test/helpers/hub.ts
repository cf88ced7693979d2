/** An in-process hub on 127.0.0.1:0 plus the calls tests make against it. */
import { startHub, type RunningHub, type HubDeps } from "../../src/hub/index.ts";
import { createConsola } from "consola";

export interface TestHub extends RunningHub {
  /** Every log line the hub wrote, at every level. */
  logs: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  createRoom(body?: Record<string, unknown>): Promise<string>;
  join(code: string, body: Record<string, unknown>): Promise<Response>;
}

export function startTestHub(deps: HubDeps = {}): TestHub {
  const logs: string[] = [];
  const logger = createConsola({
    level: 999,
    reporters: [{ log: (obj) => logs.push(`${obj.type} ${obj.tag} ${obj.args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`) }],
  });
  const running = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger, ...deps } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(running.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return {
    ...running,
    logs,
    post,
    async createRoom(body = { name: "test room" }) {
      const res = await post("/rooms", body);
      if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { room: { code: string } }).room.code;
    },
    join: (code, body) => post(`/rooms/${code}/join`, body),
  };
}

/** One non-streamed chat request through a room (model "*"); the status once the body is read. */
export async function chatThroughRoom(hubUrl: string, code: string): Promise<number> {
  const res = await fetch(`${hubUrl}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "*", messages: [{ role: "user", content: "hello" }] }),
  });
  await res.text();
  return res.status;
}
