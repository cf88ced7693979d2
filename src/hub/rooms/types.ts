/** A room and its participants as the hub holds them in memory (registry.ts keeps them). */
import type { AuthHeaders } from "../../proxy/headers.ts";
import type { UpstreamTarget } from "../../proxy/upstream.ts";
import type { TunnelLink } from "../../proxy/tunnel/link.ts";
import type { Capabilities } from "../../protocol/protocols.ts";
import type { ResponsesState } from "../../protocol/openai/responses-state.ts";
import type { RuntimeConfig } from "../../protocol/defaults.ts";
import type { ConcurrencySource } from "../../protocol/concurrency.ts";
import type { StoredRoom } from "../persist/room-store.ts";
import type { PoolMember, RoomScheduler } from "../pool/scheduler.ts";

export type ParticipantStatus = "online" | "offline";
export type ParticipantHealth = "healthy" | "unhealthy";
export type Specs = Record<string, string | number | boolean | null>;
/** How the hub reaches a participant: it dials its endpoint (`direct`), or its joiner keeps a socket open to the hub (`tunnel`). */
export type Transport = "direct" | "tunnel";

/** What the hub holds of a tunnelled participant: its link (whichever socket is its tunnel now), and what its join asked that the tunnel's probe checks. */
export interface TunnelState {
  link: TunnelLink;
  allowUnlistedModel: boolean;
}

export interface Participant {
  id: string;
  nickname: string;
  /**
   * The models it serves from its one endpoint for chat and Responses, as the endpoint names
   * them: no duplicates, in the joiner's order, empty only for a participant that only embeds. The first is its default: the model a request for `*`
   * or for the participant's id is sent with, and the `model` older clients read in its view.
   */
  models: string[];
  /**
   * The models it serves for `POST /v1/embeddings` (declared at join, `embeddingModels`): the
   * only ones an embeddings request goes to. A model may be in both lists (a server that chats
   * and embeds with one model); a participant that only embeds has no `models` at all then (the
   * one case where `models` is empty), and no chat, Responses or Messages request goes to it.
   */
  embeddingModels: string[];
  /**
   * How many requests it serves at once (1–1024): shared by all its models, as `inFlight` is.
   * Declared in the join, else learned by the join probe or a default (protocol/concurrency.ts).
   */
  maxConcurrency: number;
  /** Where `maxConcurrency` came from: `declared` by the joiner, `probed` (llama.cpp's slots), or a `default`. */
  maxConcurrencySource: ConcurrencySource;
  /** Normalised base URL, no /v1; a tunnelled participant's is `tunnel://<id>` (the hub never learns the real one). */
  endpoint: string;
  transport: Transport;
  /** Set for `transport: "tunnel"`. */
  tunnel?: TunnelState;
  capabilities: Capabilities;
  /**
   * Whether its Responses API keeps conversations itself: from the join probe, then learned
   * (hub/responses/state.ts). The hub keeps the Responses turns of any participant not
   * `stateful` (hub/responses/kept-turn.ts).
   */
  responsesState: ResponsesState;
  /** A lookup deciding `responsesState` is under way: a follow-up waits for it. */
  stateCheck?: Promise<void>;
  /** No new lookup before this time (after one that told nothing). */
  stateCheckAfter: number;
  /** What the endpoint's `GET /v1/models` listed at join; null when it has no usable list. */
  listedModels: string[] | null;
  status: ParticipantStatus;
  specs: Specs;
  config: RuntimeConfig;
  /** The room's defaults under the participant's own (`config`), merged once at join: what every request gets. */
  defaults: Readonly<RuntimeConfig>;
  authHeaders: AuthHeaders;
  /** SHA-256 of the participant token its joiner holds (access/credentials.ts); never the token. */
  tokenDigest: Buffer;
  /** What the proxy needs to call this participant (derived from endpoint and authHeaders, and its tunnel's fetch). */
  target: UpstreamTarget;
  joinedAt: number;
  lastSeen: number;
  /** Whether its endpoint answers (heartbeats only say that its joiner runs). */
  health: ParticipantHealth;
  /** Consecutive faults; a successful request or probe resets it. */
  faults: number;
  /** When the sweeper may probe an unhealthy participant next. */
  nextProbeAt: number;
  probing: boolean;
  /**
   * Why the hub repairs this participant's Responses answers (proxy/relay-repaired.ts), from
   * the first one it had to; unset until then. A re-join starts it afresh (the server may have changed).
   */
  repairs?: string;
}

/** A participant as its room's scheduler knows it (pool/member.ts builds it): a lease hands it to dispatch. */
export interface RoomMember extends PoolMember {
  readonly participant: Participant;
}

/** A room as kept on disk (persist/room-store.ts), plus the participants that live only in memory. */
export interface Room extends StoredRoom {
  participants: Map<string, Participant>;
  /** Who serves its requests, when, and its queue (pool/scheduler.ts); made with the room. */
  scheduler: RoomScheduler<RoomMember>;
  /** Last time a participant came, went or beat, or a request arrived (memory only: a restart counts as activity). */
  lastActiveAt: number;
}

export type RoomRemoval = "deleted" | "expired";
