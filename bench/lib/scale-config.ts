/** Command-line flags of `bun bench/scale.ts` and the run sizes they select. */
export { gitRevision } from "./revision.ts";

export interface ScaleConfig {
  quick: boolean;
  rooms: number;
  perRoom: number;
  /** Length of the latency phase (interleaved rounds), in seconds. */
  seconds: number;
  /** Each participant's heartbeat interval (`gambi join` sends one every 10 s). */
  heartbeatMs: number;
  /** The window in which only heartbeats flow, to measure their CPU cost. */
  heartbeatWindowMs: number;
  upstreams: number;
  /** Room creations and joins in flight at once. */
  concurrency: number;
  /** Requests per side per round, and per side before the rounds. */
  roundRequests: number;
  warmup: number;
  pin: boolean;
  jsonFile?: string;
}

const USAGE = `usage: bun bench/scale.ts [--quick] [--rooms N] [--per-room N] [--seconds S] [--heartbeat-ms MS] [--upstreams N] [--no-pin] [--json FILE]

  --quick            a shorter latency phase (15 s) and heartbeat window (3 s); same registrations
  --rooms N          rooms in the large hub (default 1000)
  --per-room N       participants per room (default 5)
  --seconds S        length of the latency phase (default 60, quick 15)
  --heartbeat-ms MS  heartbeat interval per participant (default 10000, as gambi join)
  --upstreams N      fake upstream processes the participants are spread over (default 3)
  --no-pin           let the OS place the processes
  --json FILE        also write every figure as JSON`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got "${value ?? ""}"\n\n${USAGE}`);
  return n;
}

export function parseScaleArgs(argv: string[]): ScaleConfig {
  const quick = argv.includes("--quick");
  const config: ScaleConfig = {
    quick,
    rooms: 1000,
    perRoom: 5,
    seconds: quick ? 15 : 60,
    heartbeatMs: 10_000,
    heartbeatWindowMs: quick ? 3_000 : 10_000,
    upstreams: 3,
    concurrency: 16,
    roundRequests: quick ? 150 : 300,
    warmup: 300,
    pin: navigator.hardwareConcurrency >= 2 && Bun.which("taskset") !== null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") continue;
    else if (a === "--no-pin") config.pin = false;
    else if (a === "--rooms") config.rooms = positiveInt(a, argv[++i]);
    else if (a === "--per-room") config.perRoom = positiveInt(a, argv[++i]);
    else if (a === "--seconds") config.seconds = positiveInt(a, argv[++i]);
    else if (a === "--heartbeat-ms") config.heartbeatMs = positiveInt(a, argv[++i]);
    else if (a === "--upstreams") config.upstreams = positiveInt(a, argv[++i]);
    else if (a === "--json") {
      config.jsonFile = argv[++i];
      if (!config.jsonFile) throw new Error(`--json needs a file name\n\n${USAGE}`);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${a}\n\n${USAGE}`);
  }
  return config;
}
