/**
 * An upstream's HTTP error answer (4xx/5xx), relayed the same way whether or not the request
 * is translated (forward.ts sends both here): every OpenAI-compatible server uses OpenAI's
 * error envelope, so the provider's own body is kept when it already has that shape and
 * wrapped when it does not (upstream-error.ts), its secrets redacted either way. The outcome
 * carries the upstream's response headers: the hub reads a 429's wait from them.
 */
import { hasCode } from "../protocol/error-codes.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { clientResponseHeaders } from "./headers.ts";
import { readBody } from "./reading.ts";
import type { ForwardOptions, Upstream } from "./types.ts";
import { shapeUpstreamError } from "./upstream-error.ts";

/** Upstream 4xx/5xx: keep the provider's own OpenAI-shaped body, wrap anything else. */
export async function relayError(res: Response, opts: ForwardOptions, upstream: Upstream): Promise<Response> {
  const bytes = await readBody(res, opts, upstream.watch);
  // The body stalled past the idle deadline: the status alone would hide that the hub gave up.
  if (bytes instanceof GambiError && hasCode(bytes, "upstream_timeout")) {
    opts.onFinish({ status: bytes.status, observation: {}, error: bytes.message, fault: "timeout" });
    return bytes.toResponse(opts.headers);
  }
  const text = bytes instanceof GambiError ? "" : new TextDecoder().decode(bytes);
  const shaped = shapeUpstreamError(res.status, text, opts.target.label, Object.values(opts.target.authHeaders));
  const headers = clientResponseHeaders(res.headers, opts.headers ?? {}, opts.target.redactText);
  headers["content-type"] = "application/json";
  opts.onFinish({ status: res.status, observation: {}, error: shaped.message, upstreamHeaders: res.headers });
  return new Response(shaped.body, { status: res.status, headers });
}
