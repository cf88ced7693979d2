/**
 * What the two stream relays (relay-passthrough.ts, relay-translated.ts) do around their own
 * per-chunk work: report the request's end exactly once, read ahead to the first chunk (a
 * stream that dies before it is still an HTTP error, reading.ts), then answer 200 with the SSE
 * headers and a pumped body (pump.ts) whose cancel by the client aborts the upstream fetch.
 * With `failover` (the hub may send the request elsewhere), a stream whose first event is an
 * error ends there as an HTTP 502, `errorFirst` in its outcome, before anything reaches the client.
 */
import { leadingError, type Observation } from "../protocol/observe.ts";
import { relayedCode } from "../protocol/error-codes.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { clientResponseHeaders, SSE_HEADERS } from "./headers.ts";
import { pumpStream, type ChunkReader, type PumpHandlers } from "./pump.ts";
import { readFirstChunk } from "./reading.ts";
import type { ForwardOptions, RelayOutcome, Upstream } from "./types.ts";

export type StreamFinish = (outcome: Omit<RelayOutcome, "observation" | "status"> & { status?: number }) => void;

/** `opts.onFinish` once, with the stream's observation and status 200 unless told otherwise. */
export function finishOnce(opts: ForwardOptions, observation: Observation): StreamFinish {
  let finished = false;
  return (outcome) => {
    if (finished) return;
    finished = true;
    opts.onFinish({ status: 200, observation, ...outcome });
  };
}

export async function relaySse(
  res: Response,
  reader: ChunkReader,
  opts: ForwardOptions,
  upstream: Upstream,
  finish: StreamFinish,
  handlers: Omit<PumpHandlers, "onCancel">,
): Promise<Response> {
  const first = await readFirstChunk(() => reader.read(), opts, upstream.watch, finish);
  if (first instanceof Response) return first;
  // Nothing has reached the client yet: a stream that opens with an error can still go elsewhere.
  const refused = opts.failover && !first.done && first.value ? leadingError(opts.translation?.upstream ?? opts.protocol, first.value) : undefined;
  if (refused) {
    upstream.abort.abort();
    reader.cancel().catch(() => undefined);
    const error = `${opts.target.label}: its stream began with an error: ${refused.message}`;
    finish({ status: 502, error, errorFirst: true });
    return new GambiError(502, error, { code: refused.code === undefined ? "upstream_error" : relayedCode(refused.code) }).toResponse(opts.headers);
  }
  const headers = clientResponseHeaders(res.headers, { ...SSE_HEADERS, ...opts.headers }, opts.target.redactText);
  const onCancel = () => {
    upstream.abort.abort();
    finish({ aborted: true, error: "client disconnected" });
  };
  return new Response(pumpStream(reader, first, { ...handlers, onCancel }, upstream.watch), { status: 200, headers });
}
