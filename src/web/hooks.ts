/** Small hooks the components share. */
import { useEffect, useRef, useState } from "preact/hooks";

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

/**
 * An element's content width in CSS pixels (`first` until measured), kept current as it
 * resizes: a phone turned, a window narrowed. Pass the ref to the element.
 */
export function useWidth<T extends Element>(first: number): [{ current: T | null }, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(first);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.round(entry!.contentRect.width);
      if (w > 0) setWidth(w);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}
