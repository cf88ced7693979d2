/**
 * Rooms and their participants, in memory, with rooms written through to a `RoomStore`
 * (persist/: SQLite in the data directory, or nothing) and read back from it at start;
 * participants are never stored (persist/room-store.ts says why). No HTTP here: routes call these methods, the
 * sweeper calls `sweep`, and every change is published on the room's event bus. Health: after
 * `unhealthyAfter` consecutive faults (unreachable, timed out, connection broken) a participant
 * is `unhealthy` (routing skips it while a healthy one can serve), and `sweep` re-probes it
 * every `reprobeEveryMs` through the injected `reprobe` until it answers. Auth headers
 * live only inside `Participant` objects; every view that leaves this file goes through
 * `publicParticipant` / `publicRoom` (views.ts), which never include them.
 *
 * Each room has its scheduler (pool/scheduler.ts), made with the room here and told every
 * change that decides who may serve: joins and re-joins (`upsert`), leaving and timing out
 * (`remove`), offline/online and unhealthy/healthy (`setStatus`); the room's removal closes its
 * queue (404 `room_not_found` for whoever waits), and so does the hub's drain
 * (`closeQueues`, 503 `hub_shutting_down`). A 429's cooldown, when it starts, is a
 * `participant.updated` event (reason `rate_limited`), not something views poll for.
 */
import { makeTarget } from "../../proxy/upstream.ts";
import { mergeConfigs, type RuntimeConfig } from "../../protocol/defaults.ts";
import { GambiError, notFound } from "../../protocol/openai/errors.ts";
import type { EventBus, HubEventType } from "../events/bus.ts";
import type { Logger } from "../../logger.ts";
import { generateCode, normalizeCode } from "./codes.ts";
import { publicParticipant } from "./views.ts";
import { hostIdDigest as digestOfNobodys } from "../access/credentials.ts";
import type { RoomStore } from "../persist/room-store.ts";
import { DEFAULT_QUEUE_SIZE, DEFAULT_QUEUE_TIMEOUT_MS, RoomScheduler, type PoolMember } from "../pool/scheduler.ts";
import { memberOf } from "../pool/member.ts";
import { realTimers, type Timers } from "../../proxy/timeouts.ts";
import { CLOSE } from "../../protocol/tunnel/close.ts";
import type { Participant, Room, RoomMember, RoomRemoval } from "./types.ts";
import { WriteTrouble } from "../persist/write-trouble.ts";

export type { Participant, ParticipantHealth, ParticipantStatus, Room, RoomMember, RoomRemoval, Specs, Transport, TunnelState } from "./types.ts";

/** What the hub never takes from a join: it keeps them itself. */
type Kept = "joinedAt" | "lastSeen" | "status" | "target" | "defaults" | "health" | "faults" | "nextProbeAt" | "probing" | "repairs" | "stateCheck" | "stateCheckAfter";

export interface RegistryOptions {
  now: () => number;
  random: () => number;
  newId: () => string;
  bus: EventBus;
  /** No heartbeat for this long → offline. */
  offlineAfterMs: number;
  /** Offline for this long → removed (participant.left). */
  removeAfterMs: number;
  /** Consecutive faults → unhealthy. */
  unhealthyAfter: number;
  /** Unhealthy → probed again this often (by sweep). */
  reprobeEveryMs: number;
  /** Whether the participant's endpoint answers now (the join probe, in context.ts). Never rejects. */
  reprobe: (p: Participant) => Promise<boolean>;
  log?: Logger;
  /** Rooms are loaded from it once and written to it on every change (default: kept nowhere). */
  store?: RoomStore;
  /** A room with no participant and no activity for this long is removed by sweep; 0 = never. */
  roomTtlMs?: number;
  /** Told after a room is removed (the hub drops what it kept for it). */
  onRoomRemoved?: (room: Room, why: RoomRemoval) => void;
  /** Told when a participant's 429 starts a cooldown (the hub counts it for /metrics). */
  onCooldown?: (room: Room, participantId: string) => void;
  /** Every room's scheduler is made with these (default: the real timers, a queue of 256 for 120 s). */
  pool?: Partial<PoolSettings>;
}

/** What each room's scheduler is made with (gambi hub --queue-size, --queue-timeout). */
export interface PoolSettings {
  /** Its queue's deadlines and the cooldowns' wake-up; `now` must be monotonic and in step. */
  timers: Timers;
  queueSize: number;
  /** 0: a request waits until its client leaves. */
  queueTimeoutMs: number;
  /**
   * The bench's "before rooms pooled" switch (bench/lib/hub-server.ts BENCH_POOL=off): no
   * capacity limit and no queue; dispatch then makes one attempt and learns no cooldowns.
   */
  off: boolean;
}

// bus.ts's HubEventType lists the event names; these two are published from here.
const UNHEALTHY: HubEventType = "participant.unhealthy";
const HEALTHY: HubEventType = "participant.healthy";

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly pool: PoolSettings;
  /** Each room's `lastActiveAt` as the store last got it (`saveActivity`). */
  private readonly savedActivity = new Map<string, number>();
  /** A store that keeps failing is said once, not at every sweep (persist/write-trouble.ts). */
  private readonly activityTrouble: WriteTrouble;

  constructor(private readonly opts: RegistryOptions) {
    const now = opts.now();
    this.activityTrouble = new WriteTrouble("rooms' last use is saved again", opts.log);
    this.pool = {
      timers: opts.pool?.timers ?? realTimers,
      queueSize: opts.pool?.queueSize ?? DEFAULT_QUEUE_SIZE,
      queueTimeoutMs: opts.pool?.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS,
      off: opts.pool?.off ?? false,
    };
    // Last used when the store last heard (a restart does not make an unused room new again); not known: now.
    for (const r of opts.store?.load() ?? []) {
      this.rooms.set(r.code, this.withScheduler({ ...r, participants: new Map(), lastActiveAt: r.lastActiveAt ?? now }));
      if (r.lastActiveAt !== undefined) this.savedActivity.set(r.code, r.lastActiveAt);
    }
  }

  /** Gives a room its scheduler. */
  private withScheduler(room: Omit<Room, "scheduler">): Room {
    const full = room as Room;
    full.scheduler = new RoomScheduler<RoomMember>({
      timers: this.pool.timers,
      wallNow: this.opts.now,
      random: this.opts.random,
      queueSize: this.pool.off ? 0 : this.pool.queueSize,
      queueTimeoutMs: this.pool.queueTimeoutMs,
      room: room.code,
      onCooldown: (member, info) => this.cooledDown(full, member, info),
    });
    return full;
  }

  /** A 429 started (or extended) a participant's cooldown: said once, when it starts. */
  private cooledDown(room: Room, member: PoolMember, info: { cooldownMs: number; hinted: boolean; limit: number }): void {
    const p = room.participants.get(member.id);
    if (!p || this.rooms.get(room.code) !== room) return;
    this.opts.onCooldown?.(room, p.id);
    const why = info.hinted ? "as its answer asked" : "backing off";
    this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code} answered 429: no request for ${Math.ceil(info.cooldownMs / 1000)} s (${why}), at most ${info.limit} at a time`);
    this.opts.bus.publish(room.code, "participant.updated", { participant: publicParticipant(p, room), reason: "rate_limited", cooldownMs: info.cooldownMs });
  }

  /** The hub stops taking requests: whoever waits in a room's queue gets `error`, and so does anyone who asks after. */
  closeQueues(error: Error): void {
    for (const room of this.rooms.values()) room.scheduler.close(error);
  }

  get size(): number {
    return this.rooms.size;
  }

  /** `hostIdDigest`: of the hostId its creator is given (none: a random one nobody holds; the hub token still deletes it). */
  create(name: string, passwordHash: string | null, config: RuntimeConfig, hostIdDigest = digestOfNobodys(this.opts.newId())): Room {
    const code = generateCode(this.opts.random, (c) => this.rooms.has(c));
    const room = this.withScheduler({
      id: this.opts.newId(),
      code,
      name,
      hostIdDigest,
      createdAt: this.opts.now(),
      passwordHash,
      config,
      participants: new Map(),
      lastActiveAt: this.opts.now(),
    });
    try {
      this.opts.store?.insert(room);
    } catch (err) {
      // Not kept = not created: a room that would vanish at the next restart is worse than a 503.
      this.opts.log?.error(`could not save room ${code} to ${this.opts.store?.file ?? "the room store"}: ${(err as Error).message}`);
      throw new GambiError(503, "the hub could not save the room (see the hub's log); try again", { code: "room_not_saved" });
    }
    this.rooms.set(code, room);
    return room;
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  find(code: string): Room | undefined {
    return this.rooms.get(normalizeCode(code));
  }

  require(code: string): Room {
    const room = this.find(code);
    if (!room) throw notFound(`room "${code}" does not exist; check the code (GET /rooms lists the rooms)`, "room_not_found");
    return room;
  }

  /** Somebody used the room (a request): it is not empty-and-unused. */
  touch(room: Room): void {
    room.lastActiveAt = this.opts.now();
  }

  /**
   * Removes the room: its participants leave (`participant.left`), `room.deleted` ends its event
   * streams, and the store forgets it. A store failure is logged, not thrown: the room is gone
   * for clients either way, and a stale row only brings back an empty room at the next start.
   */
  remove(room: Room, why: RoomRemoval): void {
    if (this.rooms.get(room.code) !== room) return;
    this.rooms.delete(room.code);
    const reason = why === "deleted" ? "room_deleted" : "room_expired";
    for (const p of room.participants.values()) {
      p.tunnel?.link.close(CLOSE.normal, `room ${room.code} was ${why}`);
      this.opts.bus.publish(room.code, "participant.left", { participantId: p.id, nickname: p.nickname, reason });
    }
    room.participants.clear();
    room.scheduler.close(notFound(`room "${room.code}" was ${why === "deleted" ? "deleted" : "removed (unused)"} while the request waited`, "room_not_found"));
    this.opts.bus.publish(room.code, "room.deleted", { reason });
    this.savedActivity.delete(room.code);
    try {
      this.opts.store?.delete(room.code);
    } catch (err) {
      this.opts.log?.error(`could not remove room ${room.code} from ${this.opts.store?.file ?? "the room store"}: ${(err as Error).message}`);
    }
    this.opts.onRoomRemoved?.(room, why);
  }

  /**
   * Tells the store when rooms used since the last call were last used (the sweeper, and the
   * hub's close), so `--room-ttl` counts across restarts. A store failure is logged: the rooms
   * are still in memory, and the next sweep tries again.
   */
  saveActivity(): void {
    const used: { code: string; lastActiveAt: number }[] = [];
    for (const room of this.rooms.values()) if (this.savedActivity.get(room.code) !== room.lastActiveAt) used.push({ code: room.code, lastActiveAt: room.lastActiveAt });
    if (used.length === 0) return;
    try {
      this.opts.store?.saveActivity(used);
    } catch (err) {
      this.activityTrouble.failed(`could not save when rooms were last used to ${this.opts.store?.file ?? "the room store"} (tried again at every sweep): ${(err as Error).message}`);
      return;
    }
    this.activityTrouble.succeeded();
    for (const r of used) this.savedActivity.set(r.code, r.lastActiveAt);
  }

  requireParticipant(room: Room, id: string): Participant {
    const p = room.participants.get(id);
    if (!p) throw notFound(`participant "${id}" is not in room ${room.code}; join again`, "participant_not_found");
    return p;
  }

  /**
   * Join or re-join: the same id updates the participant instead of adding a second one.
   * `online: false` registers it unroutable: a tunnelled participant until its tunnel is up and
   * probed (hub/tunnel/attach.ts), which upserts it again, online, with what the probe learned.
   * A re-join that brings another tunnel link closes the old one's socket.
   */
  upsert(room: Room, incoming: Omit<Participant, Kept>, opts: { online?: boolean } = {}): { participant: Participant; created: boolean } {
    const now = this.opts.now();
    const existing = room.participants.get(incoming.id);
    const online = opts.online ?? true;
    const participant: Participant = {
      ...incoming,
      target: makeTarget(incoming.endpoint, incoming.authHeaders, `participant "${incoming.nickname}" (${incoming.id})`, incoming.tunnel?.link.fetch),
      // Frozen: every request reads it, none may change it.
      defaults: Object.freeze(mergeConfigs(room.config, incoming.config)),
      joinedAt: existing?.joinedAt ?? now,
      lastSeen: now,
      status: online ? "online" : "offline",
      // It was just probed (or is not routable yet): whatever happened before, it answers now.
      health: "healthy",
      faults: 0,
      nextProbeAt: 0,
      probing: false,
      stateCheckAfter: 0,
    };
    if (existing?.tunnel && existing.tunnel.link !== participant.tunnel?.link) existing.tunnel.link.close(CLOSE.replaced, "the participant joined again");
    room.participants.set(participant.id, participant);
    room.scheduler.upsert(memberOf(participant, this.pool));
    if (!online) room.scheduler.setStatus(participant.id, { online: false });
    room.lastActiveAt = now;
    this.opts.bus.publish(room.code, existing ? "participant.updated" : "participant.joined", {
      participant: publicParticipant(participant, room),
    });
    return { participant, created: !existing };
  }

  leave(room: Room, id: string, reason: "left" | "timeout" = "left"): void {
    const p = this.requireParticipant(room, id);
    p.tunnel?.link.close(CLOSE.normal, reason === "left" ? "the participant left" : "the participant was removed after being offline too long");
    room.participants.delete(id);
    room.scheduler.remove(id);
    room.lastActiveAt = this.opts.now();
    // Its join was logged; so is its end, or the log shows it in the room forever.
    this.opts.log?.info(reason === "left" ? `${p.nickname} (${p.id}) left room ${room.code}` : `${p.nickname} (${p.id}) removed from room ${room.code}: offline for too long`);
    this.opts.bus.publish(room.code, "participant.left", { participantId: p.id, nickname: p.nickname, reason });
  }

  /**
   * A heartbeat: the joiner runs. It brings a direct participant back online; a tunnelled one is
   * online exactly while its tunnel is up (`tunnelUp` / `tunnelDown`), whatever else it sends.
   */
  heartbeat(room: Room, id: string): Participant {
    const p = this.requireParticipant(room, id);
    p.lastSeen = this.opts.now();
    if (p.status === "offline" && p.transport === "direct") {
      p.status = "online";
      room.scheduler.setStatus(p.id, { online: true });
      this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code}: heard from again; online`);
      this.opts.bus.publish(room.code, "participant.online", { participant: publicParticipant(p, room) });
    }
    return p;
  }

  /** Its tunnel answered a ping: the tunnel's heartbeat. */
  seen(p: Participant): void {
    p.lastSeen = this.opts.now();
  }

  /** Its tunnel closed: offline (not routable) until a new one is up and probed; the sweeper forgets it if none comes. */
  tunnelDown(room: Room, p: Participant, why: string): void {
    if (room.participants.get(p.id) !== p || p.status === "offline") return;
    p.status = "offline";
    room.scheduler.setStatus(p.id, { online: false });
    this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code}: its tunnel closed (${why}); offline until it reconnects`);
    this.opts.bus.publish(room.code, "participant.offline", { participant: publicParticipant(p, room), reason: "tunnel_closed" });
  }

  /** Every tunnel of every room closed (the hub stops). */
  closeTunnels(code: number, reason: string): void {
    for (const room of this.rooms.values()) for (const p of room.participants.values()) p.tunnel?.link.close(code, reason);
  }

  /** A request to this participant ended in a fault; the last one of a run marks it unhealthy. */
  recordFault(room: Room, p: Participant, reason: string): void {
    p.faults++;
    if (p.health === "unhealthy" || p.faults < this.opts.unhealthyAfter) return;
    this.markUnhealthy(room, p, `after ${p.faults} failed requests in a row: ${reason}`, reason);
  }

  /**
   * Its endpoint refused the credentials it joined with (401/403 to an inference request: a key
   * revoked or out of credit): unhealthy at once, since every request would get the same. The
   * sweeper's re-probe, which sends the same credentials, heals it once they work again.
   */
  credentialsRejected(room: Room, p: Participant, status: number): void {
    if (p.health === "unhealthy" || room.participants.get(p.id) !== p) return;
    this.markUnhealthy(room, p, `its endpoint rejected its credentials (HTTP ${status})`, `credentials rejected (HTTP ${status})`);
    // Said as an update too (issue 13): whoever follows a participant's changes hears it there.
    this.opts.bus.publish(room.code, "participant.updated", { participant: publicParticipant(p, room), reason: "credentials_rejected", status });
  }

  private markUnhealthy(room: Room, p: Participant, why: string, reason: string): void {
    p.health = "unhealthy";
    p.nextProbeAt = this.opts.now() + this.opts.reprobeEveryMs;
    // A request that ended after its participant re-joined speaks of the old one.
    if (room.participants.get(p.id) === p) room.scheduler.setStatus(p.id, { healthy: false });
    this.opts.log?.warn(`${p.nickname} (${p.id}) in room ${room.code} is unhealthy ${why}`);
    this.opts.bus.publish(room.code, UNHEALTHY, { participant: publicParticipant(p, room), faults: p.faults, reason });
  }

  /** A request to this participant succeeded. */
  recordSuccess(room: Room, p: Participant): void {
    p.faults = 0;
    if (p.health === "unhealthy") this.markHealthy(room, p, "a request succeeded");
  }

  /**
   * The participant's Responses answer needed the repairing pass: said once per participant
   * (until it re-joins), in the hub's log and as `participant.updated` with the reason. The
   * reason is the relay's fixed wording (responses-repair/detect.ts), never the answer itself.
   */
  noteRepairs(room: Room, p: Participant, reason: string): void {
    if (p.repairs !== undefined) return;
    p.repairs = reason;
    this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code}: ${reason}; the hub repairs its Responses answers for clients`);
    if (room.participants.get(p.id) === p) this.opts.bus.publish(room.code, "participant.updated", { participant: publicParticipant(p, room), repairs: reason });
  }

  private markHealthy(room: Room, p: Participant, why: string): void {
    p.health = "healthy";
    p.faults = 0;
    if (room.participants.get(p.id) === p) room.scheduler.setStatus(p.id, { healthy: true });
    this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code} is healthy again: ${why}`);
    this.opts.bus.publish(room.code, HEALTHY, { participant: publicParticipant(p, room) });
  }

  /** Probes an unhealthy participant whose turn has come; at most one probe per participant at a time. */
  private reprobe(room: Room, p: Participant, now: number): void {
    p.probing = true;
    void this.opts.reprobe(p).then((ok) => {
      p.probing = false;
      // Left or re-joined meanwhile (a re-join replaces the object and was probed itself).
      if (room.participants.get(p.id) !== p || p.health === "healthy") return;
      if (ok) this.markHealthy(room, p, "its endpoint answers the probe");
      else p.nextProbeAt = Math.max(now, this.opts.now()) + this.opts.reprobeEveryMs;
    });
  }

  /**
   * Marks silent participants offline, forgets long-gone ones, re-probes unhealthy ones, and
   * removes rooms left empty and unused for `roomTtlMs`. Called by the sweeper.
   */
  sweep(): void {
    const now = this.opts.now();
    const ttl = this.opts.roomTtlMs ?? 0;
    this.saveActivity();
    for (const room of [...this.rooms.values()]) {
      if (ttl > 0 && room.participants.size === 0 && now - room.lastActiveAt >= ttl) {
        this.opts.log?.info(`room ${room.code} removed: no participant and no request for ${formatAge(now - room.lastActiveAt)} (--room-ttl)`);
        this.remove(room, "expired");
        continue;
      }
      for (const p of room.participants.values()) {
        const silentFor = now - p.lastSeen;
        if (p.status === "online" && silentFor >= this.opts.offlineAfterMs) {
          p.status = "offline";
          room.scheduler.setStatus(p.id, { online: false });
          this.opts.log?.info(`${p.nickname} (${p.id}) in room ${room.code}: no heartbeat for ${formatAge(silentFor)}; offline until it is heard from`);
          this.opts.bus.publish(room.code, "participant.offline", { participant: publicParticipant(p, room) });
        } else if (p.status === "offline" && silentFor >= this.opts.offlineAfterMs + this.opts.removeAfterMs) {
          this.leave(room, p.id, "timeout");
          continue;
        }
        if (p.health === "unhealthy" && p.status === "online" && !p.probing && now >= p.nextProbeAt) this.reprobe(room, p, now);
      }
    }
  }
}

function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : hours >= 1 ? `${Math.floor(hours)} h` : `${Math.round(ms / 1000)} s`;
}
