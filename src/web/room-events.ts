/**
 * Follows `GET /rooms/:code/events` (the room password as the bearer, hence fetch and not
 * EventSource) and reconnects by itself when the stream ends or breaks: at once the first
 * time, then after 1, 2, 4… up to 10 s, back to at once after a stream that opened. Stops for
 * good on 401 (the page asks for the password again), 404 (no such room) and `room.deleted`.
 */
import { readSse } from "./sse.ts";
import type { HubEvent } from "./types.ts";

export type FollowStatus = "connecting" | "live" | "reconnecting" | "unauthorized" | "gone";

export interface FollowHandlers {
  event(e: HubEvent): void;
  status(s: FollowStatus): void;
}

const MAX_WAIT_MS = 10_000;

export function followRoom(code: string, bearer: string | undefined, on: FollowHandlers): () => void {
  const stop = new AbortController();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const run = async () => {
    let wait = 0;
    on.status("connecting");
    while (!stop.signal.aborted) {
      try {
        const res = await fetch(`/rooms/${encodeURIComponent(code)}/events`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, signal: stop.signal });
        if (res.status === 401) return on.status("unauthorized");
        if (res.status === 404) return on.status("gone");
        if (res.ok && res.body) {
          on.status("live");
          wait = 0;
          for await (const sse of readSse(res.body)) {
            const event = JSON.parse(sse.data) as HubEvent;
            on.event(event);
            if (event.type === "room.deleted") return on.status("gone");
          }
        }
      } catch {
        if (stop.signal.aborted) return;
      }
      on.status("reconnecting");
      await sleep(wait);
      wait = Math.min(MAX_WAIT_MS, wait === 0 ? 1000 : wait * 2);
    }
  };
  void run();
  return () => stop.abort();
}
