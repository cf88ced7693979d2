/** mDNS records ↔ what a hub is: the announcement, the answers to queries, and reading them back (src/discovery/). */
import { expect, test } from "bun:test";
import packet from "dns-packet";
import { announceInterface, browseInterface, heardOn } from "../../src/discovery/interface.ts";
import { announcement, answerQuery, hubsFromResponse, instanceLabel, parseTxt, SERVICE, SERVICE_TYPES, txtFor, type HubAnnouncement } from "../../src/discovery/records.ts";

const HUB: HubAnnouncement = { name: "kitchen", port: 3000, version: "0.1.0", tls: false, host: "Kitchen-PC.local", addresses: ["192.168.1.20"] };

/** Through the wire format and back, as a browser receives it. */
const wire = (p: Parameters<typeof packet.encode>[0]) => packet.decode(packet.encode(p));

test("the TXT holds txtvers, version and tls, and nothing else", () => {
  expect(txtFor(HUB)).toEqual(["txtvers=1", "version=0.1.0", "tls=no"]);
  expect(txtFor({ ...HUB, tls: true })).toContain("tls=yes");
  const text = JSON.stringify(announcement(HUB));
  for (const key of ["token", "password", "room", "code"]) expect(text.toLowerCase()).not.toContain(key);
});

test("an announcement, through the wire, reads back as the hub at the packet's source address", () => {
  const got = hubsFromResponse(wire(announcement(HUB)), { address: "192.168.1.20" });
  expect(got).toEqual({ found: [{ name: "kitchen", url: "http://192.168.1.20:3000", version: "0.1.0", tls: false }], gone: [] });
});

test("tls=yes gives an https URL; an IPv6 source is bracketed", () => {
  const { found } = hubsFromResponse(wire(announcement({ ...HUB, tls: true, port: 8443 })), { address: "fe80::1" });
  expect(found).toEqual([{ name: "kitchen", url: "https://[fe80::1]:8443", version: "0.1.0", tls: true }]);
});

test("the goodbye (ttl 0) names the hub as gone", () => {
  expect(hubsFromResponse(wire(announcement(HUB, 0)), { address: "192.168.1.20" })).toEqual({ found: [], gone: ["http://192.168.1.20:3000"] });
});

test("an instance without its SRV (no port) is skipped; other services are ignored", () => {
  const p = wire({
    type: "response",
    answers: [
      { name: SERVICE, type: "PTR", ttl: 120, data: `lonely.${SERVICE}` },
      { name: "_http._tcp.local", type: "PTR", ttl: 120, data: "printer._http._tcp.local" },
      { name: "printer._http._tcp.local", type: "SRV", ttl: 120, data: { port: 80, target: "printer.local" } },
    ],
  });
  expect(hubsFromResponse(p, { address: "10.0.0.9" }).found).toEqual([]);
});

test("an instance without a TXT is a plain-HTTP hub of unknown version", () => {
  const p = wire({
    type: "response",
    answers: [{ name: SERVICE, type: "PTR", ttl: 120, data: `bare.${SERVICE}` }],
    additionals: [{ name: `bare.${SERVICE}`, type: "SRV", ttl: 120, data: { port: 4000, target: "x.local" } }],
  });
  expect(hubsFromResponse(p, { address: "10.0.0.9" }).found).toEqual([{ name: "bare", url: "http://10.0.0.9:4000", tls: false }]);
});

test("a PTR query is answered with the PTR, and SRV, TXT and A as additionals", () => {
  const reply = answerQuery(wire({ type: "query", questions: [{ name: SERVICE, type: "PTR" }] }), HUB)!;
  expect(reply.answers.map((a) => a.type)).toEqual(["PTR"]);
  expect(reply.additionals.map((a) => a.type).sort()).toEqual(["A", "SRV", "TXT"]);
  // What a browser makes of that reply.
  expect(hubsFromResponse(wire({ type: "response", ...reply }), { address: "192.168.1.20" }).found).toHaveLength(1);
});

test("instance, target and service-type questions; anything else gets no answer", () => {
  const ask = (name: string, type: string) => answerQuery({ type: "query", questions: [{ name, type: type as "A" }] }, HUB);
  expect(ask(`kitchen.${SERVICE}`, "ANY")!.answers.map((a) => a.type).sort()).toEqual(["SRV", "TXT"]);
  expect(ask(`KITCHEN.${SERVICE}`, "TXT")!.answers.map((a) => a.type)).toEqual(["TXT"]);
  expect(ask("gambi-kitchen-pc-3000.local", "A")!.answers).toEqual([{ name: "gambi-kitchen-pc-3000.local", type: "A", ttl: 120, flush: true, data: "192.168.1.20" }]);
  expect(ask(SERVICE_TYPES, "PTR")!.answers).toMatchObject([{ data: SERVICE }]);
  expect(ask("_http._tcp.local", "PTR")).toBeUndefined();
  expect(ask("kitchen-pc.local", "A")).toBeUndefined(); // the machine's own name is not ours to answer for
});

test("instance names: dots become hyphens, at most 63 bytes, never empty", () => {
  expect(instanceLabel("my.host")).toBe("my-host");
  expect(new TextEncoder().encode(instanceLabel("é".repeat(40))).length).toBeLessThanOrEqual(63);
  expect(instanceLabel("  ")).toBe("gambi");
  const { found } = hubsFromResponse(wire(announcement({ ...HUB, name: "a.b c" })), { address: "1.2.3.4" });
  expect(found[0]!.name).toBe("a-b c");
});

test("TXT data: strings or buffers, flags without '=', the first of a repeated key", () => {
  expect(parseTxt([Buffer.from("version=1.2"), "tls=yes", "flag", "VERSION=9", Buffer.from("")])).toEqual({ version: "1.2", tls: "yes", flag: "true" });
  expect(parseTxt("a=b=c")).toEqual({ a: "b=c" });
  expect(parseTxt(undefined)).toEqual({});
});

test("interfaces: the env wins; a loopback hub announces on loopback; one address on its own; IPv6-only is skipped", () => {
  expect(announceInterface("0.0.0.0", { GAMBI_MDNS_INTERFACE: "127.0.0.1" })).toEqual({ interface: "127.0.0.1" });
  expect(announceInterface("127.0.0.1", {})).toEqual({ interface: "127.0.0.1" });
  expect(announceInterface("localhost", {})).toEqual({ interface: "127.0.0.1" });
  expect(announceInterface("0.0.0.0", {})).toEqual({});
  expect(announceInterface("::", {})).toEqual({});
  expect(announceInterface("192.168.1.20", {})).toEqual({ interface: "192.168.1.20" });
  expect(announceInterface("fd00::2", {})).toHaveProperty("skip");
  expect(browseInterface({})).toBeUndefined();
  expect(browseInterface({ GAMBI_MDNS_INTERFACE: " 127.0.0.1 " })).toBe("127.0.0.1");
  expect(heardOn("192.168.1.20", "127.0.0.1")).toBe(false);
  expect(heardOn("127.0.0.1", "127.0.0.1")).toBe(true);
  expect(heardOn("192.168.1.20", undefined)).toBe(true);
});
