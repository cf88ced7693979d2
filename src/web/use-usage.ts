/**
 * The room's usage ledger (`GET /rooms/:code/usage`), fetched now, every 10 s and shortly
 * after each request the room's events report. A hub without the ledger answers 404: the page
 * says "usage not available" and stops asking.
 */
import { useEffect, useState } from "preact/hooks";
import { call, ApiError } from "./api.ts";
import type { Usage } from "./types.ts";

export interface UsageState {
  data?: Usage;
  unavailable: boolean;
  error?: string;
}

export function useUsage(code: string, password: string | undefined, requests: number): UsageState {
  const [state, setState] = useState<UsageState>({ unavailable: false });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (state.unavailable) return;
    let live = true;
    const t = setTimeout(async () => {
      try {
        const data = await call<Usage>(`/rooms/${encodeURIComponent(code)}/usage`, { bearer: password });
        if (live) setState({ data, unavailable: false });
      } catch (err) {
        if (!live) return;
        if (err instanceof ApiError && err.status === 404) setState({ unavailable: true });
        else setState((s) => ({ ...s, error: (err as Error).message }));
      }
    }, requests === 0 ? 0 : 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [code, password, requests, tick, state.unavailable]);
  return state;
}
