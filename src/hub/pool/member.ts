/**
 * What a room's scheduler (scheduler.ts) knows of a participant: its id, the models it serves
 * (sharing its capacity; the first is its default) and those it embeds with, its protocols and its `maxConcurrency`
 * (declared by its joiner, else what the join probe learned or a default for its kind of
 * server, protocol/concurrency.ts), plus the participant itself, which a lease hands to
 * dispatch. The one place that reads a `Participant` for the pool.
 */
import { MAX_CONCURRENCY } from "../../common/max-concurrency.ts";
import type { Participant, RoomMember } from "../rooms/types.ts";

/** `pool.off`: the bench's "before pooling" switch (context.ts `pool: "off"`), no capacity limit. */
export function memberOf(p: Participant, pool: { off?: boolean } = {}): RoomMember {
  return { id: p.id, models: p.models, embeddingModels: p.embeddingModels, capabilities: p.capabilities, maxConcurrency: pool.off ? MAX_CONCURRENCY : p.maxConcurrency, participant: p };
}
