/**
 * Which free participant gets a request, among those that may serve it (scheduler.ts decides
 * who may). In order:
 * 1. the least loaded relative to its capacity (`inFlight / limit`, compared exactly);
 * 2. the fastest for the request's model (speed.ts: the lowest expected time, and any within
 *    `SPEED_TOLERANCE` of it counts as as fast: measurements are noisy, and a near-tie should
 *    leave room for the protocol to decide); one never measured counts as fastest, so it gets
 *    measured;
 * 3. one that speaks the client's protocol natively (no translation);
 * 4. random, from the injected source.
 * Pure and allocation-free: O(n) passes over the list, whatever its length.
 */

export interface Choice {
  inFlight: number;
  limit: number;
  /** speed.ts `score()`: expected ms for a reference answer; undefined = never measured. */
  score: number | undefined;
  native: boolean;
}

export const SPEED_TOLERANCE = 0.1;

/** a.inFlight/a.limit compared with b's, without division. */
function loadCompare(a: Choice, b: Choice): number {
  return a.inFlight * b.limit - b.inFlight * a.limit;
}

function inRace(c: Choice, lightest: Choice, fastEnough: number): boolean {
  return loadCompare(c, lightest) === 0 && (c.score ?? 0) <= fastEnough;
}

export function choose<C extends Choice>(list: readonly C[], random: () => number, tolerance = SPEED_TOLERANCE): C | undefined {
  if (list.length <= 1) return list[0];
  let lightest = list[0]!;
  for (const c of list) if (loadCompare(c, lightest) < 0) lightest = c;

  let fastest = Infinity;
  for (const c of list) if (loadCompare(c, lightest) === 0) fastest = Math.min(fastest, c.score ?? 0);
  const fastEnough = fastest * (1 + tolerance);

  let racers = 0;
  let natives = 0;
  for (const c of list) {
    if (!inRace(c, lightest, fastEnough)) continue;
    racers++;
    if (c.native) natives++;
  }
  const nativeOnly = natives > 0;
  const count = nativeOnly ? natives : racers;
  let k = Math.min(count - 1, Math.floor(random() * count));
  for (const c of list) {
    if (!inRace(c, lightest, fastEnough) || (nativeOnly && !c.native)) continue;
    if (k-- === 0) return c;
  }
  return undefined;
}
