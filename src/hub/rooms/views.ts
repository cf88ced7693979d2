/**
 * What the hub shows of rooms and participants (listings, events): built field by field, so
 * auth headers, the participant token's digest and the hostId's digest can never ride along.
 */
import type { Participant, Room } from "./types.ts";

export function publicParticipant(p: Participant) {
  const { instructions, ...rest } = p.config;
  return {
    id: p.id,
    nickname: p.nickname,
    /** Its first model: what a client written for one model per participant reads. */
    model: p.models[0]!,
    /** Every model it serves, the first being its default. */
    models: [...p.models],
    /** How many requests it serves at once, for all its models together, and where that came from. */
    maxConcurrency: p.maxConcurrency,
    maxConcurrencySource: p.maxConcurrencySource,
    endpoint: p.endpoint,
    capabilities: { ...p.capabilities },
    /** Whether its Responses API keeps conversations (`unknown` / `stateless`: the hub keeps them). */
    responsesState: p.responsesState,
    status: p.status,
    health: p.health,
    specs: p.specs,
    joinedAt: p.joinedAt,
    lastSeen: p.lastSeen,
    hasAuth: Object.keys(p.authHeaders).length > 0,
    /** Why the hub repairs its Responses answers; null until it has had to. */
    repairs: p.repairs ?? null,
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
