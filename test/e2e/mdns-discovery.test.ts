/**
 * The announcer and the browser over real sockets, on loopback only: both use interface
 * 127.0.0.1 (IP_MULTICAST_IF and the group joined there), so no packet leaves the machine.
 * Most tests use a throwaway UDP port instead of 5353, so nothing else on this machine that
 * speaks mDNS is heard or disturbed; one runs on 5353 itself, as `gambi hub --mdns` does.
 */
import { afterEach, expect, test } from "bun:test";
import dgram from "node:dgram";
import packet from "dns-packet";
import { createConsola } from "consola";
import { announceHub, type Announcer } from "../../src/discovery/announce.ts";
import { browseHubs } from "../../src/discovery/browse.ts";
import { SERVICE, type HubAnnouncement } from "../../src/discovery/records.ts";

const LO = "127.0.0.1";
const announcers: Announcer[] = [];
afterEach(async () => {
  await Promise.all(announcers.splice(0).map((a) => a.stop()));
});

/** A logger whose warnings the test can read. */
function capture() {
  const lines: string[] = [];
  const logger = createConsola({ level: 5, reporters: [{ log: (o) => void lines.push(`${o.type}: ${o.args.join(" ")}`) }] });
  return { logger, lines };
}

/** A UDP port nothing is bound to right now. */
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, LO, () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const hub = (over: Partial<HubAnnouncement> = {}): HubAnnouncement => ({ name: `test-${process.pid}`, port: 3000, version: "9.9.9", tls: false, host: "test", addresses: [LO], ...over });

function announce(h: HubAnnouncement, mdnsPort?: number) {
  const { logger, lines } = capture();
  const a = announceHub({ hub: h, interface: LO, logger, mdnsPort });
  announcers.push(a);
  return { a, lines };
}

test("an announcer on loopback is found by the browser, with its name, URL, version and TLS", async () => {
  const mdnsPort = await freeUdpPort();
  const { lines } = announce(hub({ port: 4101 }), mdnsPort);
  const started = performance.now();
  const { hubs, problem } = await browseHubs({ interface: LO, mdnsPort, windowMs: 800 });
  expect(performance.now() - started).toBeLessThan(2000);
  expect(problem).toBeUndefined();
  expect(hubs).toEqual([{ name: `test-${process.pid}`, url: "http://127.0.0.1:4101", version: "9.9.9", tls: false }]);
  expect(lines.filter((l) => l.startsWith("warn"))).toEqual([]);
});

test("two hubs of the same name on one machine are both found (one entry per URL); a TLS hub is https", async () => {
  const mdnsPort = await freeUdpPort();
  announce(hub({ port: 4102 }), mdnsPort);
  announce(hub({ port: 4103, tls: true }), mdnsPort);
  const { hubs } = await browseHubs({ interface: LO, mdnsPort, windowMs: 800 });
  expect(hubs.map((h) => h.url)).toEqual(["http://127.0.0.1:4102", "https://127.0.0.1:4103"]);
});

test("stop() says goodbye: a browser that heard the hub drops it; a later one does not find it", async () => {
  const mdnsPort = await freeUdpPort();
  const { a } = announce(hub({ port: 4104 }), mdnsPort);
  expect((await browseHubs({ interface: LO, mdnsPort, windowMs: 500 })).hubs).toHaveLength(1);
  // This browser hears the hub answer its first query (milliseconds on loopback), then the goodbye.
  const browsing = browseHubs({ interface: LO, mdnsPort, windowMs: 1500 });
  await Bun.sleep(600);
  await a.stop();
  expect((await browsing).hubs).toEqual([]);
  expect((await browseHubs({ interface: LO, mdnsPort, windowMs: 500 })).hubs).toEqual([]);
});

test("a one-shot query from another port gets its answer by unicast (RFC 6762 §6.7)", async () => {
  const mdnsPort = await freeUdpPort();
  announce(hub({ port: 4105 }), mdnsPort);
  await Bun.sleep(100); // the announcer's socket is bound
  const s = dgram.createSocket("udp4");
  const answers: packet.DecodedPacket[] = [];
  s.on("message", (m) => answers.push(packet.decode(m)));
  await new Promise<void>((r) => s.bind(0, LO, () => r()));
  s.setMulticastInterface(LO);
  const query = packet.encode({ type: "query", id: 4242, questions: [{ name: SERVICE, type: "PTR" }] });
  const deadline = performance.now() + 3000;
  while (answers.length === 0 && performance.now() < deadline) {
    s.send(query, mdnsPort, "224.0.0.251");
    await Bun.sleep(100);
  }
  s.close();
  expect(answers[0]).toMatchObject({ type: "response", id: 4242, answers: [{ type: "PTR", data: `test-${process.pid}.${SERVICE}` }] });
});

test("a port the announcer cannot bind is a warning, never a crash; the browser reports it as a problem", async () => {
  const blocker = dgram.createSocket({ type: "udp4", reuseAddr: false });
  await new Promise<void>((r) => blocker.bind(0, "0.0.0.0", () => r()));
  const mdnsPort = blocker.address().port;
  try {
    const { a, lines } = announce(hub({ port: 4106 }), mdnsPort);
    const deadline = performance.now() + 3000;
    while (!lines.some((l) => l.startsWith("warn")) && performance.now() < deadline) await Bun.sleep(10);
    expect(lines.find((l) => l.startsWith("warn"))).toContain(`cannot use mDNS port ${mdnsPort}`);
    await a.stop(); // still fine to call
    const browsed = await browseHubs({ interface: LO, mdnsPort, windowMs: 500 });
    expect(browsed.hubs).toEqual([]);
    expect(browsed.problem).toContain(`cannot use mDNS port ${mdnsPort}`);
  } finally {
    blocker.close();
  }
});

test("on the real mDNS port 5353 (loopback): found, then gone after the goodbye", async () => {
  const name = `test-5353-${process.pid}`;
  const { a } = announce(hub({ name, port: 4107 }));
  const mine = async () => (await browseHubs({ interface: LO, windowMs: 600 })).hubs.filter((h) => h.name === name);
  expect(await mine()).toEqual([{ name, url: "http://127.0.0.1:4107", version: "9.9.9", tls: false }]);
  await a.stop();
  expect(await mine()).toEqual([]);
});
