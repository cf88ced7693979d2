/**
 * A tunnelled participant's way to fetch: the `Fetch` its `UpstreamTarget` carries
 * (upstream.ts), the same function for the participant's whole life, sending each call over
 * whichever socket (session.ts) is its tunnel now. With none, a call fails at once as a network
 * error would (the hub may then try another participant). The URL it is given starts with the
 * target's base (`tunnel://<participant id>`); what follows is the path on the joiner's endpoint.
 */
import type { Fetch } from "../upstream.ts";
import type { TunnelSession } from "./session.ts";

export class TunnelLink {
  private current: TunnelSession | undefined;

  constructor(readonly base: string) {}

  readonly fetch: Fetch = (url, init) => {
    const session = this.current;
    if (!session || session.closed) return Promise.reject(new Error("its tunnel is not connected"));
    return session.request(url.startsWith(this.base) ? url.slice(this.base.length) : url, init);
  };

  get session(): TunnelSession | undefined {
    return this.current;
  }

  get connected(): boolean {
    return this.current !== undefined && !this.current.closed;
  }

  /** Makes `session` the tunnel; returns the one it replaces (still open: the caller closes it). */
  attach(session: TunnelSession): TunnelSession | undefined {
    const previous = this.current;
    this.current = session;
    return previous !== session ? previous : undefined;
  }

  /** `session` closed: true when it was the tunnel (the participant has none now). */
  detach(session: TunnelSession): boolean {
    if (this.current !== session) return false;
    this.current = undefined;
    return true;
  }

  /** Closes the tunnel, if any (the participant left, the room went, the hub stops). */
  close(code: number, reason: string): void {
    const session = this.current;
    this.current = undefined;
    session?.close(code, reason);
  }
}
