/**
 * The secrets that prove who someone is on a hub, beside room passwords (gate.ts):
 * - a participant token, drawn at join (256 bits) and handed to the joiner once: re-joining
 *   under the same id, heartbeats and leaving need it, so nobody can take over or kick someone
 *   else's participant by its (public) id;
 * - a room's `hostId`, handed to the room's creator: with it (or the hub token) the room can be
 *   deleted.
 * The hub keeps only SHA-256 digests of participant tokens, and compares every credential by
 * digest in constant time, so neither a comparison's timing nor a memory dump gives a token away.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const digest = (secret: string): Buffer => createHash("sha256").update(secret).digest();

/** What the hub keeps of a room's hostId (in memory and in the room database): its SHA-256, hex. */
export const hostIdDigest = (hostId: string): string => digest(hostId).toString("hex");

/** A fresh participant token or hostId: 32 random bytes, base64url (43 characters, header-safe). */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether `given` is the secret whose SHA-256 is `expected` (equal-length digests: constant time). */
export function matchesDigest(given: string | undefined, expected: Buffer): boolean {
  return given !== undefined && expected.length === 32 && timingSafeEqual(digest(given), expected);
}
