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
 * `draining` is a plain AbortController (the event streams listen to it). `cutoff` is a Set of
 * callbacks each request registers and removes at its end (proxy/types.ts `Cutoff`): cheaper
 * than an AbortSignal's listener list on the path of every request, and no AbortSignal.any
 * (leaks in Bun 1.4.5, see src/proxy/upstream.ts).
 */
import { GambiError } from "../protocol/openai/errors.ts";
import type { Cutoff } from "../proxy/types.ts";

/** The cutoff: a Set of callbacks, each request's added at its start and removed at its end. */
class CutoffHook implements Cutoff {
  private readonly callbacks = new Set<() => void>();
  private fired = false;

  get aborted(): boolean {
    return this.fired;
  }

  onCut(fn: () => void): () => void {
    if (this.fired) {
      fn();
      return () => {};
    }
    this.callbacks.add(fn);
    return () => this.callbacks.delete(fn);
  }

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    const callbacks = [...this.callbacks];
    this.callbacks.clear();
    for (const fn of callbacks) fn();
  }
}

export class HubShutdown {
  private readonly drainController = new AbortController();
  /** Comes when in-flight requests must end now. */
  readonly cutoff = new CutoffHook();
  /** Aborted when the hub stops accepting requests. */
  get draining(): AbortSignal {
    return this.drainController.signal;
  }

  drain(): void {
    this.drainController.abort();
  }

  cut(): void {
    this.drainController.abort();
    this.cutoff.fire();
  }
}

/** What a request arriving while the hub drains gets. */
export function shuttingDown(): Response {
  return new GambiError(503, "the hub is shutting down; try again in a moment", { code: "hub_shutting_down" }).toResponse({ connection: "close", "retry-after": "5" });
}
