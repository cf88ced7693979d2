/**
 * Two stream mappers one after the other, for the direction that goes through the chat shape
 * (messages-via-responses): what the first emits, the second reads.
 * A failure (`fail`) goes to the first, which ends its stream with its error events, and the
 * second turns those into its own; when the first has nothing to say (its stream already
 * ended), the second is told directly.
 */
import type { SseEvent } from "../sse/decode.ts";
import type { StreamFailure, StreamMapper } from "./types.ts";

export function chained<M extends StreamMapper>(first: StreamMapper, second: M): StreamMapper & Omit<M, keyof StreamMapper> {
  const through = (events: SseEvent[]): SseEvent[] => {
    if (events.length === 0) return events;
    const out: SseEvent[] = [];
    for (const ev of events) for (const o of second.push(ev)) out.push(o);
    return out;
  };
  return {
    ...second,
    push: (ev: SseEvent) => through(first.push(ev)),
    end: () => {
      const out = through(first.end());
      for (const o of second.end()) out.push(o);
      return out;
    },
    fail: (error: StreamFailure) => {
      const out = through(first.fail(error));
      return out.length > 0 ? out : second.fail(error);
    },
  };
}
