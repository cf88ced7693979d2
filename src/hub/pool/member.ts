/**
 * What a room's scheduler (scheduler.ts) knows of a participant: its id, the models it serves,
 * its protocols and its capacity, plus the participant itself, which a lease hands to
 * dispatch. The one place that reads a `Participant` for the pool: when participants declare
 * their own `maxConcurrency` and serve several models, only `memberOf` changes.
 *
 * Until then: the one model it joined with, and the default capacity for its kind of endpoint
 * (capacity.ts `defaultMaxConcurrency`), told apart by what the hub can see of the endpoint
 * without asking it anything: a public `https` API is `hosted` (16); anything else, a laptop's
 * or a LAN server, `local` (1).
 */
import { isLoopbackHost } from "../../protocol/endpoint.ts";
import type { Participant, RoomMember } from "../rooms/types.ts";
import { defaultMaxConcurrency, MAX_CONCURRENCY, type EndpointKind } from "./capacity.ts";

/** Private (RFC 1918), link-local and unique-local hosts: a LAN's, not a provider's. */
const PRIVATE_HOST = /^(?:10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.|\[?f[cd][0-9a-f]{2}:|\[?fe80:)|\.(?:local|lan|internal|home\.arpa)$/i;

export function endpointKind(endpoint: string): EndpointKind {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "local";
  }
  if (url.protocol !== "https:" || isLoopbackHost(endpoint) || PRIVATE_HOST.test(url.hostname)) return "local";
  return "hosted";
}

/**
 * `pool.off`: the bench's "before pooling" switch (context.ts `pool: "off"`), no capacity limit;
 * `pool.defaultMaxConcurrency`: the hub's own default for a participant that declares none
 * (tests and benches whose fake upstreams serve any number at once).
 */
export function memberOf(p: Participant, pool: { off?: boolean; defaultMaxConcurrency?: number } = {}): RoomMember {
  const maxConcurrency = pool.off ? MAX_CONCURRENCY : (pool.defaultMaxConcurrency ?? defaultMaxConcurrency(endpointKind(p.endpoint)));
  return { id: p.id, models: [p.model], capabilities: p.capabilities, maxConcurrency, participant: p };
}
