/**
 * Which network interface mDNS uses, as an IPv4 address (undefined: every interface, sending
 * on the default one). `$GAMBI_MDNS_INTERFACE` overrides it on both sides (tests set
 * 127.0.0.1 so no packet leaves the machine; a machine on several networks may pick one).
 * Otherwise a hub announces where it listens: a hub on loopback only to this machine (nobody
 * else could reach it), a hub on one address on that address's network, a hub on every
 * address everywhere.
 */
import { isIPv4 } from "node:net";

export type Env = Record<string, string | undefined>;

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

/** Where a hub listening on `host` announces itself; `skip` when it cannot (mDNS here is IPv4). */
export function announceInterface(host: string, env: Env): { interface?: string } | { skip: string } {
  const forced = env.GAMBI_MDNS_INTERFACE?.trim();
  if (forced) return { interface: forced };
  if (isLoopback(host)) return { interface: "127.0.0.1" };
  if (host === "0.0.0.0" || host === "::") return {};
  if (isIPv4(host)) return { interface: host };
  return { skip: `the hub listens on ${host}, and gambi announces over IPv4 only: use --host 0.0.0.0 or an IPv4 address` };
}

/** Where a client looks for hubs. */
export function browseInterface(env: Env): string | undefined {
  return env.GAMBI_MDNS_INTERFACE?.trim() || undefined;
}

/**
 * Whether an answer from `source` counts for a browser on `iface`. A socket bound to port 5353
 * receives the group's packets from every interface some other program joined (Linux's
 * IP_MULTICAST_ALL), so a browser told to use loopback keeps only loopback sources.
 */
export function heardOn(source: string, iface: string | undefined): boolean {
  return iface === undefined || !iface.startsWith("127.") || source.startsWith("127.");
}
