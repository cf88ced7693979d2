/**
 * Looking for hubs on the local network: ask for `_gambi._tcp.local` (again a third of the way
 * through, in case a packet was lost), collect the answers for `windowMs` (about a second),
 * one entry per URL, then close. Goodbyes heard meanwhile remove their hub.
 *
 * It never throws: a socket it cannot bind is `problem`, with whatever was found (nothing).
 */
import makeMdns from "multicast-dns";
import { MDNS_PORT } from "./announce.ts";
import { heardOn } from "./interface.ts";
import { hubsFromResponse, SERVICE, type FoundHub } from "./records.ts";

export const BROWSE_MS = 1000;

export interface BrowseOptions {
  windowMs?: number;
  /** The interface's IPv4 address; undefined: every interface. */
  interface?: string;
  /** The mDNS port (tests only). */
  mdnsPort?: number;
}

export interface BrowseResult {
  hubs: FoundHub[];
  /** Why nothing could be looked for, when that is the case. */
  problem?: string;
}

const byName = (a: FoundHub, b: FoundHub) => a.name.localeCompare(b.name) || a.url.localeCompare(b.url);

export function browseHubs(opts: BrowseOptions = {}): Promise<BrowseResult> {
  const windowMs = opts.windowMs ?? BROWSE_MS;
  const port = opts.mdnsPort ?? MDNS_PORT;
  return new Promise<BrowseResult>((resolve) => {
    const found = new Map<string, FoundHub>();
    let problem: string | undefined;
    let done = false;
    const mdns = makeMdns({ port, interface: opts.interface, bind: "0.0.0.0", loopback: true });
    const ask = () => {
      if (!done) mdns.query({ questions: [{ name: SERVICE, type: "PTR" }] }, () => {});
    };
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = () => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      try {
        mdns.destroy();
      } catch {
        // already closed
      }
      resolve({ hubs: [...found.values()].sort(byName), ...(problem ? { problem } : {}) });
    };
    mdns.on("error", (err: unknown) => {
      problem = `cannot use mDNS port ${port}: ${err instanceof Error ? err.message : String(err)}`;
      finish();
    });
    mdns.on("warning", () => {});
    mdns.on("response", (packet, rinfo) => {
      if (!heardOn(rinfo.address, opts.interface)) return;
      const { found: hubs, gone } = hubsFromResponse(packet, rinfo);
      for (const url of gone) found.delete(url);
      for (const hub of hubs) found.set(hub.url, hub);
    });
    mdns.on("ready", () => {
      ask();
      timers.push(setTimeout(ask, Math.round(windowMs / 3)));
    });
    timers.push(setTimeout(finish, windowMs));
  });
}
