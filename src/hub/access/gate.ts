/**
 * Who may use what on a hub:
 * - a password-protected room's inference plane (`/rooms/:code/v1/*`), participants and events
 *   need `Authorization: Bearer <room password>` — what `new OpenAI({ apiKey: password })` sends;
 * - with a hub token set, creating and listing rooms need `Authorization: Bearer <token>`;
 * - a participant's heartbeats, its leaving and a re-join under its id need
 *   `Authorization: Bearer <participant token>` (credentials.ts);
 * - deleting a room needs `Authorization: Bearer <hostId>` (its creator's) or the hub token;
 * - `GET /metrics` needs the hub token when the hub has one, or the metrics token when one is
 *   set (`--metrics-token`: scrapers get a credential that creates no room); either passes.
 * Rooms keep only an argon2id hash, and verifying it costs tens of ms, so a verified password
 * is remembered as an HMAC of (room, password) under a key drawn per hub: a repeated request
 * costs one HMAC and a map lookup, and the plain password is never stored; a wrong one is
 * remembered the same way, so a client retrying it runs no argon2 either. Wrong attempts are
 * counted per client address (limiter.ts), wrong participant tokens and hostIds too, the same
 * wrong secret once per window. Error messages say what to send and never echo what was sent.
 */
import { createHmac, randomBytes } from "node:crypto";
import { BoundedMap } from "../../protocol/bounded-map.ts";
import type { ErrorCode } from "../../protocol/error-codes.ts";
import type { Participant, Room } from "../rooms/registry.ts";
import { digest, matchesDigest } from "./credentials.ts";
import { AccessError, addressKey, DEFAULT_ACCESS_LIMITS, FailureLimiter, type AccessLimits } from "./limiter.ts";

export interface GateOptions {
  now: () => number;
  /** When set, `POST /rooms` and `GET /rooms` require it as a bearer token. */
  token?: string;
  /** When set, `GET /metrics` takes it (besides the hub token) and requires one of the two. */
  metricsToken?: string;
  limits?: Partial<AccessLimits>;
  /** Told when an address gets blocked (the hub logs it; never with a password). */
  onBlock?: (key: string, ms: number) => void;
}

const BEARER = "bearer";

/**
 * The token of `Authorization: Bearer <token>`; anything else (no header, another scheme, empty)
 * is none. The scheme's name in any case, then spaces or tabs; read by hand, not by a regular
 * expression: this runs on every request the ledger counts.
 */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim();
  if (h.length <= BEARER.length + 1) return undefined;
  // `| 0x20` folds an ASCII capital to its small letter (and maps no other character onto these letters).
  for (let i = 0; i < BEARER.length; i++) if ((h.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return undefined;
  let i = BEARER.length;
  while (i < h.length && (h[i] === " " || h[i] === "\t")) i++;
  return i > BEARER.length && i < h.length ? h.slice(i) : undefined;
}

/**
 * The key a client sends to a room's `/v1` routes: its bearer token, else its `x-api-key`
 * header (Anthropic's SDKs and Claude Code send the key there). In a protected room it is the
 * room's password either way.
 */
export function roomKey(request: Request): string | undefined {
  const bearer = bearerToken(request.headers.get("authorization"));
  if (bearer !== undefined) return bearer;
  const key = request.headers.get("x-api-key")?.trim();
  return key ? key : undefined;
}

const unauthorized = (message: string, code: ErrorCode, realm: string) =>
  new AccessError(401, message, { code, type: "authentication_error" }, { "www-authenticate": `Bearer realm="${realm}"` });

export class AccessGate {
  readonly limiter: FailureLimiter;
  private readonly key = randomBytes(32);
  private readonly verified: BoundedMap<string, true>;
  /** (room, password) pairs found wrong, by the same mark: sent again, no argon2 runs, and the address's count moves once (limiter.ts). */
  private readonly rejected: BoundedMap<string, true>;
  /** Verifications under way, so concurrent requests with the same password share one argon2 run. */
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly tokenDigest: Buffer | undefined;
  private readonly metricsDigest: Buffer | undefined;

  constructor(opts: GateOptions) {
    const limits = { ...DEFAULT_ACCESS_LIMITS, ...opts.limits };
    this.limiter = new FailureLimiter(limits, opts.now, opts.onBlock);
    this.verified = new BoundedMap(limits.verifiedMax, limits.verifiedTtlMs, opts.now);
    this.rejected = new BoundedMap(limits.verifiedMax, limits.windowMs, opts.now);
    this.tokenDigest = opts.token ? digest(opts.token) : undefined;
    this.metricsDigest = opts.metricsToken ? digest(opts.metricsToken) : undefined;
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** For `/rooms/:code/{v1/*,participants,events}`: passes for open rooms and a right key (roomKey); throws 401/429 otherwise. */
  async requireRoomPassword(room: Room, request: Request, address: string | undefined): Promise<void> {
    if (room.passwordHash === null) return;
    const who = addressKey(address);
    // Blocked first, even for a right password: otherwise a blocked guesser could still tell
    // a remembered (right) password from a wrong one at full speed.
    this.limiter.assertAllowed(who);
    const password = roomKey(request);
    if (password === undefined) {
      throw unauthorized(
        `room ${room.code} is password-protected: send its password as "Authorization: Bearer <room password>" or "x-api-key: <room password>" (OpenAI and Anthropic SDKs: apiKey = the room password)`,
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
    if (!matchesDigest(given, this.tokenDigest)) {
      this.limiter.recordFailure(who, this.mark("hub", given));
      throw unauthorized('wrong hub token: send the token the hub was started with as "Authorization: Bearer <hub token>"', "invalid_hub_token", "gambi hub");
    }
  }

  /** For `GET /metrics`: open on a hub with neither token; otherwise the metrics token or the hub token (constant time). */
  requireMetricsAccess(request: Request, address: string | undefined): void {
    if (!this.tokenDigest && !this.metricsDigest) return;
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    const given = bearerToken(request.headers.get("authorization"));
    if (given === undefined) {
      throw unauthorized('this hub\'s metrics need a token: send "Authorization: Bearer <metrics token or hub token>"', "metrics_token_required", "gambi metrics");
    }
    const metrics = this.metricsDigest !== undefined && matchesDigest(given, this.metricsDigest);
    const hub = this.tokenDigest !== undefined && matchesDigest(given, this.tokenDigest);
    if (!metrics && !hub) {
      this.limiter.recordFailure(who, this.mark("metrics", given));
      throw unauthorized("wrong token for the metrics: send the hub's --metrics-token or its hub token", "invalid_metrics_token", "gambi metrics");
    }
  }

  /**
   * For a heartbeat or a leave: passes when the bearer is the participant's token, even from a
   * blocked address; 401 without one or with a wrong one (counted against the address), 429 for
   * those when the address is blocked. A participant token is 256 random bits (credentials.ts):
   * telling a right one from a wrong one gives a guesser nothing, while refusing it would take
   * every participant of a machine offline because someone there mistyped a room password.
   */
  requireParticipantToken(room: Room, p: Participant, request: Request, address: string | undefined): void {
    const given = bearerToken(request.headers.get("authorization"));
    if (given !== undefined && matchesDigest(given, p.tokenDigest)) return;
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    const realm = `gambi room ${room.code}`;
    if (given === undefined) {
      throw unauthorized(
        `participant ${p.id} belongs to whoever joined it: send the participantToken its join returned as "Authorization: Bearer <participantToken>"`,
        "participant_token_required",
        realm,
      );
    }
    this.limiter.recordFailure(who, this.mark("participant", given));
    throw unauthorized(`wrong participant token for ${p.id}: send the participantToken its join returned`, "invalid_participant_token", realm);
  }

  /**
   * For a join that names an existing participant's id: true when the bearer is its token (even
   * from a blocked address, as for a heartbeat). A wrong token counts against the address (a
   * guess); none at all does not (a mistake).
   */
  participantTokenMatches(p: Participant, request: Request, address: string | undefined): boolean {
    const given = bearerToken(request.headers.get("authorization"));
    if (given !== undefined && matchesDigest(given, p.tokenDigest)) return true;
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    if (given === undefined) return false;
    this.limiter.recordFailure(who, this.mark("participant", given));
    return false;
  }

  /** For `DELETE /rooms/:code`: the room's hostId, or the hub token when the hub has one. Says which it was. */
  requireRoomOwner(room: Room, request: Request, address: string | undefined): "hostId" | "hub token" {
    const who = addressKey(address);
    this.limiter.assertAllowed(who);
    const given = bearerToken(request.headers.get("authorization"));
    const how = this.tokenDigest ? "its hostId (returned when it was created) or the hub token" : "its hostId (returned when it was created)";
    if (given === undefined) throw unauthorized(`deleting room ${room.code} needs ${how} as "Authorization: Bearer <…>"`, "room_owner_required", `gambi room ${room.code}`);
    const owner = matchesDigest(given, Buffer.from(room.hostIdDigest, "hex"));
    const admin = this.tokenDigest !== undefined && matchesDigest(given, this.tokenDigest);
    if (!owner && !admin) {
      this.limiter.recordFailure(who, this.mark("owner", given));
      throw unauthorized(`wrong credential for deleting room ${room.code}: send ${how}`, "invalid_room_owner", `gambi room ${room.code}`);
    }
    return owner ? "hostId" : "hub token";
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
    // Known to be wrong: no argon2 run; the address's count moves only the first time in its window.
    if (this.rejected.get(mark)) {
      this.limiter.recordFailure(who, mark);
      return false;
    }
    const ok = await this.limiter.track(who, () => this.verifyOnce(mark, password, hash), mark);
    if (ok) this.verified.set(mark, true);
    else this.rejected.set(mark, true);
    return ok;
  }

  /** A wrong credential of one kind, keyed under the hub's own key: the limiter counts a repeat once and never holds the secret. */
  private mark(kind: string, given: string): string {
    return createHmac("sha256", this.key).update(kind).update("\0").update(given).digest("base64url");
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

