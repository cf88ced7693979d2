/**
 * Rooms and their participants, in memory. No HTTP here: routes call these methods, the
 * sweeper calls `sweep`, and every change is published on the room's event bus. Auth headers
 * live only inside `Participant` objects; every view that leaves this file goes through
 * `publicParticipant` / `publicRoom`, which never include them.
 */
import type { AuthHeaders } from "../../proxy/headers.ts";
import { makeTarget, type UpstreamTarget } from "../../proxy/upstream.ts";
import type { Capabilities } from "../../proxy/protocol.ts";
import type { RuntimeConfig } from "../../proxy/defaults.ts";
import { notFound } from "../../proxy/openai/errors.ts";
import type { EventBus } from "../events/bus.ts";
import { generateCode, normalizeCode } from "./codes.ts";

export type ParticipantStatus = "online" | "offline";
export type Specs = Record<string, string | number | boolean | null>;

export interface Participant {
  id: string;
  nickname: string;
  model: string;
  /** Normalised base URL, no /v1. */
  endpoint: string;
  capabilities: Capabilities;
  models: string[] | null;
  status: ParticipantStatus;
  specs: Specs;
  config: RuntimeConfig;
  authHeaders: AuthHeaders;
  /** What the proxy needs to call this participant (derived from endpoint and authHeaders). */
  target: UpstreamTarget;
  joinedAt: number;
  lastSeen: number;
  /** Requests being served right now: routing prefers the least busy. */
  inFlight: number;
}

export interface Room {
  id: string;
  code: string;
  name: string;
  hostId: string;
  createdAt: number;
  passwordHash: string | null;
  config: RuntimeConfig;
  participants: Map<string, Participant>;
}

export interface RegistryOptions {
  now: () => number;
  random: () => number;
  newId: () => string;
  bus: EventBus;
  /** No heartbeat for this long → offline. */
  offlineAfterMs: number;
  /** Offline for this long → removed (participant.left). */
  removeAfterMs: number;
}

export function publicParticipant(p: Participant) {
  const { instructions, ...rest } = p.config;
  return {
    id: p.id,
    nickname: p.nickname,
    model: p.model,
    endpoint: p.endpoint,
    capabilities: { ...p.capabilities },
    status: p.status,
    specs: p.specs,
    joinedAt: p.joinedAt,
    lastSeen: p.lastSeen,
    hasAuth: Object.keys(p.authHeaders).length > 0,
    config: { hasInstructions: typeof instructions === "string" && instructions.length > 0, ...rest },
  };
}
export type PublicParticipant = ReturnType<typeof publicParticipant>;

export function publicRoom(r: Room) {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    createdAt: r.createdAt,
    passwordProtected: r.passwordHash !== null,
    defaults: r.config,
    participantCount: r.participants.size,
  };
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly opts: RegistryOptions) {}

  get size(): number {
    return this.rooms.size;
  }

  create(name: string, passwordHash: string | null, config: RuntimeConfig): Room {
    const code = generateCode(this.opts.random, (c) => this.rooms.has(c));
    const room: Room = {
      id: this.opts.newId(),
      code,
      name,
      hostId: this.opts.newId(),
      createdAt: this.opts.now(),
      passwordHash,
      config,
      participants: new Map(),
    };
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

  requireParticipant(room: Room, id: string): Participant {
    const p = room.participants.get(id);
    if (!p) throw notFound(`participant "${id}" is not in room ${room.code}; join again`, "participant_not_found");
    return p;
  }

  /** Join or re-join: the same id updates the participant instead of adding a second one. */
  upsert(room: Room, incoming: Omit<Participant, "joinedAt" | "lastSeen" | "status" | "inFlight" | "target">): { participant: Participant; created: boolean } {
    const now = this.opts.now();
    const existing = room.participants.get(incoming.id);
    const participant: Participant = {
      ...incoming,
      target: makeTarget(incoming.endpoint, incoming.authHeaders, `participant "${incoming.nickname}" (${incoming.id})`),
      joinedAt: existing?.joinedAt ?? now,
      lastSeen: now,
      status: "online",
      inFlight: existing?.inFlight ?? 0,
    };
    room.participants.set(participant.id, participant);
    this.opts.bus.publish(room.code, existing ? "participant.updated" : "participant.joined", {
      participant: publicParticipant(participant),
    });
    return { participant, created: !existing };
  }

  leave(room: Room, id: string, reason: "left" | "timeout" = "left"): void {
    const p = this.requireParticipant(room, id);
    room.participants.delete(id);
    this.opts.bus.publish(room.code, "participant.left", { participantId: p.id, nickname: p.nickname, reason });
  }

  heartbeat(room: Room, id: string): Participant {
    const p = this.requireParticipant(room, id);
    p.lastSeen = this.opts.now();
    if (p.status === "offline") {
      p.status = "online";
      this.opts.bus.publish(room.code, "participant.online", { participant: publicParticipant(p) });
    }
    return p;
  }

  /** Marks silent participants offline and forgets long-gone ones. Called by the sweeper. */
  sweep(): void {
    const now = this.opts.now();
    for (const room of this.rooms.values()) {
      for (const p of room.participants.values()) {
        const silentFor = now - p.lastSeen;
        if (p.status === "online" && silentFor >= this.opts.offlineAfterMs) {
          p.status = "offline";
          this.opts.bus.publish(room.code, "participant.offline", { participant: publicParticipant(p) });
        } else if (p.status === "offline" && silentFor >= this.opts.offlineAfterMs + this.opts.removeAfterMs) {
          this.leave(room, p.id, "timeout");
        }
      }
    }
  }
}
