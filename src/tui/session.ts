/**
 * The participant the TUI runs after a join: the same session as `gambi join` (join/session.ts:
 * heartbeats, re-join after a hub restart, backoff while the hub is away), with its messages
 * routed into the TUI instead of the console, which the full-screen view owns. The auth header
 * values live only in the join request held by the runtime, for re-joins; the view gets names
 * and states.
 */
import { createConsola } from "consola";
import type { HubClient } from "../client.ts";
import { openSession, type SessionSettings } from "../join/session.ts";
import type { SessionView } from "./state.ts";

/** The TUI's join form gives what `gambi join` flags give, minus specs, defaults and unlisted models. */
export interface SessionOptions extends Omit<SessionSettings, "specs" | "config" | "allowUnlistedModel"> {
  client: HubClient;
  onChange: (view: SessionView) => void;
  heartbeatMs?: number;
}

export interface Session {
  readonly view: SessionView;
  stop(): Promise<void>;
}

/** Registers the participant; rejects with the hub's HubError when the join is refused. */
export async function startSession(opts: SessionOptions): Promise<Session> {
  const { client, onChange, heartbeatMs, ...settings } = opts;
  let view: SessionView;
  const update = (patch: Partial<SessionView>) => {
    view = { ...view, ...patch };
    onChange(view);
  };
  // The runtime reports state changes through a logger; here each message becomes the notice.
  const log = createConsola({ level: 3, reporters: [{ log: (obj) => update({ notice: obj.args.map(String).join(" ") }) }] });
  const session = openSession({ client, log, heartbeatMs, onStateChange: (state) => update({ state }), settings });
  view = { code: opts.code, id: session.id, nickname: opts.nickname, models: opts.models, ...(opts.embeddingModels?.length ? { embeddingModels: [...opts.embeddingModels] } : {}), state: "joined", ...(opts.tunnel ? { tunnel: true } : {}) };
  const joined = await session.start();
  view = { ...view, nickname: String(joined.nickname ?? opts.nickname) };
  return {
    get view() {
      return view;
    },
    stop: () => session.stop(),
  };
}
