/**
 * Who answered: the hub names the participant by id in `x-gambi-participant`; its nickname and
 * model come from `GET /rooms/:code/participants` (client.ts has no call for it). A failed
 * lookup is not worth failing the turn over: the summary then shows the id. A protected room
 * wants its password as the bearer here too.
 */
import { bearer } from "../client.ts";

export interface ParticipantName {
  id: string;
  nickname?: string;
  model?: string;
  /** Why the nickname is missing, when the lookup failed. */
  lookupError?: string;
}

export async function lookupParticipant(hub: string, code: string, id: string, opts: { password?: string; fetch?: typeof fetch } = {}): Promise<ParticipantName> {
  const doFetch = opts.fetch ?? fetch;
  try {
    const res = await doFetch(`${hub.replace(/\/+$/, "")}/rooms/${encodeURIComponent(code)}/participants`, { headers: bearer(opts.password), signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return { id, lookupError: `GET /rooms/${code}/participants: HTTP ${res.status}` };
    const body = (await res.json()) as { participants?: { id?: unknown; nickname?: unknown; model?: unknown }[] };
    const p = body.participants?.find((x) => x.id === id);
    if (!p) return { id, lookupError: "the participant has left the room" };
    return { id, nickname: typeof p.nickname === "string" ? p.nickname : undefined, model: typeof p.model === "string" ? p.model : undefined };
  } catch (err) {
    // The summary line falls back to the id; the answer itself was already printed.
    return { id, lookupError: err instanceof Error ? err.message : String(err) };
  }
}
