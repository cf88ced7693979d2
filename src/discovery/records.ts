/**
 * What a hub says about itself on the local network, as DNS-SD records (RFC 6763) under
 * `_gambi._tcp.local`, and what a browser reads back: pure functions, no socket.
 *
 * A hub is one service instance: a PTR from the service type to the instance, an SRV (port and
 * a target host name of its own, `gambi-<host>-<port>.local`, so it never claims the machine's
 * own `<host>.local` that another responder may own), a TXT and the target's A records. The TXT
 * holds exactly `txtvers`, `version` and `tls`: no token, no room, nothing a stranger on the
 * network should not read. A browser takes the hub's address from the packet that answered
 * (the address that reached it), not from the A records: a hub on several networks lists
 * addresses the browser may not reach.
 */
import type { Answer, Packet, Question } from "dns-packet";

export const SERVICE = "_gambi._tcp.local";
/** Where DNS-SD browsers ask for every service type on the link. */
export const SERVICE_TYPES = "_services._dns-sd._udp.local";

/** Records about a host name (SRV, A) live 120 s, the others 75 min (RFC 6762 §10). */
const HOST_TTL = 120;
const OTHER_TTL = 4500;

/** What a hub announces. */
export interface HubAnnouncement {
  /** The instance name people see (default: the machine's host name). */
  name: string;
  /** The hub's HTTP(S) port. */
  port: number;
  version: string;
  tls: boolean;
  /** The machine's host name, for the SRV target. */
  host: string;
  /** IPv4 addresses the hub can be reached at on the interfaces it announces on. */
  addresses: string[];
}

/** A hub a browser found. */
export interface FoundHub {
  name: string;
  url: string;
  /** The gambi version it announced, if it did. */
  version?: string;
  tls: boolean;
}

/** One DNS label: at most 63 bytes, no dot (a dot would split it), never empty. */
export function instanceLabel(name: string): string {
  let label = name.replace(/\./g, "-").trim();
  while (new TextEncoder().encode(label).length > 63) label = label.slice(0, -1);
  return label || "gambi";
}

/** A host-name label of letters, digits and hyphens. */
const hostLabel = (host: string) => host.toLowerCase().replace(/\.local$/, "").replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "host";

export const instanceFqdn = (a: HubAnnouncement) => `${instanceLabel(a.name)}.${SERVICE}`;
export const targetFqdn = (a: HubAnnouncement) => `gambi-${hostLabel(a.host)}-${a.port}.local`;

/** The TXT strings: only these three keys, ever. */
export function txtFor(a: Pick<HubAnnouncement, "version" | "tls">): string[] {
  return ["txtvers=1", `version=${a.version}`, `tls=${a.tls ? "yes" : "no"}`];
}

/** TXT data (strings or buffers, as dns-packet gives them) → key/value pairs; a key without "=" is a flag ("true"). */
export function parseTxt(data: unknown): Record<string, string> {
  const items = Array.isArray(data) ? data : [data];
  const out: Record<string, string> = {};
  for (const item of items) {
    const text = typeof item === "string" ? item : item instanceof Uint8Array ? new TextDecoder().decode(item) : "";
    if (!text) continue;
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key && !(key in out)) out[key] = eq < 0 ? "true" : text.slice(eq + 1);
  }
  return out;
}

/** Every record of a hub, with `ttl` (0: the goodbye that withdraws them). */
export function hubRecords(a: HubAnnouncement, ttl?: number) {
  const instance = instanceFqdn(a);
  const target = targetFqdn(a);
  const t = (fallback: number) => ttl ?? fallback;
  return {
    ptr: { name: SERVICE, type: "PTR", ttl: t(OTHER_TTL), data: instance } as Answer,
    types: { name: SERVICE_TYPES, type: "PTR", ttl: t(OTHER_TTL), data: SERVICE } as Answer,
    srv: { name: instance, type: "SRV", ttl: t(HOST_TTL), flush: true, data: { port: a.port, target } } as Answer,
    txt: { name: instance, type: "TXT", ttl: t(OTHER_TTL), flush: true, data: txtFor(a) } as Answer,
    a: a.addresses.map((address) => ({ name: target, type: "A", ttl: t(HOST_TTL), flush: true, data: address }) as Answer),
  };
}

/** The unsolicited announcement (or, with ttl 0, the goodbye): everything in the answers. */
export function announcement(a: HubAnnouncement, ttl?: number): { type: "response"; answers: Answer[] } {
  const r = hubRecords(a, ttl);
  return { type: "response", answers: [r.ptr, r.srv, r.txt, ...r.a] };
}

/** dns-packet decodes type 255 as "ANY", which its types do not list. */
const asks = (q: Question, name: string, ...types: string[]) => q.name.toLowerCase() === name.toLowerCase() && ((q.type as string) === "ANY" || types.includes(q.type));

/** What the hub answers to a query: the records it asks for, the ones that go with them as additionals; undefined when it asks nothing of ours. */
export function answerQuery(query: Packet, a: HubAnnouncement): { answers: Answer[]; additionals: Answer[] } | undefined {
  const r = hubRecords(a);
  const answers = new Set<Answer>();
  const additionals = new Set<Answer>();
  for (const q of query.questions ?? []) {
    if (asks(q, SERVICE, "PTR")) {
      answers.add(r.ptr);
      [r.srv, r.txt, ...r.a].forEach((x) => additionals.add(x));
    }
    if (asks(q, SERVICE_TYPES, "PTR")) answers.add(r.types);
    if (asks(q, instanceFqdn(a), "SRV")) {
      answers.add(r.srv);
      r.a.forEach((x) => additionals.add(x));
    }
    if (asks(q, instanceFqdn(a), "TXT")) answers.add(r.txt);
    if (asks(q, targetFqdn(a), "A")) r.a.forEach((x) => answers.add(x));
  }
  if (answers.size === 0) return undefined;
  for (const x of answers) additionals.delete(x);
  return { answers: [...answers], additionals: [...additionals] };
}

const hostPort = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`;

/**
 * The hubs a response tells of, reached at `from` (the packet's source address). `gone` are
 * the URLs of hubs saying goodbye (ttl 0). An instance whose SRV is not in the packet is
 * skipped: without its port there is no URL.
 */
export function hubsFromResponse(packet: Packet, from: { address: string }): { found: FoundHub[]; gone: string[] } {
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
  const named = (name: string, type: string) => records.find((x) => x.type === type && x.name.toLowerCase() === name.toLowerCase());
  const found: FoundHub[] = [];
  const gone: string[] = [];
  for (const ptr of records) {
    if (ptr.type !== "PTR" || ptr.name.toLowerCase() !== SERVICE || typeof ptr.data !== "string") continue;
    const instance = ptr.data;
    const srv = named(instance, "SRV");
    if (!srv || srv.type !== "SRV" || !srv.data.port) continue;
    const txt = named(instance, "TXT");
    const kv = txt && txt.type === "TXT" ? parseTxt(txt.data) : {};
    const tls = kv.tls === "yes";
    const url = `${tls ? "https" : "http"}://${hostPort(from.address, srv.data.port)}`;
    if (ptr.ttl === 0) {
      gone.push(url);
      continue;
    }
    const suffix = `.${SERVICE}`;
    const name = instance.toLowerCase().endsWith(suffix) ? instance.slice(0, -suffix.length) : instance;
    found.push({ name, url, tls, ...(kv.version ? { version: kv.version } : {}) });
  }
  return { found, gone };
}
