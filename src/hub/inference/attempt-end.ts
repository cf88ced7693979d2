/**
 * What one attempt at a request was, once it ended: built once by dispatch.ts where it already
 * holds the outcome (the forward's `onFinish`), and read by the hub's metrics (metrics/) and the
 * room's ledger (ledger/). Types only. Times are the hub's clock (ms); tokens are as the
 * participant reported them, else the hub's estimate (ledger/estimate.ts) with `estimated`.
 */
import type { Protocol } from "../../protocol/protocols.ts";
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
  /** The request's ledger label for its caller (ledger/caller-label.ts); read only on a final attempt. */
  caller: () => string;
}
