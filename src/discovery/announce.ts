/**
 * `gambi hub --mdns`: the hub's mDNS responder (multicast-dns under it). It announces the hub
 * twice, one second apart (RFC 6762 §8.3), answers queries for `_gambi._tcp.local` and its
 * records (to the group, or straight back to a querier on another port than 5353: RFC 6762
 * §6.7), and on `stop()` sends the goodbye (the records with ttl 0) before closing.
 *
 * It never throws and never stops the hub: a port it cannot bind (5353 held by a program
 * without SO_REUSEADDR, no permission) or a failed send is a warning, and the hub runs on.
 */
import makeMdns from "multicast-dns";
import type { Logger } from "../logger.ts";
import { announcement, answerQuery, type HubAnnouncement } from "./records.ts";

export const MDNS_PORT = 5353;

export interface AnnounceOptions {
  hub: HubAnnouncement;
  /** The interface's IPv4 address; undefined: every interface. */
  interface?: string;
  logger: Logger;
  /** The mDNS port (tests only; 5353 is the standard). */
  mdnsPort?: number;
}

export interface Announcer {
  /** Sends the goodbye and closes the socket; resolves within about half a second whatever happens. */
  stop(): Promise<void>;
}

const describe = (err: unknown) => (err instanceof Error ? `${(err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code}: ` : ""}${err.message}` : String(err));

export function announceHub(opts: AnnounceOptions): Announcer {
  const port = opts.mdnsPort ?? MDNS_PORT;
  const mdns = makeMdns({ port, interface: opts.interface, bind: "0.0.0.0", loopback: true });
  let failed = false;
  let stopping: Promise<void> | undefined;
  let again: ReturnType<typeof setTimeout> | undefined;

  const announce = () => {
    if (failed || stopping) return;
    mdns.respond(announcement(opts.hub), (err) => {
      if (err) opts.logger.warn(`--mdns: could not announce the hub: ${describe(err)}`);
    });
  };

  mdns.on("error", (err: unknown) => {
    if (failed) return;
    failed = true;
    if (again) clearTimeout(again);
    opts.logger.warn(`--mdns: cannot use mDNS port ${port} (${describe(err)}): the hub runs, but is not announced on the local network`);
    try {
      mdns.destroy();
    } catch {
      // already closed
    }
  });
  mdns.on("warning", (err: unknown) => opts.logger.debug(`mdns: ${describe(err)}`));
  mdns.on("ready", () => {
    announce();
    again = setTimeout(announce, 1000);
  });
  mdns.on("query", (query, rinfo) => {
    if (failed || stopping) return;
    const reply = answerQuery(query, opts.hub);
    if (!reply) return;
    // A one-shot query from another port gets its answer by unicast, with its id and questions.
    if (rinfo.port !== port) mdns.respond({ id: query.id, questions: query.questions, ...reply }, { port: rinfo.port, address: rinfo.address });
    else mdns.respond(reply);
  });

  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (again) clearTimeout(again);
        if (failed) return resolve();
        const close = () => {
          clearTimeout(limit);
          try {
            mdns.destroy(() => resolve());
          } catch {
            resolve();
          }
        };
        const limit = setTimeout(close, 500);
        mdns.respond(announcement(opts.hub, 0), close);
      });
      return stopping;
    },
  };
}
