/**
 * The room password rule, needed on both sides: the hub refuses to create a room with a
 * password that breaks it (hub/rooms/routes.ts), and `gambi create` and the TUI check it as it
 * is typed, before asking the hub. It lives here, not in hub/, so the client side need not
 * import the hub.
 *
 * Clients send a room password in an HTTP header, where only Latin-1 survives (fetch throws
 * on anything wider; many clients accept ASCII only) and outer spaces are trimmed: a password
 * outside printable ASCII, or with outer spaces, would let people join but never use the room.
 */

/** What is wrong with a room password (never the password itself), or undefined. */
export function roomPasswordProblem(password: string): string | undefined {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(password)) return undefined;
  return 'a room password must be printable ASCII without leading or trailing spaces: clients send it in an HTTP header ("Authorization: Bearer <room password>")';
}
