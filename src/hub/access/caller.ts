/**
 * Who is asking, for the fairness of a room's queue (pool/fair-queue.ts): requests of one
 * caller wait in one lane, and lanes take turns. The key is opaque and lives only in the
 * queue's memory: never in a response, an event, a log line or a file.
 *
 * - An open room takes any bearer token (or `x-api-key`, as Anthropic's clients send it,
 *   gate.ts `roomKey`), so a token names its caller: a script, a person, a team sharing one.
 *   The key is a 64-bit hash of the token (Bun.hash) under a seed drawn when the hub starts
 *   (context.ts `callerSeed`), so no token is held in the queue's maps, the key equals no digest
 *   kept anywhere else (a participant token's, a hostId's) and it means nothing outside this
 *   process. Two tokens sharing a key would share a lane, once in ~2^32 pairs: fairness, not
 *   access, rests on it.
 * - A password-protected room's bearer is its password, the same for everyone: there, and for a
 *   request without a token, the key is the client's address (IPv6 by its /64, as the
 *   wrong-password limiter counts them, limiter.ts `addressKey`). Everyone behind one NAT or
 *   reverse proxy is then one caller.
 *
 * Every request's key is read, by the queue's `served` when a free slot takes it at once: it is
 * made from what the ledger reads of the caller anyway (`callerToken`, `callerAddress`, once per
 * request in dispatch.ts), and the hash costs ~0.1 µs (an HMAC cost ~0.6).
 */
import { roomKey } from "./gate.ts";
import { addressKey } from "./limiter.ts";

export interface AddressSource {
  requestIP(request: Request): { address: string } | null;
}

/**
 * Bun's `requestIP` asks the kernel each time it is called (a `getpeername` system call: 1–2 µs
 * on the bench's VM, the dearest step of counting a request). The request's address through
 * this asks at most once, however many steps need it: a protected room's password check and
 * the ledger's caller row.
 */
export function addressOnce(server: AddressSource | null): AddressSource | null {
  if (!server) return null;
  let known: { address: string } | null | undefined;
  return { requestIP: (request) => (known === undefined ? (known = server.requestIP(request)) : known) };
}

/** The two kinds of who a caller is: `t:` and a token, `a:` and an address key. */
export type CallerKind = "t:" | "a:";

/** The queue's key for a caller: a token hashed under the hub's seed, an address key as it is. */
export function fairnessKey(seed: number, kind: CallerKind, id: string): string {
  return kind === "t:" ? `t:${Bun.hash(id, seed).toString(36)}` : `a:${id}`;
}

/**
 * Who the caller is, unhashed, in two steps (the second only when the first gives nothing):
 * an open room's token, else the address key. Only ever hashed (the fairness key above, the
 * ledger's caller labels, ledger/caller-label.ts), never kept.
 */
export function callerToken(passwordProtected: boolean, request: Request): string | undefined {
  return passwordProtected ? undefined : roomKey(request);
}

export function callerAddress(request: Request, server: AddressSource | null): string {
  return addressKey(server?.requestIP(request)?.address);
}
