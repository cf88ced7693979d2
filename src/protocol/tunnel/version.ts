/**
 * Whether two tunnel peers can talk: the same major version of the wire format (frames.ts).
 * A minor version only adds what the other side may ignore, so any minor of the same major
 * goes. Each side says so in its own words; both name both versions and what to do.
 */
import { TUNNEL_MAJOR, TUNNEL_MINOR } from "./frames.ts";

export const TUNNEL_VERSION = `${TUNNEL_MAJOR}.${TUNNEL_MINOR}`;

/** The hub's verdict on a joiner's hello: undefined when it may go on, else the refusal's message. */
export function refuseJoinerVersion(major: number, minor: number, joinerGambi: string): string | undefined {
  if (major === TUNNEL_MAJOR) return undefined;
  const newer = major > TUNNEL_MAJOR;
  return (
    `this hub speaks tunnel protocol ${TUNNEL_VERSION}, the joiner (gambi ${joinerGambi}) speaks ${major}.${minor}: ` +
    (newer ? "upgrade the hub (or join with an older gambi)" : "upgrade gambi on the joiner's machine (gambi upgrade)")
  );
}

/** The joiner's verdict on a hub's hello-ok: undefined when it may go on, else why not. */
export function refuseHubVersion(major: number, minor: number, hubGambi: string): string | undefined {
  if (major === TUNNEL_MAJOR) return undefined;
  const newer = major > TUNNEL_MAJOR;
  return (
    `the hub (gambi ${hubGambi}) speaks tunnel protocol ${major}.${minor}, this joiner speaks ${TUNNEL_VERSION}: ` +
    (newer ? "upgrade gambi here (gambi upgrade)" : "the hub is older: ask its operator to upgrade it, or join without --tunnel")
  );
}
