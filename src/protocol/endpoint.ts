/**
 * Participant endpoints are stored as a base URL *without* the `/v1` suffix, so
 * `https://openrouter.ai/api`, `https://openrouter.ai/api/v1`, `http://localhost:11434/`
 * all become the same thing and the hub appends `/v1/models`, `/v1/chat/completions`, ...
 */
import { badRequest } from "./openai/errors.ts";

export function normalizeBaseUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    // Not echoed: a malformed URL may still carry user:password@.
    throw badRequest(
      "endpoint is not a valid URL; expected something like http://localhost:11434 or https://openrouter.ai/api",
      "invalid_endpoint",
      "endpoint",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest(`endpoint must use http: or https:, got ${url.protocol}`, "invalid_endpoint", "endpoint");
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and listings; they belong in authHeaders.
    throw badRequest(
      "endpoint must not embed credentials (user:pass@); pass them as authHeaders instead",
      "invalid_endpoint",
      "endpoint",
    );
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/v1")) path = path.slice(0, -3);
  return `${url.protocol}//${url.host}${path}`;
}

/** `base` comes from normalizeBaseUrl; `path` starts with "/" and is relative to /v1. */
export function v1Url(base: string, path: string): string {
  return `${base}/v1${path}`;
}

export function isLoopbackHost(base: string): boolean {
  const host = new URL(base).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)
  );
}
