/**
 * What the relays share: the options of one forwarded request (forward.ts builds them,
 * relay-passthrough.ts and relay-translated.ts read them), the request's own abort and
 * deadlines, a translated request's bound adapter, and the outcome every path reports exactly
 * once. Types only, so the relays and their helpers (reading.ts, failures.ts) depend on this
 * file rather than on each other.
 */
import type { Json } from "../protocol/json.ts";
import type { Observation } from "../protocol/observe.ts";
import type { Protocol } from "../protocol/protocols.ts";
import type { StreamFailure, StreamMapper } from "../protocol/adapters/types.ts";
import type { Fetch, UpstreamTarget } from "./upstream.ts";
import type { UpstreamTimeouts, UpstreamWatch } from "./timeouts.ts";

/** How one forwarded request ended: reported exactly once, through `ForwardOptions.onFinish`. */
export interface RelayOutcome {
  status: number;
  observation: Observation;
  /** Set when the request failed (HTTP error, network, in-band error event). */
  error?: string;
  /** The client went away before the end. */
  aborted?: boolean;
  /**
   * The hub lost the participant: it could not be reached, a deadline passed, or the
   * connection broke. What health tracking counts (an HTTP error is an answer, not a fault).
   */
  fault?: Fault;
  /**
   * The upstream answered with an HTTP error (relay-error.ts): its response headers, which the
   * hub reads a 429's wait from (hub/pool/retry-after.ts). Set only then: a status the hub made
   * itself (a deadline, its shutdown) has none.
   */
  upstreamHeaders?: Headers;
  /**
   * The stream's first event was an error and, the request being one the hub may send to
   * another participant (`ForwardOptions.failover`), the relay ended it as an HTTP 502 before
   * anything reached the client.
   */
  errorFirst?: boolean;
}

export type Fault = "unreachable" | "timeout" | "disconnected";

/**
 * One request's translation, as the hub prepared it: an adapter's mappers (protocol/adapters/)
 * with the request and its context bound, for a participant that speaks another protocol.
 */
export interface Translation {
  /** The protocol the participant speaks (the request body is already in it). */
  upstream: Protocol;
  mapResponse(body: Json): Json;
  createStreamMapper(): StreamMapper;
  /** Why the upstream was aborted when the client is still there (a cancel), if it was. */
  abortReason?(): StreamFailure | undefined;
}

export interface ForwardOptions {
  protocol: Protocol;
  target: UpstreamTarget;
  /** The upstream request body, already rewritten (model, defaults). */
  body: string;
  stream: boolean;
  /** The inbound request's signal: aborts when the client disconnects. */
  signal: AbortSignal;
  clientHeaders?: Headers;
  /** Extra response headers (e.g. which participant answered). */
  headers?: Record<string, string>;
  now: () => number;
  fetch?: Fetch;
  onResponseId?: (id: string) => void;
  /**
   * The participant's Responses answer was not conformant and goes through the repairing pass
   * (relay-repaired.ts); `reason` says what was wrong, in fixed words (never the answer's bytes).
   * Called at most once per request.
   */
  onRepair?: (reason: string) => void;
  /**
   * Response fields the participant could not know, for a streamed Responses answer: the
   * `previous_response_id` of a conversation the hub replayed as `input`. The stream then goes
   * through the repairing pass (relay-repaired.ts), which lays them over its Response objects.
   */
  echo?: Record<string, unknown>;
  /** Fresh ids for what a repair must name (an item without an id); default: random UUIDs. */
  newId?: () => string;
  /**
   * Whether anyone needs what a non-streaming chat or Messages answer says (usage, an in-band
   * error): asked once the answer is in; false skips parsing it (its usage is then read off its
   * bytes). Unset: always. Responses answers are always read (their id routes the lifecycle
   * calls); streams are always observed.
   */
  wantsObservation?: () => boolean;
  onFinish: (outcome: RelayOutcome) => void;
  /** Set when the participant speaks the other protocol: the request is translated both ways. */
  translation?: Translation;
  /**
   * A passthrough request's `Translation.abortReason`: why `signal` fired although the client
   * is still there (a POST …/cancel of a response the hub keeps, hub/responses/kept-turn.ts).
   */
  abortReason?(): StreamFailure | undefined;
  /** Connect, first-byte and idle deadlines; none when absent. */
  timeouts?: UpstreamTimeouts;
  /** Hub-wide: fires when requests still running must end (the hub's shutdown grace is over). */
  shutdown?: Cutoff;
  /**
   * The hub may send this request to another participant if it fails before its first byte
   * (hub/inference/dispatch.ts): a stream whose first event is an error then ends as an HTTP
   * 502 (`RelayOutcome.errorFirst`) instead of a 200 carrying that error. Unset: relayed as it
   * comes, as it always was.
   */
  failover?: boolean;
  /**
   * A chat stream the hub asked usage for on its own (hub/inference/plan.ts `usageAdded`): the
   * participant's usage-only chunk (`"choices": []` with `usage`) is observed and then dropped
   * from the client's stream, which is otherwise passed on byte for byte.
   */
  dropUsageChunk?: boolean;
}

/** What the relays get besides the options: the request's own abort, and its deadlines. */
export interface Upstream {
  abort: AbortController;
  watch?: UpstreamWatch;
}

/**
 * The hub's cutoff as the relays see it: whether it has come, and a way to be told when it
 * does. A Set of callbacks rather than an AbortSignal's listener list: every request adds one
 * and removes it at its end, and this is on the path of every request.
 */
export interface Cutoff {
  readonly aborted: boolean;
  /** Calls `fn` at the cutoff (at once if it has come); the returned function unregisters it. */
  onCut(fn: () => void): () => void;
}

