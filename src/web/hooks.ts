/** Small hooks the components share. */
import { useEffect, useState } from "preact/hooks";

/** The current time, updated every `everyMs` (cooldowns count down, charts slide). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Runs `fn` now and every `everyMs` while mounted (and again when `deps` change). */
export function usePoll(fn: () => void | Promise<void>, everyMs: number, deps: unknown[]): void {
  useEffect(() => {
    void fn();
    const t = setInterval(() => void fn(), everyMs);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
