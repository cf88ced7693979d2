/** An in-process hub on 127.0.0.1:0 plus the calls tests make against it. */
import { startHub, type RunningHub, type HubDeps } from "../../src/hub/index.ts";
import { createConsola } from "consola";

export interface TestHub extends RunningHub {
  /** Every log line the hub wrote, at every level. */
  logs: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  createRoom(body?: Record<string, unknown>): Promise<string>;
  /**
   * Joins as the real joiner does: a re-join under an id this hub handed a token for sends it
   * (pass `headers` to send something else, `{}` for nothing); a 201 keeps the new token.
   */
  join(code: string, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** participantToken of each joined participant, by `${code}/${id}`. */
  tokens: Map<string, string>;
  /** Heartbeat / leave with the participant's own token. */
  heartbeat(code: string, id: string): Promise<Response>;
  leave(code: string, id: string): Promise<Response>;
}

export function startTestHub(deps: HubDeps = {}): TestHub {
  const logs: string[] = [];
  const logger = createConsola({
    level: 999,
    reporters: [{ log: (obj) => logs.push(`${obj.type} ${obj.tag} ${obj.args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`) }],
  });
  const running = startHub({ port: 0, host: "127.0.0.1", sweepIntervalMs: 0, deps: { logger, ...deps } });
  const tokens = new Map<string, string>();
  const bearerOf = (key: string): Record<string, string> => (tokens.has(key) ? { authorization: `Bearer ${tokens.get(key)}` } : {});
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
    tokens,
    async join(code, body, headers) {
      const known = typeof body.id === "string" ? tokens.get(`${code}/${body.id}`) : undefined;
      const res = await post(`/rooms/${code}/join`, body, headers ?? (known ? { authorization: `Bearer ${known}` } : {}));
      if (res.status === 201) {
        const joined = (await res.clone().json()) as { participant: { id: string }; participantToken: string };
        tokens.set(`${code}/${joined.participant.id}`, joined.participantToken);
      }
      return res;
    },
    heartbeat: (code, id) => post(`/rooms/${code}/health`, { id }, bearerOf(`${code}/${id}`)),
    leave: (code, id) => fetch(`${running.url}/rooms/${code}/leave/${id}`, { method: "DELETE", headers: bearerOf(`${code}/${id}`) }),
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

/**
 * For joins in tests about the relay rather than a room's capacity: the participant declares 64
 * requests at once (as a batching server would), where a fake on this machine that declares
 * nothing gets 1 (protocol/concurrency.ts) and its room queues the rest.
 */
export const MANY_AT_ONCE = { maxConcurrency: 64 } as const;
