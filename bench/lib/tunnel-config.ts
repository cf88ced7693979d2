/** Command-line flags of `bun bench/tunnel.ts` and the run sizes they select. */
import { resolve } from "node:path";
import { canPin, positiveInt as positiveIntOf } from "./config.ts";

export interface TunnelConfig {
  quick: boolean;
  /** Interleaved rounds; each runs every workload through the direct and the tunnelled participant. */
  rounds: number;
  /** Streams per side per round at c=1 (TTFT). */
  ttftCount: number;
  /** Non-streaming requests per side per round at c=1. */
  jsonCount: number;
  /** Length of each time-bounded run (c=64 streams, c=32 JSON, the stall phase's runs), per side per round. */
  runMs: number;
  events: number;
  /** Requests per workload before the rounds (JIT warm-up). */
  warmup: number;
  /** Idle streams held open at once in the memory phase, and how long they are held idle. */
  idle: { streams: number; holdMs: number };
  /** Rounds of the stall phase (a stream alone, then beside a stalled one, order rotated). */
  stallRounds: number;
  /** Pin processes with taskset (see place() in ../tunnel.ts). */
  pin: boolean;
  /** The joiner's CPU under load when pinned: "1" (with the hub, default) or "0" (with the upstream). */
  joinerCpu: "0" | "1";
  jsonFile?: string;
}

const USAGE = `usage: bun bench/tunnel.ts [--quick] [--rounds N] [--run-ms MS] [--idle N] [--joiner-cpu 0|1] [--no-pin] [--json FILE]

  --quick          short run (~40 s): 3 short rounds, a shorter idle hold
  --rounds N       interleaved direct/tunnel rounds, and stall rounds (default 5, quick 3)
  --run-ms MS      length of each time-bounded run per side per round (default 1200, quick 300)
  --idle N         idle streams held open at once through the tunnel (default 1000)
  --joiner-cpu C   where the joiner runs under load when pinned: 1 (with the hub, default) or
                   0 (with the load generator and the upstream)
  --no-pin         let the OS place the processes (default, when taskset exists and there are
                   2+ CPUs: load generator and upstream on CPU 0; hub and joiner on CPU 0 for
                   the c=1 runs and on CPU 1 (the joiner: --joiner-cpu) under load)
  --json FILE      also write every figure, per round, as JSON`;

const positiveInt = (flag: string, value: string | undefined) => positiveIntOf(flag, value, USAGE);

export function parseTunnelArgs(argv: string[]): TunnelConfig {
  const quick = argv.includes("--quick");
  const config: TunnelConfig = quick
    ? { quick, rounds: 3, ttftCount: 50, jsonCount: 300, runMs: 300, events: 256, warmup: 50, idle: { streams: 1000, holdMs: 1500 }, stallRounds: 3, pin: canPin(), joinerCpu: "1" }
    : { quick, rounds: 5, ttftCount: 150, jsonCount: 1000, runMs: 1200, events: 256, warmup: 150, idle: { streams: 1000, holdMs: 6000 }, stallRounds: 5, pin: canPin(), joinerCpu: "1" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") continue;
    else if (a === "--no-pin") config.pin = false;
    else if (a === "--rounds") config.rounds = config.stallRounds = positiveInt(a, argv[++i]);
    else if (a === "--run-ms") config.runMs = positiveInt(a, argv[++i]);
    else if (a === "--idle") config.idle.streams = positiveInt(a, argv[++i]);
    else if (a === "--joiner-cpu") {
      const cpu = argv[++i];
      if (cpu !== "0" && cpu !== "1") throw new Error(`--joiner-cpu takes 0 or 1\n\n${USAGE}`);
      config.joinerCpu = cpu;
    } else if (a === "--json") {
      const file = argv[++i];
      if (!file) throw new Error(`--json needs a file name\n\n${USAGE}`);
      config.jsonFile = resolve(file);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}\n\n${USAGE}`);
  }
  return config;
}
