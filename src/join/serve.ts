/**
 * `gambi join` once its settings are settled: register the participant, leave the room on
 * Ctrl-C or SIGTERM (also while the join request is still under way), and keep the status
 * line fed from the room's events. The command prints the outcome; the TUI runs the same
 * session (session.ts) with its own view instead.
 */
import { HubError, type HubClient } from "../client.ts";
import { hasCode } from "../protocol/error-codes.ts";
import type { Logger } from "../logger.ts";
import { headerRecord } from "./headers.ts";
import type { PreparedJoin } from "./prepare.ts";
import { openSession } from "./session.ts";
import { applyRoomEvent, createStatusLine, initialStatus, withHeartbeat, withOwnView } from "./status.ts";

export interface ServeOptions {
  client: HubClient;
  prepared: PreparedJoin;
  specs: boolean;
  config?: Record<string, unknown>;
  allowUnlistedModel: boolean;
  log: Logger;
  /** Draw the self-rewriting status line (a terminal, not --json); else one log line per finished request. */
  tty: boolean;
  /** Called once the participant has left after a signal (the command exits there). */
  onLeft: () => void;
}

/** The hub cannot reach the endpoint: the tunnel is the way round that. */
function withTunnelHint(err: HubError): HubError {
  return new HubError(`${err.message} Or join with --tunnel: your machine connects to the hub, which then never dials your endpoint.`, err.status, err.code, err.exitCode);
}

export async function serveInRoom(opts: ServeOptions) {
  const { client, prepared, log } = opts;
  // The status line (room, model, state, requests served, in flight, a cooldown) is fed by the join answer and the room's event stream.
  const line = createStatusLine({ log, tty: opts.tty });
  let status = initialStatus(prepared.code, [...prepared.models, ...prepared.embeddingModels.map((m) => `${m} (embeddings)`)].join(", "));
  // A cooldown's end comes with no event: the line is drawn again then.
  let cooldownTimer: ReturnType<typeof setTimeout> | undefined;
  let cooldownFor: number | undefined;
  function render(next: typeof status, finished?: Parameters<typeof line.update>[1]) {
    status = next;
    line.update(status, finished);
    if (status.cooldownUntil === cooldownFor) return;
    cooldownFor = status.cooldownUntil;
    clearTimeout(cooldownTimer);
    const left = cooldownFor === undefined ? 0 : cooldownFor - Date.now();
    if (left > 0) (cooldownTimer = setTimeout(() => line.update(status), left + 50)).unref?.();
  }
  const session = openSession({
    client,
    log,
    onStateChange: (state) => render({ ...status, participant: state }),
    onHeartbeat: (answer) => render(withHeartbeat(status, answer)),
    settings: {
      code: prepared.code,
      endpoint: prepared.tunnel ? prepared.local : prepared.published,
      tunnel: prepared.tunnel,
      models: prepared.models,
      embeddingModels: prepared.embeddingModels,
      maxConcurrency: prepared.maxConcurrency,
      nickname: prepared.nickname,
      password: prepared.password,
      authHeaders: headerRecord(prepared.headers),
      specs: opts.specs,
      config: opts.config,
      allowUnlistedModel: opts.allowUnlistedModel,
    },
  });
  // Signals are handled from before the join request: a Ctrl-C that lands while the hub is
  // registering us still leaves the room instead of leaving a ghost participant behind.
  const watching = new AbortController();
  let starting: Promise<unknown> | undefined;
  let leaving = false;
  const leave = async () => {
    if (leaving) return;
    leaving = true;
    watching.abort();
    clearTimeout(cooldownTimer);
    line.clear();
    await starting?.catch(() => undefined);
    await session.stop();
    log.info(`left room ${prepared.code}`);
    opts.onLeft();
  };
  process.once("SIGINT", leave);
  process.once("SIGTERM", leave);

  starting = session.start();
  let joined: Awaited<ReturnType<typeof session.start>>;
  try {
    joined = (await starting) as Awaited<ReturnType<typeof session.start>>;
  } catch (err) {
    throw err instanceof HubError && hasCode(err, "endpoint_unreachable") && !prepared.tunnel ? withTunnelHint(err) : err;
  }
  const id = String(joined.id);
  status = withOwnView(status, joined, true);
  return {
    /** The participant as the hub registered it. */
    joined,
    id,
    /** Starts the status line and its event stream (after the caller has printed the join), unless already leaving. */
    follow() {
      if (leaving) return;
      render(status);
      void client.watchRoomEvents(prepared.code, (event) => {
        const { state, finished } = applyRoomEvent(status, event, id);
        if (state !== status || finished) render(state, finished);
      }, watching.signal, { password: prepared.password, onRefused: (message) => log.warn(message) });
    },
  };
}
