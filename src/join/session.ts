/**
 * One participant session as both `gambi join` and the TUI run it, once the settings are
 * settled (prepare.ts, or the TUI's join form) and the endpoint probed (probe.ts): the join
 * request, the runtime that registers, heartbeats and re-joins (runtime.ts), and saving the
 * settings that worked as a profile. What is shown of it is the caller's: the status line
 * (serve.ts) or the TUI's room view. With `tunnel`, the runtime serves through a tunnel
 * (tunnel/connection.ts) to this machine's endpoint, with its auth headers, which never go to the hub.
 */
import type { HubClient, JoinRequest } from "../client.ts";
import type { Logger } from "../logger.ts";
import { saveProfile, SettingsError, type ProfileInput } from "../settings.ts";
import { participantId } from "./names.ts";
import { startParticipant, type ParticipantOptions, type ParticipantState } from "./runtime.ts";
import { machineSpecs } from "./specs.ts";
import { connectTunnel } from "./tunnel/connection.ts";
import type { StatusFrame } from "../protocol/tunnel/frames.ts";

export interface SessionSettings {
  code: string;
  /** The URL the hub uses for the endpoint (the network endpoint, when one was given); with `tunnel`, the one this machine uses. */
  endpoint: string;
  /** Serve through a tunnel (`gambi join --tunnel`): the endpoint and the auth headers stay here. */
  tunnel?: boolean;
  /** The models to serve (the first is the default); at least one, unless `embeddingModels` has some. */
  models: string[];
  /** The models it serves for embeddings (`--embedding-model`). */
  embeddingModels?: string[];
  /** Requests served at once; unset: the hub decides (probe or default). */
  maxConcurrency?: number;
  nickname: string;
  password?: string;
  /** Header values live only here and in the runtime's request, for re-joins; never in a view. */
  authHeaders: Record<string, string>;
  /** Share machine specs (default: yes; `--no-specs`). */
  specs?: boolean;
  config?: Record<string, unknown>;
  allowUnlistedModel?: boolean;
}

/**
 * The body of `POST /rooms/:code/join`, with a fresh participant id; empty options are left
 * out. `model` is always the first model and `models` comes only with several, so a single
 * model joins exactly as before, and an older hub (which ignores `models`) serves the first.
 */
export function joinRequest(s: SessionSettings): JoinRequest {
  return {
    id: participantId(),
    nickname: s.nickname,
    model: s.models[0],
    models: s.models.length > 1 ? [...s.models] : undefined,
    embeddingModels: s.embeddingModels?.length ? [...s.embeddingModels] : undefined,
    maxConcurrency: s.maxConcurrency,
    // Through a tunnel, neither the endpoint nor its keys go to the hub.
    endpoint: s.tunnel ? undefined : s.endpoint,
    transport: s.tunnel ? "tunnel" : undefined,
    password: s.password,
    specs: s.specs === false ? undefined : machineSpecs(),
    config: s.config,
    authHeaders: !s.tunnel && Object.keys(s.authHeaders).length ? s.authHeaders : undefined,
    allowUnlistedModel: s.allowUnlistedModel || undefined,
  };
}

export interface SessionOptions {
  client: HubClient;
  settings: SessionSettings;
  /** Where the runtime's messages go (re-joined, hub unreachable, ...). */
  log: Logger;
  heartbeatMs?: number;
  /** The first retry after the hub (or the tunnel) is lost (runtime.ts; default 2 s). */
  firstRetryMs?: number;
  onStateChange?: (state: ParticipantState) => void;
  onHeartbeat?: ParticipantOptions["onHeartbeat"];
}

/**
 * The runtime for these settings, not registered yet: `start()` registers (a refusal rejects
 * with the hub's HubError) and then heartbeats and re-joins by itself; `stop()` leaves.
 * Callers get it before registering so a Ctrl-C during the join can still leave the room.
 */
export function openSession(opts: SessionOptions) {
  const s = opts.settings;
  const request = joinRequest(s);
  const tunnel = s.tunnel
    ? (id: string, token: string, onStatus: (status: StatusFrame) => void) =>
        connectTunnel({ socket: opts.client.openTunnel(s.code, id, token), endpoint: { base: s.endpoint, authHeaders: s.authHeaders }, onStatus })
    : undefined;
  const runtime = startParticipant({
    client: opts.client,
    code: s.code,
    log: opts.log,
    heartbeatMs: opts.heartbeatMs,
    firstRetryMs: opts.firstRetryMs,
    onStateChange: opts.onStateChange,
    onHeartbeat: opts.onHeartbeat,
    request,
    tunnel,
  });
  return {
    get id() {
      return runtime.id;
    },
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}
export type Session = ReturnType<typeof openSession>;

/**
 * Saves the settings that just worked as a profile. A failure to save (a broken config file,
 * a bad name, a disk error) is returned as a problem, not thrown: the participant is already
 * serving and should go on.
 */
export function saveJoinProfile(name: string, input: ProfileInput, opts: { setDefaultHub?: boolean; path?: string } = {}): { path: string } | { problem: string } {
  try {
    return { path: saveProfile(name, input, opts) };
  } catch (err) {
    if (!(err instanceof SettingsError) && !(err instanceof Error && "code" in err)) throw err;
    return { problem: (err as Error).message };
  }
}
