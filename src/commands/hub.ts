/**
 * `gambi hub`: run the hub in the foreground until Ctrl-C (or SIGTERM).
 *
 * Output: one "listening on HOST:PORT" line (the real port, also with `--port 0`), then the
 * URLs other machines can use, the inference base URL and how to create a room. `--quiet`
 * keeps only the listening line and warnings/errors: the hub's info lines (rooms created,
 * participants joining) are turned off; per-request lines are debug-level anyway.
 *
 * Timeouts are in seconds (fractions allowed, 0 turns one off) and default for slow local
 * models: see src/proxy/timeouts.ts for what each one measures.
 *
 * Rooms are kept in `--data-dir` (default `$XDG_DATA_HOME/gambi`, see hub/persist/) so a
 * restart loses none; `--ephemeral` keeps them in memory only. A data directory it cannot use
 * (damaged database, another hub on it, not writable) is an error naming the file, exit 1,
 * with nothing changed.
 *
 * `--tls-cert FILE --tls-key FILE` serve HTTPS. Without them on an address other machines can
 * reach, the hub warns: passwords, the hub token and participants' keys would cross the
 * network in clear text (and the hub warns again for each participant that joins that way
 * with auth headers, see hub/rooms/join.ts).
 *
 * A room pools its participants (hub/pool/): `--queue-size` requests may wait for a free one
 * (0: a busy room answers 429 at once), each at most `--queue-timeout` seconds (0: until its
 * client leaves), and a request that fails before its first byte is tried on up to
 * `--max-attempts` participants (1: no failover).
 *
 * `--mdns` announces the hub on the local network (mDNS, `_gambi._tcp`: its name, version, port
 * and whether it is HTTPS, nothing else; see discovery/) so `gambi list`, `join`, `chat` and
 * `tui` find it with no `--hub`. A hub on loopback announces on loopback only. If mDNS cannot
 * be used (port 5353 taken, no permission) the hub warns and runs unannounced. On shutdown
 * the announcement is withdrawn (a goodbye) before the requests drain.
 *
 * `GET /metrics` (Prometheus) is open on a hub without a token; with `--token` it needs that
 * token, and `--metrics-token` (or `$GAMBI_METRICS_TOKEN`) gives scrapers one of their own that
 * opens nothing else. `--metrics-max-rooms` rooms get a `room` label of their own (the first
 * seen; 0: none), the rest are `other`, so a hub of many rooms keeps its series bounded.
 *
 * Bun lets a process have 256 fetches in flight unless `BUN_CONFIG_MAX_HTTP_REQUESTS` says
 * otherwise at start-up: a hub started without it restarts itself at once with 4,096
 * (_fetch-limit.ts), so that requests to direct participants wait in the rooms' queues, not
 * inside Bun.
 *
 * SIGTERM or Ctrl-C stops it gracefully (hub/shutdown.ts): no new connections, requests in
 * flight get `--shutdown-grace` seconds to finish, the ones still running then end with their
 * protocol's error event; exit 0. A second signal exits at once (130).
 */
import { defineCommand } from "citty";
import { LogLevels } from "consola";
import { readFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { guard, hubToken, listenArgs, parsePort } from "./_args.ts";
import { raiseFetchLimit } from "./_fetch-limit.ts";
import { announceHub, type Announcer } from "../discovery/announce.ts";
import { announceInterface } from "../discovery/interface.ts";
import { startHub, type RunningHub } from "../hub/index.ts";
import { defaultDataDir } from "../hub/persist/data-dir.ts";
import { PersistError } from "../hub/persist/room-store.ts";
import { log } from "../logger.ts";
import { DEFAULT_TIMEOUTS } from "../proxy/timeouts.ts";
import { DEFAULT_QUEUE_SIZE, DEFAULT_QUEUE_TIMEOUT_MS } from "../hub/pool/scheduler.ts";
import { DEFAULT_MAX_ATTEMPTS } from "../hub/context.ts";
import { DEFAULT_METRICS_LIMITS } from "../hub/metrics/hub-metrics.ts";
import { EXIT, UsageError } from "../terminal/errors.ts";
import { VERSION } from "../version.ts";

/** Each non-internal IPv4 address of this machine: what people on the network can reach. */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);
}

function parseWhole(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}

/** Seconds, as a flag gives them → ms. */
function parseSeconds(value: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag} must be a number of seconds (0 turns it off), got "${value}"`);
  return Math.round(Number(value) * 1000);
}

/** Days, as --room-ttl gives them → ms (0: rooms are kept forever). */
/** Days → ms; a positive value stays positive (however small: 0 would keep rooms forever, the opposite of what was asked). */
export function parseDays(value: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag} must be a number of days (0 keeps rooms forever), got "${value}"`);
  const days = Number(value);
  return days > 0 ? Math.max(1, Math.round(days * 24 * 60 * 60 * 1000)) : 0;
}

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::";
const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");
const hostPort = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`;

function printUrls(host: string, port: number, opts: { tokenRequired: boolean; tls: boolean }): void {
  const scheme = opts.tls ? "https" : "http";
  const lan = isWildcard(host) ? lanAddresses() : [];
  if (isWildcard(host)) {
    for (const a of lan) log.info(`  on the network:  ${scheme}://${hostPort(a, port)}`);
    if (lan.length === 0) log.warn("no network address found: only this machine can reach the hub");
    log.info(`  on this machine: ${scheme}://${hostPort("127.0.0.1", port)}`);
  } else {
    log.info(`  url:             ${scheme}://${hostPort(host, port)}`);
    if (isLoopback(host)) log.info("  (loopback only: use --host 0.0.0.0 to let other machines in)");
  }
  const base = `${scheme}://${hostPort(lan[0] ?? (isWildcard(host) ? "127.0.0.1" : host), port)}`;
  log.info(`inference base URL: ${base}/rooms/<CODE>/v1`);
  log.info(`create a room:      gambi create --hub ${base} --name "my room"${opts.tokenRequired ? " --token <the hub token>" : ""}`);
  if (opts.tls) log.info("  (a self-signed certificate: clients add --ca <a copy of the certificate file>)");
  log.info("Ctrl-C stops the hub");
}

/** IPv4 addresses of the interface mDNS announces on (every non-internal one for all interfaces). */
function announcedAddresses(iface: string | undefined): string[] {
  if (iface) return [iface];
  const lan = lanAddresses();
  return lan.length > 0 ? lan : ["127.0.0.1"];
}

/** `--mdns`: announce the hub where it listens; undefined when it cannot be (said why). */
function startAnnouncing(opts: { host: string; port: number; tls: boolean; name: string | undefined; logger: typeof log }): Announcer | undefined {
  const where = announceInterface(opts.host, process.env);
  if ("skip" in where) {
    opts.logger.warn(`--mdns: not announced: ${where.skip}`);
    return undefined;
  }
  const name = opts.name?.trim() || hostname();
  const announcer = announceHub({
    hub: { name, port: opts.port, version: VERSION, tls: opts.tls, host: hostname(), addresses: announcedAddresses(where.interface) },
    interface: where.interface,
    logger: opts.logger,
  });
  opts.logger.info(`announced as "${name}" on the local network (mDNS _gambi._tcp${where.interface ? ` on ${where.interface}` : ""}): gambi list, join, chat and tui find it with no --hub`);
  return announcer;
}

/** --tls-cert and --tls-key, read now so a wrong path is a usage error naming it. */
function readTls(certPath: string | undefined, keyPath: string | undefined): { cert: string; key: string } | undefined {
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) throw new UsageError("--tls-cert and --tls-key go together: the certificate (chain) and its private key, both PEM files");
  const read = (path: string, flag: string, marker: RegExp) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new UsageError(`${flag} ${path}: ${(err as Error).message}`);
    }
    if (!marker.test(text)) throw new UsageError(`${flag} ${path} is not a PEM file (no "-----BEGIN ...-----" line)`);
    return text;
  };
  return { cert: read(certPath, "--tls-cert", /-----BEGIN CERTIFICATE-----/), key: read(keyPath, "--tls-key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/) };
}

export default defineCommand({
  meta: { name: "hub", description: "Start a gambi hub (rooms, participants and the OpenAI-compatible proxy)" },
  args: {
    ...listenArgs,
    quiet: { type: "boolean", description: "Print only the listening line, warnings and errors", default: false },
    "store-size": { type: "string", description: "Responses the hub keeps per room for chat-only participants (previous_response_id)", default: "1000" },
    "store-ttl": { type: "string", description: "Minutes the hub keeps such a response", default: "360" },
    "connect-timeout": { type: "string", description: "Seconds a participant's host has to accept a connection", default: String(DEFAULT_TIMEOUTS.connectMs / 1000) },
    "first-byte-timeout": {
      type: "string",
      description: "Seconds a participant has to start answering (a big local model may load first)",
      default: String(DEFAULT_TIMEOUTS.firstByteMs / 1000),
    },
    "idle-timeout": { type: "string", description: "Seconds a participant's answer may go silent mid-stream", default: String(DEFAULT_TIMEOUTS.idleMs / 1000) },
    token: { type: "string", description: "Require this token (Authorization: Bearer) to create and list rooms (default: $GAMBI_HUB_TOKEN)" },
    "metrics-token": { type: "string", description: "A token for GET /metrics only, for scrapers (the hub token works too; default: $GAMBI_METRICS_TOKEN)" },
    "metrics-max-rooms": {
      type: "string",
      description: "Rooms with a room label of their own in /metrics, the first seen (0: none); the rest are labelled other",
      default: String(DEFAULT_METRICS_LIMITS.roomCap),
    },
    "data-dir": { type: "string", description: "Directory the rooms are kept in across restarts (default: $XDG_DATA_HOME/gambi, else ~/.local/share/gambi)" },
    ephemeral: { type: "boolean", description: "Keep rooms in memory only: a restart forgets them", default: false },
    "room-ttl": { type: "string", description: "Days a room with no participant and no request is kept (0: forever)", default: "7" },
    "shutdown-grace": { type: "string", description: "Seconds requests in flight get to finish after SIGTERM or Ctrl-C", default: "10" },
    "queue-size": { type: "string", description: "Requests a room holds while its participants are busy (0: answer 429 at once)", default: String(DEFAULT_QUEUE_SIZE) },
    "queue-timeout": { type: "string", description: "Seconds a request may wait for a free participant (0: until its client leaves)", default: String(DEFAULT_QUEUE_TIMEOUT_MS / 1000) },
    "max-attempts": { type: "string", description: "Participants a request is tried on when one fails before answering (1: no failover)", default: String(DEFAULT_MAX_ATTEMPTS) },
    "tls-cert": { type: "string", description: "Serve HTTPS with this certificate (PEM; the chain, leaf first)" },
    "tls-key": { type: "string", description: "The certificate's private key (PEM)" },
    mdns: { type: "boolean", description: "Announce the hub on the local network (mDNS) so clients find it without --hub", default: false },
    "mdns-name": { type: "string", description: "The name it is announced under (default: this machine's host name)" },
  },
  run: ({ args }) =>
    guard(async () => {
      // First thing, before anything is printed: Bun's fetch limit is set at start-up only.
      raiseFetchLimit();
      const port = parsePort(args.port);
      const responseStore = { maxPerRoom: parseWhole(args["store-size"], "--store-size", 0), ttlMs: parseWhole(args["store-ttl"], "--store-ttl", 1) * 60_000 };
      const timeouts = {
        connectMs: parseSeconds(args["connect-timeout"], "--connect-timeout"),
        firstByteMs: parseSeconds(args["first-byte-timeout"], "--first-byte-timeout"),
        idleMs: parseSeconds(args["idle-timeout"], "--idle-timeout"),
      };
      const graceMs = parseSeconds(args["shutdown-grace"], "--shutdown-grace");
      const roomTtlMs = parseDays(args["room-ttl"], "--room-ttl");
      const queueSize = parseWhole(args["queue-size"], "--queue-size", 0);
      const queueTimeoutMs = parseSeconds(args["queue-timeout"], "--queue-timeout");
      const maxAttempts = parseWhole(args["max-attempts"], "--max-attempts", 1);
      const metricsLimits = { roomCap: parseWhole(args["metrics-max-rooms"], "--metrics-max-rooms", 0) };
      const tls = readTls(args["tls-cert"], args["tls-key"]);
      if (args.ephemeral && args["data-dir"]) throw new UsageError("--ephemeral keeps nothing on disk: leave out --data-dir (or --ephemeral)");
      const dataDir = args.ephemeral ? undefined : args["data-dir"] || defaultDataDir();
      // --quiet: the hub's own info lines (room created, joined) go too, not just the banner.
      const logger = args.quiet ? log.create({ level: Math.min(log.level, LogLevels.warn) }) : log;
      const metricsToken = args["metrics-token"] || process.env.GAMBI_METRICS_TOKEN || undefined;
      let running: RunningHub;
      try {
        running = startHub({ port, host: args.host, token: hubToken(args.token), tls, deps: { logger, responseStore, timeouts, dataDir, roomTtlMs, queueSize, queueTimeoutMs, maxAttempts, metricsToken, metricsLimits } });
      } catch (err) {
        if (err instanceof PersistError) {
          log.error(err.message);
          process.exitCode = EXIT.unexpected;
          return;
        }
        // BoringSSL's codes: a key that does not match the certificate, a file that is not PEM.
        if (tls && String((err as { code?: unknown }).code ?? "").startsWith("ERR_OSSL")) {
          log.error(`--tls-cert ${args["tls-cert"]} / --tls-key ${args["tls-key"]} cannot be used: ${(err as Error).message}`);
          process.exitCode = EXIT.usage;
          return;
        }
        log.error(`could not listen on ${hostPort(args.host, port)}: ${(err as Error).message}`);
        process.exitCode = EXIT.unreachable;
        return;
      }
      log.success(`gambi hub ${VERSION} listening on ${hostPort(args.host, running.port)}${tls ? " (HTTPS)" : ""}`);
      if (!tls && !isLoopback(args.host)) {
        log.warn(
          `serving plain HTTP on ${args.host}: room passwords, the hub token and participants' API keys cross the network unencrypted; ` +
            "use --tls-cert FILE --tls-key FILE (or an HTTPS reverse proxy)",
        );
      }
      const { roomStore, registry } = running.hub.ctx;
      if (roomStore.file) logger.info(`rooms are kept in ${roomStore.file} (${registry.size} restored)`);
      else logger.info("--ephemeral: rooms are kept in memory only; a restart forgets them");
      if (!args.quiet) printUrls(args.host, running.port, { tokenRequired: hubToken(args.token) !== undefined, tls: tls !== undefined });
      if (args["mdns-name"] !== undefined && !args.mdns) log.warn("--mdns-name does nothing without --mdns");
      const announcer = args.mdns ? startAnnouncing({ host: args.host, port: running.port, tls: tls !== undefined, name: args["mdns-name"], logger }) : undefined;
      let stopping = false;
      const stop = async () => {
        // A second Ctrl-C while requests drain exits at once.
        if (stopping) process.exit(130);
        stopping = true;
        logger.info(`stopping hub: no new connections; requests in flight get ${graceMs / 1000} s to finish (again to quit now)`);
        // Withdrawn first: nobody should find a hub that is going away.
        await announcer?.stop();
        const { cut } = await running.shutdown(graceMs);
        if (cut > 0) logger.warn(`${cut} request${cut === 1 ? "" : "s"} still running after ${graceMs / 1000} s: ended with an error event`);
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }),
});
