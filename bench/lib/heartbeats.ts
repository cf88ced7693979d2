/**
 * Participants' heartbeats, as `gambi join` sends them: `POST /rooms/:code/health {id}` every
 * `intervalMs` per participant, spread evenly over the interval (thousands of joiners do not
 * beat in step). Sent from the load generator; their latency and failures are counted.
 */
import { percentile } from "./stats.ts";

export interface Beating {
  code: string;
  id: string;
}

export interface HeartbeatStats {
  sent: number;
  failed: number;
  /** Failures by kind: `HTTP 404`, a network error's code, ... */
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

const TICK_MS = 10;

export function startHeartbeats(hubUrl: string, who: Beating[], intervalMs: number) {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let sent = 0;
  let failed = 0;
  let next = 0;
  let owed = 0;
  const pending = new Set<Promise<void>>();
  const beat = (p: Beating) => {
    const t0 = performance.now();
    const done = fetch(`${hubUrl}/rooms/${p.code}/health`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: p.id }) })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 200) throw Object.assign(new Error(), { code: `HTTP ${res.status}` });
        latencies.push(performance.now() - t0);
      })
      .catch((err: { code?: string }) => {
        failed++;
        const kind = err.code ?? "error";
        failures[kind] = (failures[kind] ?? 0) + 1;
      })
      .finally(() => pending.delete(done));
    pending.add(done);
    sent++;
  };
  // Each tick owes its share of the interval's heartbeats; fractions carry over.
  const timer = setInterval(() => {
    owed += (who.length * TICK_MS) / intervalMs;
    for (; owed >= 1; owed--) beat(who[next++ % who.length]!);
  }, TICK_MS);
  return {
    get sent() {
      return sent;
    },
    /** Stops sending and waits for those in flight. */
    async stop(): Promise<HeartbeatStats> {
      clearInterval(timer);
      await Promise.all(pending);
      return { sent, failed, failures, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    },
  };
}
