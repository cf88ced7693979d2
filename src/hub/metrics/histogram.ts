/**
 * A Prometheus histogram's data, hand-written (bench/experiments/metrics-cost.ts says why not
 * prom-client): fixed upper bounds, a count per bucket (not cumulative: `observe` touches one
 * slot), the sum and the count. Cumulated only when rendered (exposition.ts).
 */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** Seconds: from a millisecond up to the hub's default first-byte deadline (300 s). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds the hub spends on a request itself: microseconds to a few milliseconds. */
export const OVERHEAD_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
