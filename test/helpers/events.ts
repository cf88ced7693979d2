/** Reads a hub's /events SSE stream with the project's own decoder, event by event. */
import { SseDecoder } from "../../src/protocol/sse/decode.ts";

export interface ParsedEvent {
  type: string;
  roomCode: string;
  timestamp: number;
  data: any;
}

export function readEvents(url: string, headers?: Record<string, string>) {
  const abort = new AbortController();
  const queue: ParsedEvent[] = [];
  let waiter: (() => void) | undefined;
  let failure: unknown;
  const done = (async () => {
    const res = await fetch(url, { signal: abort.signal, headers });
    const reader = res.body!.getReader();
    const decoder = new SseDecoder();
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const ev of decoder.push(value)) {
        queue.push(JSON.parse(ev.data));
        waiter?.();
      }
    }
  })().catch((err) => {
    if (!abort.signal.aborted) failure = err;
    waiter?.();
  });
  return {
    all: queue,
    /** The next event of this type (earlier events of other types are skipped); fails after 2 s. */
    async next(type: string, timeoutMs = 2000): Promise<ParsedEvent> {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const i = queue.findIndex((e) => e.type === type);
        if (i !== -1) return queue.splice(0, i + 1).at(-1)!;
        if (failure) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms; saw ${queue.map((e) => e.type).join(", ")}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, left);
        });
      }
    },
    /** Resolves when the hub ends the stream; fails after `timeoutMs` if it is still open. */
    async ended(timeoutMs = 2000): Promise<void> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"open">((resolve) => (timer = setTimeout(() => resolve("open"), timeoutMs)));
      const outcome = await Promise.race([done.then(() => "ended" as const), late]);
      clearTimeout(timer);
      if (outcome === "open") throw new Error(`the event stream was still open after ${timeoutMs} ms`);
    },
    close() {
      abort.abort();
      return done;
    },
  };
}
