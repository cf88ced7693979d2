/**
 * The only place the hub calls a participant. It joins the base URL with the /v1 path, sends
 * the participant's auth headers (never the client's Authorization), forwards the abort signal
 * so a client that leaves cancels the upstream request, and turns network failures into a
 * GambiError that names the participant and URL but never a header value. The transport is the
 * target's own `Fetch` when it has one (a tunnel to a participant the hub cannot dial,
 * tunnel/link.ts), else the one it is given (Bun's fetch by default): the relays above, the
 * probe, routing and the Responses store never know which.
 */
import { GambiError } from "../protocol/openai/errors.ts";
import { upstreamRequestHeaders, type AuthHeaders } from "./headers.ts";
import { v1Url } from "../protocol/endpoint.ts";
import { withoutFetchAdvice } from "../protocol/network-message.ts";
import { createByteRedactor, createTextRedactor } from "../protocol/redact.ts";

export interface UpstreamTarget {
  /** Normalised base URL (no /v1). */
  base: string;
  authHeaders: AuthHeaders;
  /** How errors name this participant, e.g. `participant "alice" (p_123)`. */
  label: string;
  /** Removes the auth header values from bytes bound for a client; absent without auth headers. */
  redactBytes?: (bytes: Uint8Array) => Uint8Array;
  /** The same for header values passed on to a client. */
  redactText?: (text: string) => string;
  /**
   * How to reach this participant when the hub does not dial `base` itself: its tunnel
   * (tunnel/link.ts). Absent: the hub connects to `base` (the caller's fetch).
   */
  fetch?: Fetch;
}

/** Built once per participant (at join), so the per-request path allocates nothing for secrets. */
export function makeTarget(base: string, authHeaders: AuthHeaders, label: string, ownFetch?: Fetch): UpstreamTarget {
  const secrets = Object.values(authHeaders);
  return { base, authHeaders, label, redactBytes: createByteRedactor(secrets), redactText: createTextRedactor(secrets), ...(ownFetch ? { fetch: ownFetch } : {}) };
}

export interface UpstreamCall {
  method: "GET" | "POST" | "DELETE";
  /** Relative to /v1, may carry a query string. */
  path: string;
  /** `path` is relative to the base URL itself, not /v1 (llama.cpp's `GET /props`). */
  root?: boolean;
  body?: string;
  signal?: AbortSignal;
  accept?: string;
  clientHeaders?: Headers;
  /** Anthropic's headers too (`anthropic-version`, a Messages client's `anthropic-beta`): a call to a Messages endpoint (headers.ts). */
  anthropic?: boolean;
  /** A deadline for the whole exchange, body included (see callUpstream). */
  timeoutMs?: number;
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export class UpstreamUnreachable extends GambiError {
  constructor(
    readonly url: string,
    readonly reason: string,
    label: string,
  ) {
    super(502, `${label} could not be reached at ${url}: ${reason}`, { code: "participant_unreachable" });
  }
}

export function describeNetworkError(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: string; code?: string; message?: string };
    if (e.name === "TimeoutError") return "timed out";
    const message = typeof e.message === "string" ? withoutFetchAdvice(e.message) : "";
    // Bun puts the code in both places ("ECONNREFUSED" / "ECONNREFUSED: Unable to connect...").
    if (e.code && !message.includes(e.code)) return message ? `${e.code}: ${message}` : e.code;
    if (message) return message;
  }
  return String(err);
}

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted && (err as { name?: string })?.name === "AbortError";
}

/**
 * `timeoutMs` bounds the whole exchange, body included (the join probes): the body is read
 * here, before the timer is cleared, and handed back in memory. One controller, one timer and
 * a listener removed at the end, not AbortSignal.timeout + AbortSignal.any: in Bun 1.4.5 a
 * signal from AbortSignal.any that has a listener is never collected (see
 * bench/experiments/listener-abort-any.ts). Inference requests leave `timeoutMs` unset: their
 * deadlines are per phase (timeouts.ts, used by forward.ts).
 */
const NULL_BODY = new Set([101, 204, 205, 304]);

export async function callUpstream(target: UpstreamTarget, call: UpstreamCall, given: Fetch = fetch): Promise<Response> {
  const doFetch = target.fetch ?? given;
  const url = call.root ? `${target.base}${call.path}` : v1Url(target.base, call.path);
  const init = (signal: AbortSignal | undefined): RequestInit => ({
    method: call.method,
    headers: upstreamRequestHeaders(target.authHeaders, call.clientHeaders, call.accept ?? "application/json", call.anthropic),
    body: call.body,
    signal,
    redirect: "manual",
  });
  if (!call.timeoutMs) {
    try {
      return await doFetch(url, init(call.signal));
    } catch (err) {
      if (call.signal?.aborted) throw err;
      throw new UpstreamUnreachable(url, describeNetworkError(err), target.label);
    }
  }

  const bounded = new AbortController();
  const onCallerAbort = () => bounded.abort(call.signal!.reason);
  if (call.signal?.aborted) bounded.abort(call.signal.reason);
  else call.signal?.addEventListener("abort", onCallerAbort, { once: true });
  const timer = setTimeout(() => bounded.abort(new DOMException("The operation timed out.", "TimeoutError")), call.timeoutMs);
  try {
    const res = await doFetch(url, init(bounded.signal));
    const body = await res.arrayBuffer();
    // A Response with one of these statuses may not have a body.
    return new Response(NULL_BODY.has(res.status) ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (err) {
    if (call.signal?.aborted) throw err;
    throw new UpstreamUnreachable(url, describeNetworkError(bounded.signal.aborted ? bounded.signal.reason : err), target.label);
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", onCallerAbort);
  }
}
