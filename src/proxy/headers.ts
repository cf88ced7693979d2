/**
 * Header hygiene for the proxy hop (RFC 9110 §7.6.1 hop-by-hop list, plus what Bun's fetch
 * rewrites): participants' auth headers are validated once at join, and nothing from the
 * client's own headers reaches a participant except a small allowlist.
 */
import { badRequest } from "../protocol/openai/errors.ts";
import { isHeaderName } from "../common/http-header.ts";

const FORBIDDEN_VALUE = /[\r\n\0]/;

/** Hop-by-hop headers, and the ones Bun recomputes after decompressing a body. */
const DROP_FROM_UPSTREAM = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "content-encoding",
  "set-cookie",
  "date",
  "server",
]);

/** Client headers that are safe and useful to pass on; everything else (Authorization!) stays here. */
const FORWARD_FROM_CLIENT = ["openai-beta", "accept-language"];

/**
 * Anthropic's API wants `anthropic-version` on every request (https://docs.anthropic.com/en/api/versioning):
 * the version the hub sends to a Messages endpoint when neither the client nor the
 * participant's own headers name one. Servers other than Anthropic's ignore it.
 */
export const ANTHROPIC_VERSION = "2023-06-01";

/** A Messages client's headers that mean the same to a Messages participant: the API version and the betas it asked for. */
const FORWARD_TO_MESSAGES = ["anthropic-version", "anthropic-beta"];

export type AuthHeaders = Record<string, string>;

export function validateAuthHeaders(headers: AuthHeaders | undefined): AuthHeaders {
  const out: AuthHeaders = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderName(name)) {
      // The name is not echoed: "Authorization: Bearer sk-..." pasted as a name would leak the key.
      throw badRequest(
        'an auth header name is not a valid HTTP header name (no spaces or ":"); give the name and the value separately, e.g. {"Authorization": "Bearer ..."}',
        "invalid_header",
        "authHeaders",
      );
    }
    if (typeof value !== "string" || FORBIDDEN_VALUE.test(value)) {
      // Never echo the value: it is a secret.
      throw badRequest(`auth header "${name}" has a value with CR, LF or NUL characters`, "invalid_header", "authHeaders");
    }
    if (DROP_FROM_UPSTREAM.has(name.toLowerCase()) || name.toLowerCase() === "host") {
      throw badRequest(`auth header "${name}" is a transport header and cannot be set`, "invalid_header", "authHeaders");
    }
    out[name] = value;
  }
  return out;
}

/**
 * `anthropic`: the call goes to a Messages endpoint (or may be Anthropic's: the probe's model
 * list), so it carries `anthropic-version` — the participant's own when its auth headers set one,
 * else the client's, else ANTHROPIC_VERSION — and the client's `anthropic-beta`.
 */
export function upstreamRequestHeaders(
  auth: AuthHeaders,
  client: Headers | undefined,
  accept: string,
  anthropic = false,
): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": "application/json",
    accept,
    // Ask for identity so we can forward bytes as they are (Bun would otherwise decompress).
    "accept-encoding": "identity",
  };
  if (client) {
    for (const name of FORWARD_FROM_CLIENT) {
      const v = client.get(name);
      if (v) h[name] = v;
    }
  }
  if (anthropic) {
    h["anthropic-version"] = ANTHROPIC_VERSION;
    if (client) {
      for (const name of FORWARD_TO_MESSAGES) {
        const v = client.get(name);
        if (v && !FORBIDDEN_VALUE.test(v)) h[name] = v;
      }
    }
    // The participant's own version wins, whatever case its name is in (two spellings would be sent joined).
    for (const k in auth) if (k !== "anthropic-version" && k.toLowerCase() === "anthropic-version") delete h["anthropic-version"];
  }
  for (const k in auth) h[k] = auth[k]!;
  return h;
}

/** Upstream response headers a client may care about; cookies, server banners and the rest stay behind. */
const FORWARD_FROM_UPSTREAM = /^(content-type|retry-after|retry-after-ms|x-request-id|request-id|openai-processing-ms|x-ratelimit-[a-z-]+)$/;

/** `redact` removes the participant's secrets from the values kept (an upstream may echo its key in a request id). */
export function clientResponseHeaders(upstream: Headers, extra: Record<string, string>, redact?: (value: string) => string): Record<string, string> {
  // A plain object (lower-case names, as Headers iterates them): Response builds its Headers
  // from it once, instead of a Headers here and a copy there (this runs on every request).
  const h: Record<string, string> = {};
  // Bun's Headers.toJSON: every header at once as a plain object (lower-case names), natively,
  // instead of an iterator step per header.
  const all = upstream.toJSON();
  for (const name in all) if (FORWARD_FROM_UPSTREAM.test(name)) h[name] = redact ? redact(all[name]!) : all[name]!;
  for (const k in extra) h[k.toLowerCase()] = extra[k]!;
  return h;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;
