/**
 * A protected room's password for `gambi chat`: `--password`, else (in a terminal) a hidden
 * prompt, checked against the room before the first question so a typo is caught at once and
 * can be typed again. The hub's messages are about the HTTP header (or the join's body field);
 * on the command line the fix is a flag, so refusals are re-worded here (chat, usage, join).
 */
import { HubError, type HubClient, type PublicRoom } from "../client.ts";
import { hasCode } from "../protocol/error-codes.ts";
import { askRoomPassword } from "../terminal/prompt.ts";

/** In a terminal: the room's password if it has one, asked until the room takes it; undefined for an open room. */
export async function askChatPassword(client: HubClient, code: string, known?: PublicRoom): Promise<string | undefined> {
  const room = known ?? (await client.getRoom(code)).room;
  if (!room.passwordProtected) return undefined;
  for (;;) {
    const password = await askRoomPassword(room.code);
    if (await client.roomTakesPassword(room.code, password)) return password;
    process.stderr.write(`wrong password for room ${room.code}\n`);
  }
}

/** The hub's refusal as a command-line user should read it. */
export function explainRefusal(err: unknown, code: string): unknown {
  if (!(err instanceof HubError)) return err;
  const room = code.toUpperCase();
  // The bearer's codes (chat, usage), and the join body's (gambi join).
  if (hasCode(err, "room_password_required") || hasCode(err, "password_required")) return new HubError(`room ${room} is password-protected: give its password with --password`, err.status, err.code, err.exitCode);
  if (hasCode(err, "invalid_room_password") || hasCode(err, "invalid_password")) return new HubError(`wrong password for room ${room} (--password)`, err.status, err.code, err.exitCode);
  return err;
}
