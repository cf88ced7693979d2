/**
 * Who answered: the hub names the participant by id in `x-gambi-participant`; its nickname and
 * model come from the room's participant list (with the room password, for a protected room).
 * A failed lookup is not worth failing the turn over: the summary then shows the id. A
 * participant serving several models answered with the one the request named (as the hub
 * reads `model`: `<name>`, `model:<name>`, `<id>/<name>`), else with its first.
 */
import { HubError, type HubClient } from "../client.ts";

export interface ParticipantName {
  id: string;
  nickname?: string;
  model?: string;
  /** Why the nickname is missing, when the lookup failed. */
  lookupError?: string;
}

/** The model a participant serving `models` answered a request for `requested` with (the room scheduler's choice, hub/pool/scheduler.ts `want`, read from the outside). */
export function answeredModel(id: string, models: unknown, first: unknown, requested: string | undefined): string | undefined {
  const spec = requested?.trim() ?? "";
  const named = spec.startsWith("model:") ? [spec.slice("model:".length)] : [spec, ...(spec.startsWith(`${id}/`) ? [spec.slice(id.length + 1)] : [])];
  const hit = Array.isArray(models) ? named.find((m) => models.includes(m)) : undefined;
  return hit ?? (typeof first === "string" ? first : undefined);
}

export async function lookupParticipant(client: Pick<HubClient, "participants">, code: string, id: string, password?: string, requested?: string): Promise<ParticipantName> {
  try {
    const { participants } = await client.participants(code, password);
    const p = participants?.find((x) => x.id === id);
    if (!p) return { id, lookupError: "the participant has left the room" };
    return { id, nickname: typeof p.nickname === "string" ? p.nickname : undefined, model: answeredModel(id, p.models, p.model, requested) };
  } catch (err) {
    // The summary line falls back to the id; the answer itself was already printed.
    if (err instanceof HubError && err.status !== undefined) return { id, lookupError: `GET /rooms/${code}/participants: HTTP ${err.status}` };
    return { id, lookupError: err instanceof Error ? err.message : String(err) };
  }
}
