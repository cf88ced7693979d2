/**
 * The Responses event stream the hub writes for a participant that does not speak the Responses
 * API, whatever that participant streams: stream.ts drives it from a chat participant's chunks,
 * responses-via-messages/stream.ts from a Messages participant's events. One grammar for both:
 * - every event has an `event:` line equal to its `type`, and a `sequence_number` from 0;
 * - `start()`: `response.created` and `response.in_progress` (status `in_progress`, `output: []`),
 *   once;
 * - the items, by `output` (output-stream.ts), one open at a time;
 * - `complete(end)`: calls whose name never came started (name ""), the open item closed
 *   (`incomplete` when the Response is), then `response.completed` or `response.incomplete`
 *   with the whole Response and `usage`;
 * - `failWith(code, message)`: an `error` event `{code, message, param: null}` then
 *   `response.failed` with the output so far (an open item listed as it stands, `incomplete`);
 * - after either end, nothing: `run` returns no events once the stream is finished, and a
 *   `ProtocolProblem` thrown while mapping an event fails the stream (`upstream_protocol_error`).
 * `result()` is the terminal event's Response, for the hub's store (hub/responses/stored-turn.ts).
 */
import type { EnvelopeCode } from "../../error-codes.ts";
import type { Json } from "../../json.ts";
import type { SseEvent } from "../../sse/decode.ts";
import type { AdapterContext } from "../types.ts";
import { seconds, type EndState } from "./common.ts";
import { responseObject } from "./envelope.ts";
import { OutputStream, ProtocolProblem } from "./output-stream.ts";

export class ResponseStream {
  readonly output: OutputStream;
  /** The Response's usage, as the upstream reported it so far (the terminal events carry it). */
  usage: Json | undefined;
  private readonly createdAt: number;
  private seq = 0;
  private out: SseEvent[] = [];
  private started = false;
  private ended = false;
  private final: Json | undefined;

  constructor(
    private readonly request: Json,
    private readonly ctx: AdapterContext,
    private readonly responseId: string,
  ) {
    this.createdAt = seconds(ctx.now());
    this.output = new OutputStream(ctx, this.emit, this.written);
  }

  private readonly emit = (type: string, fields: Json): void => {
    // Field order is the caller's (no client depends on it); sorting keys per event cost ~15%
    // of the hub's CPU on burst streams (bench/README.md, "Protocol adaptation").
    this.out.push({ event: type, data: JSON.stringify({ type, ...fields, sequence_number: this.seq++ }) });
  };

  /** The hot deltas, written as text by output-stream.ts in the form `emit` gives: the sequence number is the last key. */
  private readonly written = (type: string, json: string): void => {
    this.out.push({ event: type, data: `${json}${this.seq++}}` });
  };

  get finished(): boolean {
    return this.ended;
  }

  /** The events `f` emits, mapping one upstream event (or the end), after the Response's start if `start`; none once the stream has finished. */
  run(f: () => void, start = false): SseEvent[] {
    if (this.ended) return [];
    this.out = [];
    if (start) this.start();
    try {
      f();
    } catch (err) {
      if (!(err instanceof ProtocolProblem)) throw err;
      this.failWith("upstream_protocol_error", err.message);
    }
    return this.out;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const response = responseObject(this.request, { id: this.responseId, createdAt: this.createdAt, status: "in_progress", output: [] });
    this.emit("response.created", { response });
    this.emit("response.in_progress", { response });
  }

  complete(end: EndState): void {
    this.output.flushNameless();
    this.output.close(end.status === "incomplete" ? "incomplete" : "completed");
    this.ended = true;
    this.final = responseObject(this.request, {
      id: this.responseId,
      createdAt: this.createdAt,
      status: end.status,
      completedAt: seconds(this.ctx.now()),
      output: [...this.output.items],
      usage: this.usage,
      incompleteReason: end.incompleteReason,
    });
    this.emit(`response.${end.status}`, { response: this.final });
  }

  failWith(given: EnvelopeCode | number, message: string): void {
    // OpenRouter's codes are numbers; a Responses error's code is a string ("400").
    const code = String(given);
    this.ended = true;
    this.emit("error", { code, message, param: null });
    this.final = responseObject(this.request, { id: this.responseId, createdAt: this.createdAt, status: "failed", output: this.output.snapshot(), usage: this.usage, error: { code, message } });
    this.emit("response.failed", { response: this.final });
  }

  result(): Json | undefined {
    return this.final;
  }
}
