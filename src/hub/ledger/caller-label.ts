/**
 * A caller's name in the room's ledger: `caller-` and 8 hex digits of an HMAC-SHA-256, under
 * the ledger's salt (persist/ledger-store.ts: drawn once, kept in the hub's database, never
 * shown), of who the caller is for the queue's fairness (access/caller.ts `callerToken`, `callerAddress`: an
 * open room's bearer token, else the client's address or /64). Unlike the fairness key, whose
 * salt is new at every start, the label stays the same across restarts, so a caller's figures
 * add up; and it reveals nothing: without the salt, a token or an address cannot be checked
 * against it. 32 bits: two callers of one room share a label once in ~65,000 pairs.
 *
 * The HMAC costs ~0.6 µs, so labels are remembered by a fast hash of their material (Bun.hash,
 * never the material itself: no token is held in a long-lived map); the map is emptied when it
 * reaches `max` entries.
 */
import { createHmac } from "node:crypto";
import type { CallerKind } from "../access/caller.ts";

export const CALLER_PREFIX = "caller-";

export function callerLabel(salt: Buffer, material: string): string {
  return CALLER_PREFIX + createHmac("sha256", salt).update(material).digest("hex").slice(0, 8);
}

/** Seeds that keep a token's and an address's memo keys apart without joining strings per request. */
const SEED: Record<CallerKind, number> = { "t:": 0x7465, "a:": 0x6164 };

export class CallerLabels {
  private readonly known = new Map<number | bigint, string>();

  constructor(
    private readonly salt: Buffer,
    private readonly max = 10_000,
  ) {}

  /** The label of material `kind + value`, which is joined and hashed only the first time. */
  of(kind: CallerKind, value: string): string {
    const key = Bun.hash(value, SEED[kind]);
    let label = this.known.get(key);
    if (label === undefined) {
      if (this.known.size >= this.max) this.known.clear();
      label = callerLabel(this.salt, kind + value);
      this.known.set(key, label);
    }
    return label;
  }
}
