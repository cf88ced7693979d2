/**
 * One level of a tree of Maps: the value under `key`, made the first time. A lookup by several
 * keys as a chain of these costs a few Map lookups of strings the caller already holds (their
 * hashes cached by the engine), where one Map keyed by the keys joined into a new string costs
 * that string's allocation and hashing on every call: what the per-request counters of the
 * hub's metrics and ledger pay once per request.
 */
export function branch<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/** `branch` for a level whose values are Maps themselves. */
export function subMap<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = new Map<K2, V>()));
  return value;
}
