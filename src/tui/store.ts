/**
 * The TUI's one mutable thing: the app state and who listens to it. Every part of the
 * controller changes the state through `set` (a patch, with the clock moved on), and the
 * view re-draws on each change (`subscribe` is what React's useSyncExternalStore wants).
 */
import type { AppState } from "./state.ts";

export function createStore(initial: AppState) {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(patch: Partial<AppState>) {
      state = { ...state, ...patch, now: Date.now() };
      for (const l of listeners) l();
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type Store = ReturnType<typeof createStore>;

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
