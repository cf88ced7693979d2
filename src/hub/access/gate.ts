/**
 * Who may use what on a hub:
 * - a password-protected room's inference plane (`/rooms/:code/v1/*`), participants and events
 *   need `Authorization: Bearer <room password>` — what `new OpenAI({ apiKey: password })` sends;
 * - with a hub token set, creating and listing rooms need `Authorization: Bearer <token>`.
 * Rooms keep only an argon2id hash, and verifying it costs tens of ms, so a verified password
 * is remembered as an HMAC of (room, password) under a key drawn per hub: a repeated request
 * costs one HMAC and a map lookup, and the plain password is never stored. Wrong attempts are
 * counted per client address (limiter.ts). Error messages say what to send and never echo
 * what was sent.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { BoundedMap } from "../../protocol/bounded-map.ts";
import type { Room } from "../rooms/registry.ts";
import { AccessError, addressKey, DEFAULT_ACCESS_LIMITS, FailureLimiter, type AccessLimits } from "./limiter.ts";

export interface GateOptions {
  now: () => number;
  /** When set, `POST /rooms` and `GET /rooms` require it as a bearer token. */
  token?: string;
  limits?: Partial<AccessLimits>;
  /** Told when an address gets blocked (the hub logs it; never with a password). */
  onBlock?: (key: string, ms: number) => void;
}

/** The token of `Authorization: Bearer <token>`; anything else (no header, another scheme, empty) is none. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const m = header ? /^bearer[ \t]+(.+)$/i.exec(header.trim()) : null;
  return m ? m[1] : undefined;
}

/**
 * Clients send a room password in an HTTP header, where only Latin-1 survives (fetch throws
 * on anything wider; many clients accept ASCII only) and outer spaces are trimmed: a password
 * outside printable ASCII, or with outer spaces, would let people join but never use the room.
 * Returns what is wrong (never the password), or undefined.
 */
export function roomPasswordProblem(password: string): string | undefined {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(password)) return undefined;
  return 'a room password must be printable ASCII without leading or trailing spaces: clients send it in an HTTP header ("Authorization: Bearer <room password>")';
}

const unauthorized = (message: string, code: string, realm: string) =>
  new AccessError(401, message, { code, type: "authentication_error" }, { "www-authenticate": `Bearer realm="${realm}"` });

export class AccessGate {
  readonly limiter: FailureLimiter;
  private readonly key = randomBytes(32);
  private readonly verified: BoundedMap<string, true>;
  /** Verifications under way, so concurrent requests with the same password share one argon2 run. */
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly tokenDigest: Buffer | undefined;

  constructor(opts: GateOptions) {
    const limits = { ...DEFAULT_ACCESS_LIMITS, ...opts.limits };
    this.limiter = new FailureLimiter(limits, opts.now, opts.onBlock);
    this.verified = new BoundedMap(limits.verifiedMax, limits.verifiedTtlMs, opts.now);
    this.tokenDigest = opts.token ? digest(opts.token) : undefined;
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** For `/rooms/:code/{v1/*,participants,events}`: passes for open rooms and a right bearer; throws 401/429 otherwise. */
  async requireRoomPassword(room: Room, request: Request, address: string | undefined): Promise<void> {
    if (room.passwordHash === null) return;
    const who = addressKey(address);
    // Blocked first, even for a right password: otherwise a blocked guesser could still tell
    // a remembered (right) password from a wrong one at full speed.
    this.limiter.assertAllowed(who);
    const password = bearerToken(request.headers.get("authorization"));
    if (password === undefined) {
      throw unauthorized(
        `room ${room.code} is password-protected: send its password as "Authorization: Bearer <room password>" (OpenAI SDKs: apiKey = the room password)`,
        "room_password_required",
        `gambi room ${room.code}`,
      );
    }
    if (!(await this.checkPassword(room, password, who))) {
      throw unauthorized(`wrong password for room ${room.code}: send the room's password as "Authorization: Bearer <room password>"`, "invalid_room_password", `gambi room ${room.code}`);
    }
  }

  /**
   * A room password given some other way (the join body): true when right. Counted against the
   * address like a bearer, so joins are no way around the limit. The caller throws its own error.
   */
  async verifyJoinPassword(room: Room, password: string, address: string | undefined): Promise<boolean> {
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    return this.checkPassword(room, password, who);
  }

  /** For `POST /rooms` and `GET /rooms`: passes when no token is set or the bearer matches it (constant time). */
  requireHubToken(request: Request, address: string | undefined): void {
    if (!this.tokenDigest) return;
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    const given = bearerToken(request.headers.get("authorization"));
    if (given === undefined) {
      throw unauthorized(
        'this hub requires a token to create or list rooms: send "Authorization: Bearer <hub token>" (gambi: --token or $GAMBI_HUB_TOKEN)',
        "hub_token_required",
        "gambi hub",
      );
    }
    // Equal-length digests, so timingSafeEqual never throws and the length leaks nothing.
    if (!timingSafeEqual(digest(given), this.tokenDigest)) {
      this.limiter.recordFailure(who);
      throw unauthorized('wrong hub token: send the token the hub was started with as "Authorization: Bearer <hub token>"', "invalid_hub_token", "gambi hub");
    }
  }

  /** Verified pairs currently remembered (tests and the bench look at it). */
  get verifiedCount(): number {
    return this.verified.size;
  }

  prune(): void {
    this.verified.prune();
    this.limiter.prune();
  }

  private async checkPassword(room: Room, password: string, who: string): Promise<boolean> {
    const hash = room.passwordHash;
    if (hash === null) return true;
    // The room's id (not its code) is in the key: a room created later under a freed code starts clean.
    const mark = createHmac("sha256", this.key).update(room.id).update("\0").update(password).digest("base64url");
    if (this.verified.get(mark)) return true;
    const ok = await this.limiter.track(who, () => this.verifyOnce(mark, password, hash));
    if (ok) this.verified.set(mark, true);
    return ok;
  }

  private verifyOnce(mark: string, password: string, hash: string): Promise<boolean> {
    let run = this.pending.get(mark);
    if (!run) {
      run = Bun.password.verify(password, hash).catch(() => false);
      this.pending.set(mark, run);
      void run.finally(() => this.pending.delete(mark));
    }
    return run;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();
