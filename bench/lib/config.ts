/** Command-line flags of `bun bench/proxy.ts` and the run sizes they select. */
import { resolve } from "node:path";

export interface Config {
  quick: boolean;
  /** Interleaved rounds; each round runs every scenario direct, through the bare proxy and through the hub. */
  rounds: number;
  /** Streaming requests per side per round at concurrency 1 (TTFT). */
  ttftCount: number;
  /** Non-streaming requests per side per round at concurrency 1. */
  jsonCount: number;
  /** Duration of each time-bounded run (streams at c=64, JSON at c=32), per side per round. */
  runMs: number;
  /** Events per streamed response. */
  events: number;
  /** Requests per side before the rounds (JIT warm-up), per scenario. */
  warmup: number;
  memory: { ownersMax: number; batches: number; batchSize: number; events: number; concurrency: number };
  /** The adapted-store memory phase: `store: true` Responses streams to a chat-only participant; `storeMax` caps the hub's store per room. */
  adaptedMemory: { storeMax: number; batches: number; batchSize: number; events: number; concurrency: number };
  /** Pin processes with taskset (see placeProxies in ../proxy.ts); default when possible. */
  pin: boolean;
  jsonFile?: string;
  /** A module the hub process preloads (`bun --preload`): for what-if experiments, see ../experiments/. */
  hubPreload?: string;
}

const USAGE = `usage: bun bench/proxy.ts [--quick] [--rounds N] [--run-ms MS] [--no-pin] [--json FILE] [--hub-preload FILE]

  --quick        short run (~35 s): 3 short rounds, small memory phases
  --rounds N     interleaved direct/bare/hub rounds (default 5, quick 3)
  --run-ms MS    length of each time-bounded run per side per round (default 1200, quick 300)
  --no-pin       let the OS place the processes (default, when taskset exists and there are
                 2+ CPUs: load generator and upstream on CPU 0; hub and bare proxy on CPU 0
                 for the c=1 runs and on CPU 1 for the loaded runs)
  --json FILE    also write every figure, per round, as JSON
  --hub-preload FILE
                 preload FILE in the hub process (what-if experiments, see bench/experiments/)`;

/** Whether the bench can pin its processes to CPUs (shared by every bench's flags). */
export function canPin(): boolean {
  return navigator.hardwareConcurrency >= 2 && Bun.which("taskset") !== null;
}

/** A flag's positive whole number, or an error that ends with the bench's usage. */
export function positiveInt(flag: string, value: string | undefined, usage = USAGE): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got "${value ?? ""}"\n\n${usage}`);
  return n;
}

export function parseArgs(argv: string[]): Config {
  const quick = argv.includes("--quick");
  const config: Config = quick
    ? {
        quick,
        rounds: 3,
        ttftCount: 50,
        jsonCount: 300,
        runMs: 300,
        events: 256,
        warmup: 50,
        memory: { ownersMax: 500, batches: 2, batchSize: 750, events: 32, concurrency: 32 },
        adaptedMemory: { storeMax: 500, batches: 2, batchSize: 600, events: 32, concurrency: 32 },
        pin: canPin(),
      }
    : {
        quick,
        rounds: 5,
        ttftCount: 150,
        jsonCount: 1000,
        runMs: 1200,
        events: 256,
        warmup: 150,
        memory: { ownersMax: 2000, batches: 4, batchSize: 2500, events: 32, concurrency: 32 },
        adaptedMemory: { storeMax: 500, batches: 4, batchSize: 1500, events: 32, concurrency: 32 },
        pin: canPin(),
      };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") continue;
    else if (a === "--no-pin") config.pin = false;
    else if (a === "--rounds") config.rounds = positiveInt(a, argv[++i]);
    else if (a === "--run-ms") config.runMs = positiveInt(a, argv[++i]);
    else if (a === "--json") {
      config.jsonFile = argv[++i];
      if (!config.jsonFile) throw new Error(`--json needs a file name\n\n${USAGE}`);
    } else if (a === "--hub-preload") {
      const file = argv[++i];
      if (!file) throw new Error(`--hub-preload needs a file name\n\n${USAGE}`);
      config.hubPreload = resolve(file);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}\n\n${USAGE}`);
  }
  return config;
}
