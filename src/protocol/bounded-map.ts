/**
 * A Map with a size cap and a time-to-live, for anything the hub remembers per response.
 * Oldest entries go first (Map keeps insertion order; `set` re-inserts), so memory stays
 * bounded no matter how many responses pass through.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Live values, most recently set first. */
  *valuesNewestFirst(): Generator<V> {
    const t = this.now();
    const all = [...this.entries.values()];
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.expires > t) yield all[i]!.value;
  }

  /** Drops expired entries; cheap to call from a periodic sweep. */
  prune(): void {
    const t = this.now();
    // Every entry has the same TTL and `set` re-inserts, so entries are ordered by expiry.
    for (const [k, e] of this.entries) {
      if (e.expires > t) break;
      this.entries.delete(k);
    }
  }
}
