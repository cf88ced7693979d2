/**
 * The participant the TUI runs after a join: the same runtime as `gambi join` (heartbeats,
 * re-join after a hub restart, backoff while the hub is away), with its messages routed into
 * the TUI instead of the console, which the full-screen view owns. The auth header values live
 * only in the join request held by the runtime, for re-joins; the view gets names and states.
 */
import { createConsola } from "consola";
import type { HubClient } from "../client.ts";
import { participantId } from "../join/names.ts";
import { startParticipant } from "../join/runtime.ts";
import { machineSpecs } from "../join/specs.ts";
import type { SessionView } from "./state.ts";

export interface SessionOptions {
  client: HubClient;
  code: string;
  endpoint: string;
  model: string;
  nickname: string;
  password?: string;
  authHeaders: Record<string, string>;
  onChange: (view: SessionView) => void;
  heartbeatMs?: number;
}

export interface Session {
  readonly view: SessionView;
  stop(): Promise<void>;
}

/** Registers the participant; rejects with the hub's HubError when the join is refused. */
export async function startSession(opts: SessionOptions): Promise<Session> {
  let view: SessionView = { code: opts.code, id: participantId(), nickname: opts.nickname, model: opts.model, state: "joined" };
  const update = (patch: Partial<SessionView>) => {
    view = { ...view, ...patch };
    opts.onChange(view);
  };
  // The runtime reports state changes through a logger; here each message becomes the notice.
  const log = createConsola({ level: 3, reporters: [{ log: (obj) => update({ notice: obj.args.map(String).join(" ") }) }] });
  const runtime = startParticipant({
    client: opts.client,
    code: opts.code,
    log,
    heartbeatMs: opts.heartbeatMs,
    onStateChange: (state) => update({ state }),
    request: {
      id: view.id,
      nickname: opts.nickname,
      model: opts.model,
      endpoint: opts.endpoint,
      password: opts.password,
      specs: machineSpecs(),
      authHeaders: Object.keys(opts.authHeaders).length ? opts.authHeaders : undefined,
    },
  });
  const joined = await runtime.start();
  view = { ...view, nickname: String(joined.nickname ?? opts.nickname) };
  return {
    get view() {
      return view;
    },
    stop: () => runtime.stop(),
  };
}
