/**
 * Which participant holds each Responses id that passed through the hub on its way from a
 * participant that stores responses itself (one speaking the Responses API): a follow-up
 * (`previous_response_id`, continuation.ts) and the lifecycle routes (lifecycle.ts) go back
 * there. Filled as responses pass (dispatch.ts); the responses the hub keeps itself are in
 * response-store.ts instead. Bounded and expiring, so memory stays flat however many
 * responses pass through.
 */
import { BoundedMap } from "../../protocol/bounded-map.ts";

export interface ResponseOwner {
  roomCode: string;
  participantId: string;
}

export interface ResponseOwnerLimits {
  /** Ids remembered over all rooms (oldest go first). */
  max: number;
  ttlMs: number;
}

export const DEFAULT_RESPONSE_OWNER_LIMITS: ResponseOwnerLimits = { max: 50_000, ttlMs: 6 * 60 * 60 * 1000 };

/** Scoped to the room: an id that passed through another room is not this room's to continue, read or delete. */
const ownerKey = (roomCode: string, responseId: string) => `${roomCode}\u0000${responseId}`;

export class ResponseOwners {
  private readonly owners: BoundedMap<string, ResponseOwner>;

  constructor(limits: ResponseOwnerLimits = DEFAULT_RESPONSE_OWNER_LIMITS, now: () => number = Date.now) {
    this.owners = new BoundedMap(limits.max, limits.ttlMs, now);
  }

  get(roomCode: string, responseId: string): ResponseOwner | undefined {
    return this.owners.get(ownerKey(roomCode, responseId));
  }

  set(roomCode: string, responseId: string, participantId: string): void {
    this.owners.set(ownerKey(roomCode, responseId), { roomCode, participantId });
  }

  delete(roomCode: string, responseId: string): boolean {
    return this.owners.delete(ownerKey(roomCode, responseId));
  }

  /** Ids remembered (for tests and the memory benchmark). */
  get size(): number {
    return this.owners.size;
  }

  prune(): void {
    this.owners.prune();
  }
}
