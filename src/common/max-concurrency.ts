/**
 * What a participant's `maxConcurrency` may be (requests it serves at once): a whole number
 * from 1 to 1024. The hub's join schema, `gambi join --max-concurrency`, the TUI's join form
 * and saved profiles all check it against these.
 */
export const MIN_CONCURRENCY = 1;
export const MAX_CONCURRENCY = 1024;

export function isMaxConcurrency(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= MIN_CONCURRENCY && n <= MAX_CONCURRENCY;
}

/** Typed text (a flag, a form field) as a maxConcurrency, or what is wrong with it. */
export function parseMaxConcurrency(typed: string): { value: number } | { problem: string } {
  const text = typed.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !isMaxConcurrency(n)) return { problem: `a whole number from ${MIN_CONCURRENCY} to ${MAX_CONCURRENCY}, got "${typed.slice(0, 32)}"` };
  return { value: n };
}
