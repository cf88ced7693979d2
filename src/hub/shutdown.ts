/**
 * A hub's way out (SIGTERM, Ctrl-C): two hub-wide signals, one instance per hub.
 *
 * - `draining` aborts when the hub stops accepting: Bun's `server.stop(false)` refuses new
 *   connections and closes idle keep-alive ones; a request that still slips in on a busy
 *   connection gets a 503 `hub_shutting_down`; the rooms' event streams end at once (they
 *   never finish by themselves, and joiners re-subscribe when the hub is back).
 * - `cutoff` aborts when the grace period is over: every relay still running aborts its upstream
 *   request and ends the client's stream with its protocol's error event (code
 *   `hub_shutting_down`, see src/proxy/forward.ts), or answers 503 if nothing was sent yet.
 *
 * Plain AbortControllers with listeners that each request removes when it ends, not
 * AbortSignal.any (leaks in Bun 1.4.5, see src/proxy/upstream.ts).
 */
import { GambiError } from "../protocol/openai/errors.ts";

export class HubShutdown {
  private readonly drainController = new AbortController();
  private readonly cutoffController = new AbortController();

  /** Aborted when the hub stops accepting requests. */
  get draining(): AbortSignal {
    return this.drainController.signal;
  }

  /** Aborted when in-flight requests must end now. */
  get cutoff(): AbortSignal {
    return this.cutoffController.signal;
  }

  drain(): void {
    this.drainController.abort();
  }

  cut(): void {
    this.drainController.abort();
    this.cutoffController.abort();
  }
}

/** What a request arriving while the hub drains gets. */
export function shuttingDown(): Response {
  return new GambiError(503, "the hub is shutting down; try again in a moment", { code: "hub_shutting_down" }).toResponse({ connection: "close", "retry-after": "5" });
}
