/**
 * One inference request, proxy side: call the participant (the only place that decides the
 * upstream path), then relay the answer — byte for byte when the participant speaks the
 * client's protocol (passthrough.ts), translated when it speaks the other one (adapted.ts).
 * HTTP errors are relayed the same way for both: every OpenAI-compatible server uses the same
 * error envelope.
 */
import { callUpstream, type Fetch, type UpstreamTarget } from "./upstream.ts";
import type { Observation } from "./observe.ts";
import { PROTOCOL_PATH, type Protocol } from "./protocol.ts";
import { relayBody, relayError, relayStream } from "./passthrough.ts";
import { relayAdaptedBody, relayAdaptedStream, type AdapterRun } from "./adapted.ts";

export interface Outcome {
  status: number;
  observation: Observation;
  /** Set when the request failed (HTTP error, network, in-band error event). */
  error?: string;
  /** The client went away before the end. */
  aborted?: boolean;
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
  onFinish: (outcome: Outcome) => void;
  /** Set when the participant speaks the other protocol: the request is translated both ways. */
  adapter?: AdapterRun;
}

export async function forwardRequest(options: ForwardOptions): Promise<Response> {
  // Whatever path a request takes, the hub hears about its end exactly once.
  let done = false;
  const opts: ForwardOptions = {
    ...options,
    onFinish: (o) => {
      if (done) return;
      done = true;
      options.onFinish(o);
    },
  };
  try {
    return await start(opts);
  } catch (err) {
    opts.onFinish({ status: 502, observation: {}, error: (err as Error).message, aborted: opts.signal.aborted });
    throw err;
  }
}

async function start(opts: ForwardOptions): Promise<Response> {
  const upstreamAbort = new AbortController();
  const abort = () => upstreamAbort.abort();
  if (opts.signal.aborted) abort();
  else opts.signal.addEventListener("abort", abort, { once: true });

  let res: Response;
  try {
    res = await callUpstream(
      opts.target,
      {
        method: "POST",
        path: PROTOCOL_PATH[opts.adapter?.upstream ?? opts.protocol],
        body: opts.body,
        signal: upstreamAbort.signal,
        accept: opts.stream ? "text/event-stream" : "application/json",
        clientHeaders: opts.clientHeaders,
      },
      opts.fetch,
    );
  } catch (err) {
    opts.signal.removeEventListener("abort", abort);
    const aborted = upstreamAbort.signal.aborted;
    opts.onFinish({ status: 502, observation: {}, error: aborted ? "client disconnected" : (err as Error).message, aborted });
    throw err;
  }

  if (!res.ok) {
    opts.signal.removeEventListener("abort", abort);
    return relayError(res, opts);
  }
  const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  if (isSse && res.body) return opts.adapter ? relayAdaptedStream(res, upstreamAbort, opts, opts.adapter) : relayStream(res, upstreamAbort, opts);
  opts.signal.removeEventListener("abort", abort);
  return opts.adapter ? relayAdaptedBody(res, opts, opts.adapter) : relayBody(res, opts);
}
