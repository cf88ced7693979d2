/**
 * What the hub shows of rooms and participants (listings, events): built field by field, so
 * auth headers, the participant token's digest and the hostId's digest can never ride along.
 * A participant's load is its room scheduler's (pool/scheduler.ts `memberView`): how many
 * requests it may have at once now (`limit`: its `maxConcurrency`, lower after 429s), how many
 * it has (`inFlight`), and until when it is left alone after a 429 (`cooldownUntil`, epoch ms);
 * a room's queue is how many requests wait and its bounds.
 */
import type { Participant, Room } from "./types.ts";

export function publicParticipant(p: Participant, room: Room) {
  const { instructions, ...rest } = p.config;
  // A participant that has left is no longer the scheduler's: it shows no load.
  const load = room.participants.get(p.id) === p ? room.scheduler.memberView(p.id) : undefined;
  return {
    id: p.id,
    nickname: p.nickname,
    /** Its first model: what a client written for one model per participant reads (its first embedding model if it only embeds). */
    model: p.models[0] ?? p.embeddingModels[0]!,
    /** Every model it serves for chat and Responses, the first being its default. */
    models: [...p.models],
    /** How many requests it serves at once, for all its models together, and where that came from. */
    maxConcurrency: p.maxConcurrency,
    maxConcurrencySource: p.maxConcurrencySource,
    /** The models it serves for `POST /v1/embeddings` (declared at join), the first being the default there. */
    embeddingModels: [...p.embeddingModels],
    /** `tunnel`: its joiner keeps a socket open to the hub, which never learns its endpoint (null then). */
    transport: p.transport,
    endpoint: p.transport === "tunnel" ? null : p.endpoint,
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
    /** What the room's scheduler allows now (`maxConcurrency`, halved by a 429, back up with successes). */
    limit: load?.limit ?? null,
    inFlight: load?.inFlight ?? 0,
    cooldownUntil: load?.cooldownUntil ?? null,
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
    queue: { waiting: r.scheduler.waiting, queueSize: r.scheduler.queueSize, queueTimeoutMs: r.scheduler.queueTimeoutMs },
  };
}
