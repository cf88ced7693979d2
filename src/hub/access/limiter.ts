/**
 * Slows down password and token guessing: each client address gets `maxFailures` wrong
 * attempts per `windowMs`; one more and it is answered 429 (with `Retry-After`) for `blockMs`.
 * Verifications still running count against the budget too, so a burst of concurrent guesses
 * cannot overtake the count (and each argon2 verify costs the hub real memory and CPU).
 * A success does not reset the count: an attacker holding one room's password must not be
 * able to wipe their failures on another by interleaving good attempts.
 * The same wrong secret sent again counts once per window (the caller names it by a keyed
 * mark, never the secret): guessing means trying different ones, while an SDK that retries a
 * 401 (Claude Code does, six times in 35 s) with one mistyped password is one mistake, and
 * must not lock its whole address out, the participants on that machine included.
 * Memory is bounded: at most `maxAddresses` tallies, oldest forgotten first; a tally remembers
 * at most `maxFailures` marks (one more blocks it).
 */
import { BoundedMap } from "../../protocol/bounded-map.ts";
import type { ErrorCode } from "../../protocol/error-codes.ts";
import { GambiError, type ErrorType } from "../../protocol/openai/errors.ts";

export interface AccessLimits {
  /** Wrong passwords or tokens from one address within `windowMs` before it is blocked. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked address is answered 429. */
  blockMs: number;
  /** Addresses tracked at once (oldest forgotten first). */
  maxAddresses: number;
  /** Verified (room, password) pairs remembered so repeated requests skip argon2, and for how long. */
  verifiedMax: number;
  verifiedTtlMs: number;
}

export const DEFAULT_ACCESS_LIMITS: AccessLimits = {
  maxFailures: 5,
  windowMs: 5 * 60_000,
  blockMs: 5 * 60_000,
  maxAddresses: 10_000,
  verifiedMax: 10_000,
  verifiedTtlMs: 60 * 60_000,
};

/** A GambiError that carries its own response headers (`Retry-After`, `WWW-Authenticate`). */
export class AccessError extends GambiError {
  constructor(
    status: number,
    message: string,
    opts: { code: ErrorCode; type?: ErrorType },
    readonly headers: Record<string, string>,
  ) {
    super(status, message, opts);
  }

  override toResponse(headers?: Record<string, string>): Response {
    return super.toResponse({ ...this.headers, ...headers });
  }
}

interface Tally {
  failures: number;
  windowEnd: number;
  blockedUntil: number;
  inFlight: number;
  /** The wrong secrets counted in this window, by their marks. */
  marks: Set<string> | undefined;
}

export class FailureLimiter {
  private readonly tallies: BoundedMap<string, Tally>;

  constructor(
    private readonly limits: AccessLimits,
    private readonly now: () => number,
    private readonly onBlock?: (key: string, ms: number) => void,
  ) {
    this.tallies = new BoundedMap(limits.maxAddresses, limits.windowMs + limits.blockMs, now);
  }

  /** Throws 429 when `key` is blocked or has no attempts left in its window. */
  assertAllowed(key: string): void {
    const t = this.tallies.get(key);
    if (!t) return;
    const now = this.now();
    if (t.blockedUntil > now) throw tooMany(t.blockedUntil - now);
    if (t.windowEnd <= now) t.failures = 0;
    // Only concurrent verifications can get here with the budget spent: they end within ms.
    if (t.failures + t.inFlight >= this.limits.maxFailures) throw tooMany(1000);
  }

  /** Runs one verification against `key`'s budget; a `false` result is a failure (of the secret `mark` names). */
  async track(key: string, verify: () => Promise<boolean>, mark?: string): Promise<boolean> {
    const t = this.tally(key);
    t.inFlight++;
    let ok = false;
    try {
      ok = await verify();
    } finally {
      t.inFlight--;
      if (!ok) this.fail(key, t, mark);
    }
    return ok;
  }

  /** A wrong attempt checked without `track` (a token comparison takes no time); `mark` names the secret. */
  recordFailure(key: string, mark?: string): void {
    this.fail(key, this.tally(key), mark);
  }

  get size(): number {
    return this.tallies.size;
  }

  prune(): void {
    this.tallies.prune();
  }

  private tally(key: string): Tally {
    let t = this.tallies.get(key);
    if (!t) {
      t = { failures: 0, windowEnd: 0, blockedUntil: 0, inFlight: 0, marks: undefined };
      this.tallies.set(key, t);
    }
    return t;
  }

  private fail(key: string, t: Tally, mark: string | undefined): void {
    const now = this.now();
    if (t.windowEnd <= now) {
      t.failures = 0;
      t.windowEnd = now + this.limits.windowMs;
      t.marks = undefined;
    }
    if (mark !== undefined) {
      if (t.marks?.has(mark)) {
        this.tallies.set(key, t);
        return;
      }
      (t.marks ??= new Set()).add(mark);
    }
    t.failures++;
    if (t.failures >= this.limits.maxFailures && t.blockedUntil <= now) {
      t.blockedUntil = now + this.limits.blockMs;
      t.failures = 0;
      t.windowEnd = 0;
      t.marks = undefined;
      this.onBlock?.(key, this.limits.blockMs);
    }
    // Re-set: refreshes the entry's expiry, so an active address is not forgotten mid-block.
    this.tallies.set(key, t);
  }
}

function tooMany(ms: number): AccessError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AccessError(
    429,
    `too many wrong passwords or tokens from your address; try again in ${seconds} s`,
    { code: "too_many_failed_attempts" },
    { "retry-after": String(seconds) },
  );
}

/**
 * The tally key of a client address: IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its /64,
 * since one host usually holds a whole /64 and could otherwise rotate addresses per guess.
 * No address (in-process `app.handle`) is one shared "local" key.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return "local";
  // Plain IPv4, the common case, has nothing to normalise (this runs for every request a ledger counts).
  if (!address.includes(":")) return address;
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  if (!a.includes(":")) return a;
  const bare = a.split("%")[0]!;
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  let groups: string[];
  const gap = bare.indexOf("::");
  if (gap === -1) groups = bare.split(":");
  else {
    const head = bare.slice(0, gap).split(":").filter(Boolean);
    const tail = bare.slice(gap + 2).split(":").filter(Boolean);
    groups = [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill("0"), ...tail];
  }
  const prefix = groups.slice(0, 4).map((g) => (g.includes(".") ? g : (parseInt(g, 16) || 0).toString(16)));
  while (prefix.length < 4) prefix.push("0");
  return `${prefix.join(":")}::/64`;
}
