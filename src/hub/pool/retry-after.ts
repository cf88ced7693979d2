/**
 * How long an upstream that answered 429 asks to be left alone, read off its response headers.
 * Pure: the wall clock (for HTTP dates and epoch stamps) is passed in. Forms understood:
 *
 * - `Retry-After` (RFC 9110): delta-seconds (`120`; a fraction such as `1.5` is read too) or an
 *   HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the obsolete RFC 850 and asctime forms);
 * - `retry-after-ms` (OpenAI, Azure OpenAI): milliseconds, the more precise of the two;
 * - `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (OpenAI, Groq): durations such as
 *   `6m0s`, `2m59.56s`, `1.5s`, `250ms`. A 429 says one of the two limits ran out: the one whose
 *   `x-ratelimit-remaining-*` reads 0; when neither says so, the sooner reset (if that was the
 *   wrong one, the next 429 brings its own hint);
 * - `x-ratelimit-reset` (OpenRouter and others): an epoch in milliseconds (OpenRouter) or seconds,
 *   a number of seconds, a duration, or an HTTP-date.
 *
 * Anything unreadable counts as absent: the caller then backs off on its own (capacity.ts).
 */

/** What the hub can read headers from: a fetch `Headers` is one. */
export interface HeaderSource {
  get(name: string): string | null;
}

const SECONDS = /^\d+(?:\.\d+)?$/;
const ZONE = /(?:GMT|UTC|Z|[+-]\d{2}:?\d{2})$/i;

/** An HTTP-date (any of its three forms, or ISO 8601) as epoch ms; numbers are never dates. */
function parseDate(text: string): number | undefined {
  if (!/[a-z]/i.test(text)) return undefined;
  // asctime carries no zone; HTTP dates are always GMT, whatever the hub's own time zone.
  const at = Date.parse(ZONE.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : at;
}

/** `Retry-After`: ms from `wallNow` (0 for a date already past), or undefined. */
export function parseRetryAfter(value: string | null | undefined, wallNow: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  const at = parseDate(text);
  return at === undefined ? undefined : Math.max(0, at - wallNow);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;

/** A Go-style duration (`6m0s`, `1.5s`, `250ms`, `1h2m`) or a plain number of seconds, in ms. */
export function parseDuration(value: string | null | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(ms);
}

/** `x-ratelimit-reset`: an epoch (ms above 10^12, seconds above 10^9), seconds, a duration or a date. */
export function parseReset(value: string | null | undefined, wallNow: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (SECONDS.test(text)) {
    const n = Number(text);
    if (n >= 1e12) return Math.max(0, Math.round(n - wallNow));
    if (n >= 1e9) return Math.max(0, Math.round(n * 1000 - wallNow));
    return Math.round(n * 1000);
  }
  const duration = parseDuration(text);
  if (duration !== undefined) return duration;
  const at = parseDate(text);
  return at === undefined ? undefined : Math.max(0, at - wallNow);
}

function exhausted(headers: HeaderSource, which: "requests" | "tokens"): boolean {
  const left = headers.get(`x-ratelimit-remaining-${which}`)?.trim();
  return left !== undefined && left !== "" && Number(left) <= 0;
}

/**
 * The wait a 429's headers ask for, in ms, or undefined when they give none. The explicit
 * headers first (`retry-after-ms`, then `Retry-After`), then the rate-limit resets.
 */
export function cooldownHint(headers: HeaderSource, wallNow: number): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && SECONDS.test(ms)) return Math.round(Number(ms));
  const after = parseRetryAfter(headers.get("retry-after"), wallNow);
  if (after !== undefined) return after;

  const requests = parseDuration(headers.get("x-ratelimit-reset-requests"));
  const tokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
  if (requests !== undefined || tokens !== undefined) {
    const spent = [exhausted(headers, "requests") ? requests : undefined, exhausted(headers, "tokens") ? tokens : undefined].filter(
      (v): v is number => v !== undefined,
    );
    if (spent.length > 0) return Math.max(...spent);
    return Math.min(requests ?? Infinity, tokens ?? Infinity);
  }
  return parseReset(headers.get("x-ratelimit-reset"), wallNow);
}
