/**
 * Who answered: the hub names the participant by id in `x-gambi-participant`; its nickname and
 * model come from the room's participant list (with the room password, for a protected room).
 * A failed lookup is not worth failing the turn over: the summary then shows the id.
 */
import { HubError, type HubClient } from "../client.ts";

export interface ParticipantName {
  id: string;
  nickname?: string;
  model?: string;
  /** Why the nickname is missing, when the lookup failed. */
  lookupError?: string;
}

export async function lookupParticipant(client: Pick<HubClient, "participants">, code: string, id: string, password?: string): Promise<ParticipantName> {
  try {
    const { participants } = await client.participants(code, password);
    const p = participants?.find((x) => x.id === id);
    if (!p) return { id, lookupError: "the participant has left the room" };
    return { id, nickname: typeof p.nickname === "string" ? p.nickname : undefined, model: typeof p.model === "string" ? p.model : undefined };
  } catch (err) {
    // The summary line falls back to the id; the answer itself was already printed.
    if (err instanceof HubError && err.status !== undefined) return { id, lookupError: `GET /rooms/${code}/participants: HTTP ${err.status}` };
    return { id, lookupError: err instanceof Error ? err.message : String(err) };
  }
}
