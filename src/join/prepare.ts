/**
 * Everything `gambi join` settles before registering: each setting comes from its flag, else
 * the chosen profile, else a prompt (in a terminal), else its default or a usage error. The
 * endpoint is probed from here with the auth headers, so a typo or a rejected key is reported
 * before the hub is involved; in a terminal a rejected key can be entered again.
 */
import * as p from "@clack/prompts";
import { networkInterfaces } from "node:os";
import { HubError, type HubClient, type PublicRoom } from "../client.ts";
import type { Logger } from "../logger.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../protocol/endpoint.ts";
import { hasCode } from "../protocol/error-codes.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { matchModel, suggestModels, type ProbeResult } from "../proxy/probe.ts";
import type { ProfileInput, SavedProfile } from "../settings.ts";
import { EXIT, UsageError } from "../terminal/errors.ts";
import { ask, askRoomPassword } from "../terminal/prompt.ts";
import { headerRecord, resolveAuthHeaderEntries, type AuthHeaderEntry } from "./headers.ts";
import { askAuthHeaders, askEndpoint, askModels, askNickname, askRoom, askSaveProfile } from "./interactive.ts";
import { friendlyName } from "./names.ts";
import { probeOwnEndpoint, protocolsSpoken } from "./probe.ts";
import { DEFAULT_ENDPOINT, providerFor } from "./providers.ts";

export interface JoinFlags {
  code?: string;
  endpoint?: string;
  networkEndpoint?: string;
  /** `--model`, repeatable: several models from the one endpoint (the first is the default). */
  models: string[];
  /**
   * `--embedding-model`, repeatable: models of the same endpoint that embed (`POST /v1/embeddings`),
   * the only ones the hub sends embeddings requests to. With them, `--model` may be left out.
   */
  embeddingModels?: string[];
  /** `--max-concurrency`, already checked (1–1024). */
  maxConcurrency?: number;
  nickname?: string;
  password?: string;
  headers: string[];
  headerEnvs: string[];
  allowUnlistedModel: boolean;
  /** A name to save the settings under (`--save`). */
  save?: string;
  /** `--tunnel` / `--no-tunnel` (unset: the profile's, else direct): serve through a tunnel to the hub; the endpoint and its keys stay on this machine. */
  tunnel?: boolean;
}

export interface PreparedJoin {
  code: string;
  local: string;
  published: string;
  /** No duplicates; the first is the participant's default. At least one unless `embeddingModels` has some. */
  models: string[];
  /** Its embedding models (`--embedding-model`); none by default. */
  embeddingModels: string[];
  /** Declared; unset, the hub probes the endpoint or picks a default. */
  maxConcurrency?: number;
  nickname: string;
  password?: string;
  headers: AuthHeaderEntry[];
  probe: ProbeResult;
  /** Where to save the settings after a successful join, if anywhere. */
  saveAs?: string;
  /** Serve through a tunnel (`--tunnel`, or accepted when offered): the hub never dials `local`. */
  tunnel: boolean;
}

function baseUrl(raw: string, flag: string): string {
  try {
    return normalizeBaseUrl(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

/** A probe failure as the exit code scripts rely on: 3 unreachable, 4 rejected or unusable. */
function probeFailure(err: GambiError): HubError {
  return new HubError(err.message, err.status, err.code ?? undefined, err.status === 502 ? EXIT.unreachable : EXIT.rejected);
}

async function probeUntilAccepted(local: string, headers: AuthHeaderEntry[], interactive: boolean, log: Logger, embeddings: boolean) {
  for (;;) {
    const spin = interactive ? p.spinner() : undefined;
    if (spin) spin.start(`probing ${local}`);
    else log.start(`probing ${local} ...`);
    try {
      const probe = await probeOwnEndpoint(local, headerRecord(headers), { embeddings });
      spin?.stop(`${local} speaks ${protocolsSpoken(probe)}${probe.models ? `, ${probe.models.length} models` : ""}`);
      return { probe, headers };
    } catch (err) {
      if (!(err instanceof GambiError)) throw err;
      spin?.error(err.message);
      if (!interactive || !hasCode(err, "endpoint_credentials_rejected")) throw probeFailure(err);
      if (!(await ask(p.confirm({ message: "Enter the auth headers again?", initialValue: true })))) throw probeFailure(err);
      headers = await askAuthHeaders(local);
    }
  }
}

/** The one room, not the list: listing rooms may need a hub token, a room's own view does not. */
async function roomInfo(client: HubClient, code: string): Promise<PublicRoom | undefined> {
  try {
    return (await client.getRoom(code)).room;
  } catch (err) {
    // An unknown room is the join's to report, with its own message.
    if (err instanceof HubError && hasCode(err, "room_not_found")) return undefined;
    throw err;
  }
}

export async function prepareJoin(opts: { flags: JoinFlags; profile?: SavedProfile; client: HubClient; interactive: boolean; log: Logger }): Promise<PreparedJoin> {
  const { flags, profile, client, interactive, log } = opts;
  if (interactive) p.intro(`gambi join · hub ${client.url}`);

  let code = flags.code ?? profile?.code;
  let room: PublicRoom | undefined;
  if (!code) {
    if (!interactive) throw new UsageError("--code is required (the room code; gambi list shows the rooms)");
    ({ code, room } = await askRoom(client));
  }

  const local = baseUrl(flags.endpoint ?? profile?.endpoint ?? (interactive ? await askEndpoint() : DEFAULT_ENDPOINT), "--endpoint");
  let tunnel = flags.tunnel ?? profile?.tunnel === true;
  if (tunnel && flags.networkEndpoint) throw new UsageError("--network-endpoint is the address the hub dials; with --tunnel the hub never dials your endpoint: drop one of them");
  const networkRaw = tunnel ? undefined : (flags.networkEndpoint ?? profile?.networkEndpoint);
  const published = networkRaw ? baseUrl(networkRaw, "--network-endpoint") : local;

  let headers: AuthHeaderEntry[];
  if (flags.headers.length || flags.headerEnvs.length) headers = resolveAuthHeaderEntries(flags.headers, flags.headerEnvs, process.env);
  else if (profile?.headers?.length) headers = resolveAuthHeaderEntries([], profile.headers.map((h) => `${h.name}=${h.env}`), process.env);
  else headers = interactive ? await askAuthHeaders(local) : [];

  // Flags win, as for the chat models; a profile's embedding models otherwise.
  const embeddingModels = unique(flags.embeddingModels?.length ? flags.embeddingModels : (profile?.embeddingModels ?? []));
  const probed = await probeUntilAccepted(local, headers, interactive, log, embeddingModels.length > 0);
  headers = probed.headers;
  const models = probed.probe.models;
  if (embeddingModels.length && !probed.probe.capabilities.embeddings) {
    throw new UsageError(`${local} has no /v1/embeddings for --embedding-model (llama.cpp's llama-server serves it with --embeddings)`);
  }

  const saved = profile?.models ?? (profile?.model ? [profile.model] : []);
  // Embedding models alone: a participant that only embeds, nothing to ask.
  const askFor = interactive && !embeddingModels.length;
  const chosen = unique(flags.models.length ? flags.models : saved.length ? saved : askFor ? await askModels(models ?? undefined) : []);
  if (!chosen.length && !embeddingModels.length) throw new UsageError("--model is required (the model your endpoint serves, e.g. llama3.2; repeat it for several; --embedding-model for one that embeds)");
  const missing = models?.length && !flags.allowUnlistedModel ? [...chosen, ...embeddingModels].filter((m) => !matchModel(models, m)) : [];
  if (missing.length) {
    const what = missing.length === 1 ? `model "${missing[0]}" is` : `models ${missing.map((m) => `"${m}"`).join(", ")} are`;
    throw new UsageError(`${what} not served by ${local}; it offers: ${suggestModels(models!, missing[0]!).join(", ")} (--allow-unlisted-model if its list is incomplete)`);
  }
  const maxConcurrency = flags.maxConcurrency ?? profile?.maxConcurrency;

  const nickname = flags.nickname ?? profile?.nickname ?? (interactive ? await askNickname(friendlyName()) : friendlyName());

  let password = flags.password || undefined;
  if (!password && interactive) {
    room ??= await roomInfo(client, code);
    if (room?.passwordProtected) password = await askRoomPassword(room.code);
  }

  const hubHost = new URL(client.url).hostname;
  if (!tunnel && published === local && isLoopbackHost(local) && !isLoopbackHost(`http://${hubHost.includes(":") ? `[${hubHost}]` : hubHost}`)) {
    const lan = lanAddress();
    const why = `your endpoint is on localhost, but the hub (${client.url}) runs elsewhere and cannot reach your localhost.`;
    if (interactive) tunnel = await ask(p.confirm({ message: `${why} Serve through a tunnel instead (the hub never dials your endpoint, your keys stay here)?`, initialValue: true }));
    if (!tunnel) {
      log.warn(
        why +
          ` Join with --tunnel (your machine connects to the hub; the endpoint and its keys stay here)` +
          (lan ? `, or try --network-endpoint ${local.replace(/\/\/[^/:]+/, `//${lan}`)} (and make the server listen on that address).` : "."),
      );
    }
  }

  let saveAs = flags.save;
  if (!saveAs && !profile && interactive) {
    const typed = headers.filter((h) => !h.env).map((h) => h.name);
    saveAs = await askSaveProfile(providerFor(local)?.id ?? "default", typed);
  }
  return { code: code.toUpperCase(), local, published, models: chosen, embeddingModels, maxConcurrency, nickname, password, headers, probe: probed.probe, saveAs, tunnel };
}

/** Each model once, in the order first given (the hub refuses a list that repeats one). */
const unique = (models: string[]): string[] => [...new Set(models.map((m) => m.trim()).filter(Boolean))];

/** What `--save` stores once the join worked: the network endpoint only when it differs, header values never (settings.ts keeps env-var names only). */
export function joinedProfile(prepared: PreparedJoin, hub: string, specs: boolean): ProfileInput {
  const { code, local, published, models, embeddingModels, maxConcurrency, nickname, headers, tunnel } = prepared;
  return { hub, code, endpoint: local, networkEndpoint: published !== local ? published : undefined, models, embeddingModels, maxConcurrency, nickname, specs, headers, tunnel };
}
