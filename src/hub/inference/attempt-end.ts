/**
 * What one attempt at a request was, once it ended: built once by dispatch.ts where it already
 * holds the outcome (the forward's `onFinish`), and read by the hub's metrics (metrics/) and the
 * room's ledger (ledger/). Times are the hub's clock (ms); tokens are as the participant
 * reported them, else the hub's estimate (ledger/estimate.ts) with `estimated`.
 *
 * Each reader folds them in batches (`AttemptBatch`): a request only adds its record to a list.
 * Timed inside the hub, folding each record as its request ended cost 3–5 times what the same
 * folds cost in a loop — cache misses on the counters, met once per request between everything
 * else a request does — and a batch meets them once per batch. A reader settles its batch
 * before it is read, so nothing reads stale figures.
 */
import type { Protocol } from "../../protocol/protocols.ts";
import type { CallerKind } from "../access/caller.ts";
import type { Participant, Room } from "../rooms/types.ts";

/** Where a failed request failed (dispatch.ts `errorStage`). */
export type ErrorStage = "client" | "queue" | "connect" | "timeout" | "upstream" | "stream";

/** `ok`: answered without error; `aborted`: the client left; `error`: anything else that failed. */
export type AttemptResult = "ok" | "error" | "aborted";

export interface AttemptEnd {
  room: Room;
  /** Undefined when no participant took the request (it failed in the queue). */
  participant: Participant | undefined;
  /** The model it went to on that participant. */
  model: string | undefined;
  protocol: Protocol;
  stream: boolean;
  /** Translated to the participant's other protocol. */
  adapted: boolean;
  result: AttemptResult;
  stage: ErrorStage | undefined;
  /** The request's last attempt: its answer (or failure) is the client's. False for one failed over from. */
  final: boolean;
  /** ms from the attempt's start to its first content (streams that produced some). */
  ttftMs: number | undefined;
  /** ms from the attempt's start to its end. */
  durationMs: number;
  /** ms of generation the output rate is measured over (stream: after the first content; body: the whole request). */
  generationMs: number;
  inputTokens: number;
  outputTokens: number;
  /** How much of `inputTokens` / `outputTokens` the hub estimated (0: all reported by the participant). */
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
  /**
   * Who asked: `t:` with an open room's token, or `a:` with the address key (access/caller.ts),
   * taken once per request while it is open (its address is gone after). The ledger labels it
   * (ledger/caller-label.ts) for the request's last attempt; nothing keeps it.
   */
  callerKind: CallerKind;
  callerId: string;
}

/** How many records a reader lets wait before it folds them, when nothing reads it sooner. */
export const ATTEMPT_BATCH = 128;

/**
 * Ended attempts waiting to be folded into one reader's figures: folded when `size` are
 * waiting, when the reader is read, and on the hub's one-second timer (index.ts), so a record
 * (and the token it may carry) waits a second at most.
 */
export class AttemptBatch {
  private pending: AttemptEnd[] = [];

  constructor(
    private readonly fold: (a: AttemptEnd) => void,
    private readonly size = ATTEMPT_BATCH,
  ) {}

  add(a: AttemptEnd): void {
    if (this.pending.push(a) >= this.size) this.settle();
  }

  settle(): void {
    const waiting = this.pending;
    if (waiting.length === 0) return;
    this.pending = [];
    for (const a of waiting) this.fold(a);
  }
}
