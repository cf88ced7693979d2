/**
 * One inference request, proxy side: call the participant (the only place that decides the
 * upstream path), then relay the answer — byte for byte when the participant speaks the
 * client's protocol (relay-passthrough.ts), translated when it speaks another one
 * (relay-translated.ts). HTTP errors are relayed the same way for both (relay-error.ts): every
 * OpenAI-compatible server uses the same error envelope. With `timeouts`, an `UpstreamWatch`
 * (timeouts.ts) bounds connecting, the first byte and the gaps between chunks; it is cleared
 * when the hub hears the request's end. With `shutdown` (the hub's cutoff signal,
 * hub/shutdown.ts), the upstream request is aborted when the hub's shutdown grace period runs
 * out, and the relays end the client's answer with `hub_shutting_down` (failures.ts); the
 * listener goes when the request ends. The options and the outcome the relays share are in
 * types.ts.
 */
import { PROTOCOL_PATH } from "../protocol/protocols.ts";
import { callUpstream, UpstreamUnreachable } from "./upstream.ts";
import { timeoutError, UpstreamWatch, type UpstreamTimeouts } from "./timeouts.ts";
import { shutdownError } from "./failures.ts";
import { relayError } from "./relay-error.ts";
import { relayPassthroughBody, relayPassthroughStream } from "./relay-passthrough.ts";
import { relayTranslatedBody, relayTranslatedStream } from "./relay-translated.ts";
import type { ForwardOptions, Upstream } from "./types.ts";

export async function forwardRequest(options: ForwardOptions): Promise<Response> {
  const upstream: Upstream = { abort: new AbortController() };
  if (options.timeouts) upstream.watch = new UpstreamWatch(upstream.abort, options.target.base, dialled(options));
  // A hub shutdown past its grace period cuts the upstream like a client leaving would; the
  // relays tell the two apart by which signal fired.
  const offShutdown = options.shutdown?.onCut(() => upstream.abort.abort());
  // Whatever path a request takes, the hub hears about its end exactly once, and its timer and
  // shutdown listener go then.
  let done = false;
  const opts: ForwardOptions = {
    ...options,
    onFinish: (o) => {
      if (done) return;
      done = true;
      upstream.watch?.finish();
      offShutdown?.();
      options.onFinish(o);
    },
  };
  try {
    return await start(opts, upstream);
  } catch (err) {
    opts.onFinish({ status: 502, observation: {}, error: (err as Error).message, aborted: opts.signal.aborted });
    throw err;
  }
}

/** The deadlines as they apply to this target: no connect check for a participant the hub does not dial (a tunnel). */
function dialled(options: ForwardOptions): UpstreamTimeouts {
  const t = options.timeouts!;
  return options.target.fetch && t.connectCheck ? { ...t, connectCheck: undefined } : t;
}

async function start(opts: ForwardOptions, upstream: Upstream): Promise<Response> {
  const upstreamAbort = upstream.abort;
  const abort = () => upstreamAbort.abort();
  if (opts.signal.aborted) abort();
  else opts.signal.addEventListener("abort", abort, { once: true });

  const speaks = opts.translation?.upstream ?? opts.protocol;
  let res: Response;
  try {
    res = await callUpstream(
      opts.target,
      {
        method: "POST",
        path: PROTOCOL_PATH[speaks],
        anthropic: speaks === "messages",
        body: opts.body,
        signal: upstreamAbort.signal,
        accept: opts.stream ? "text/event-stream" : "application/json",
        clientHeaders: opts.clientHeaders,
      },
      opts.fetch,
    );
  } catch (err) {
    opts.signal.removeEventListener("abort", abort);
    const expired = upstream.watch?.expired;
    if (expired && !opts.signal.aborted) {
      const timeout = timeoutError(expired, opts.target.label, opts.timeouts!);
      opts.onFinish({ status: 504, observation: {}, error: timeout.message, fault: "timeout" });
      return timeout.toResponse(opts.headers);
    }
    if (!opts.signal.aborted && opts.shutdown?.aborted) {
      const cut = shutdownError();
      opts.onFinish({ status: 503, observation: {}, error: cut.message });
      return cut.toResponse(opts.headers);
    }
    const aborted = opts.signal.aborted;
    const fault = !aborted && err instanceof UpstreamUnreachable ? "unreachable" : undefined;
    opts.onFinish({ status: 502, observation: {}, error: aborted ? "client disconnected" : (err as Error).message, aborted, fault });
    throw err;
  }
  upstream.watch?.responded();

  if (!res.ok) {
    opts.signal.removeEventListener("abort", abort);
    return relayError(res, opts, upstream);
  }
  const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  if (isSse && res.body) return opts.translation ? relayTranslatedStream(res, upstream, opts, opts.translation) : relayPassthroughStream(res, upstream, opts);
  opts.signal.removeEventListener("abort", abort);
  return opts.translation ? relayTranslatedBody(res, opts, opts.translation, upstream) : relayPassthroughBody(res, opts, upstream);
}
