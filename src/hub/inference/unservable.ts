/**
 * What the hub answers a request the room's scheduler cannot serve (pool/scheduler.ts throws
 * them bare), said with who is in the room: 404 `model_not_found` for a model, participant or
 * pair nobody matches, 503 `no_participant_available` when those who could are all offline;
 * for embeddings, the 400 `model_not_embedding` of a chat model (embeddings.ts). Shared by the
 * inference requests (dispatch.ts) and by `count_tokens` (count-tokens.ts), which must answer a
 * model nobody serves exactly as `/v1/messages` does.
 */
import type { Participant, Room } from "../rooms/registry.ts";
import type { Want } from "../pool/scheduler.ts";
import { nobodyEmbeds, notEmbedding } from "./embeddings.ts";
import { hasCode } from "../../protocol/error-codes.ts";
import { GambiError } from "../../protocol/openai/errors.ts";

/** Who is online in the room, for a request nobody can serve: the names people know them by. */
function describeRoom(room: Room): string {
  const online = [...room.participants.values()].filter((p) => p.status === "online");
  if (online.length === 0) return "no participant is online in this room";
  const served = (p: Participant) =>
    [p.models.length ? `${p.models.length === 1 ? "model" : "models"} ${p.models.join(", ")}` : "", p.embeddingModels.length ? `embedding ${p.embeddingModels.length === 1 ? "model" : "models"} ${p.embeddingModels.join(", ")}` : ""].filter(Boolean).join("; ");
  const shown = online.slice(0, 10).map((p) => `${p.nickname} (id ${p.id}, ${served(p)})`);
  const more = online.length > shown.length ? `, and ${online.length - shown.length} more` : "";
  return `online: ${shown.join(", ")}${more}`;
}

/** The scheduler's "nobody matches" (404) and "nothing online" (503), said with who is in the room. */
export function unservable(room: Room, requested: string, want: Want, err: unknown): unknown {
  if (!(err instanceof GambiError)) return err;
  const spec = requested.trim();
  // Embeddings: a chat model, or a room where nobody embeds, is the client's 400 (embeddings.ts).
  if (want.embed && hasCode(err, "model_not_found")) return notEmbedding(room, spec, want) ?? err;
  if (want.embed && want.kind === "any" && hasCode(err, "no_participant_available")) return nobodyEmbeds(room) ?? err;
  if (hasCode(err, "model_not_found")) {
    // An embedding model asked for text: say so, rather than list it among the room's models.
    const model = want.kind === "model" ? want.model : undefined;
    if (!want.embed && model !== undefined && room.scheduler.serves(model, true)) {
      return new GambiError(404, `"${model}" is an embedding model in this room: send it to /v1/embeddings (${describeRoom(room)})`, { code: "model_not_found", param: "model" });
    }
    return new GambiError(404, `no participant or model matches "${spec}" (${describeRoom(room)}); use "*" for any participant`, { code: "model_not_found", param: "model" });
  }
  if (hasCode(err, "no_participant_available")) {
    const what =
      want.kind === "any"
        ? want.embed
          ? "any participant that embeds"
          : "any participant"
        : want.kind === "participant"
          ? want.model === undefined
            ? `participant "${want.id}"`
            : `participant "${want.id}" with model "${want.model}"`
          : spec.startsWith("model:")
            ? `model "${want.model}"`
            : `model or participant "${spec}"`;
    return new GambiError(503, `${what}: nothing online to serve it (${describeRoom(room)})`, { code: "no_participant_available" });
  }
  return err;
}
