/**
 * How a tunnel socket ends: its WebSocket close code (4000–4999 are the application's own) and
 * a short reason (a close reason holds at most 123 bytes; a `refuse` frame before the close says
 * the whole of it). Both sides use these; docs/tunnel.md lists them.
 */

export const CLOSE = {
  /** The participant left, or the joiner stops. */
  normal: 1000,
  /** The hub is shutting down. */
  goingAway: 1001,
  /** A newer socket took over this participant. */
  replaced: 4001,
  /** A frame that is not one, a frame out of order, for a request never opened, or past its credit. */
  protocolError: 4400,
  /** No participant token, or not this participant's. */
  unauthorized: 4401,
  /** The room, or the participant in it, does not exist (the joiner joins again). */
  notFound: 4404,
  /** No frame from the peer for too long (pings unanswered). */
  silent: 4408,
  /** The participant joined for a direct connection, not a tunnel. */
  notTunnelled: 4409,
  /** A frame over the size limit. */
  tooLarge: 4413,
  /** The hub probed the endpoint through the tunnel and cannot serve it (the `refuse` frame says why). */
  refused: 4422,
  /** The peer speaks another major version of the wire format. */
  version: 4426,
  /** Too many wrong tokens from this address: wait. */
  rateLimited: 4429,
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** A close reason cut to what a close frame holds (123 bytes of UTF-8), on a character boundary. */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 123) return text;
  let cut = text.slice(0, 120);
  while (new TextEncoder().encode(cut).length > 120) cut = cut.slice(0, -1);
  return `${cut}…`;
}
