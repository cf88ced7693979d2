/**
 * What is particular to `POST /rooms/:code/v1/embeddings` on the hub's side; the rest of its
 * walk is any request's (lane.ts, body-check.ts, dispatch.ts: the lease, failover before the
 * first byte, events, metrics and the ledger; proxy/relay-passthrough.ts: the answer's bytes
 * untouched, its usage read off them without parsing the vectors).
 *
 * - Who serves it: only participants that declared the model among their `embeddingModels`
 *   at join (rooms/join.ts; the probe checks that `/v1/embeddings` exists), `*` any of them
 *   (pool/scheduler.ts `want(spec, true)`).
 * - Its plan: the client's body with `model` rewritten to the lease's (dispatch.ts), nothing
 *   else. No room or participant defaults (they are generation settings: `temperature`,
 *   `max_tokens`, instructions), no adapter (no other protocol embeds), never a stream.
 * - A model nobody embeds with, when the room knows it as a chat model (or a participant that
 *   serves no embedding model is named): 400 `model_not_embedding`, naming the models that can.
 *   Pure: a function of the room's participants as the scheduler indexes them.
 */
import { GambiError, badRequest } from "../../protocol/openai/errors.ts";
import type { Json } from "../../protocol/json.ts";
import type { Room } from "../rooms/types.ts";
import type { Want } from "../pool/scheduler.ts";
import type { Plan } from "./plan.ts";

const nothing = () => undefined;

export function planEmbeddings(body: Json, signal: AbortSignal): Plan {
  return { body: JSON.stringify(body), signal, onFinish: nothing, cancelled: nothing };
}

/** "models that can embed here: …", or that none can. */
export function embeddingModelsSaid(room: Room): string {
  const models = room.scheduler.embeddingModels();
  if (models.length === 0) return "no participant in this room serves an embedding model (a joiner declares them: gambi join --embedding-model NAME, or \"embeddingModels\" in the join)";
  const shown = models.slice(0, 10).map((m) => `"${m}"`).join(", ");
  const more = models.length > 10 ? `, and ${models.length - 10} more` : "";
  return `models that can embed in this room: ${shown}${more} (or "*" for any of them)`;
}

/**
 * The scheduler found nobody for an embeddings request (its 404): the 400 that says the model
 * is the room's but does not embed, or undefined when the room does not know the name at all
 * (then it stays a 404, said with the models that can embed).
 */
export function notEmbedding(room: Room, spec: string, want: Want): GambiError | undefined {
  const said = embeddingModelsSaid(room);
  const name = spec.trim();
  if (want.kind === "participant") {
    const p = room.participants.get(want.id);
    return badRequest(`participant "${p?.nickname ?? want.id}" (${want.id}) serves no embedding model; ${said}`, "model_not_embedding", "model");
  }
  if (want.kind !== "model") return undefined;
  const slash = want.model.indexOf("/");
  const pinned = slash > 0 ? room.participants.get(want.model.slice(0, slash)) : undefined;
  const chat = room.scheduler.serves(want.model, false) || pinned?.models.includes(want.model.slice(slash + 1)) === true;
  if (chat) return badRequest(`model "${name}" does not embed here: it is served for chat, and no participant declared it as an embedding model; ${said}`, "model_not_embedding", "model");
  return new GambiError(404, `no participant serves an embedding model "${name}"; ${said}`, { code: "model_not_found", param: "model" });
}

/** `*` in a room where nobody embeds at all (the scheduler's "nothing online"): a 400 too, since no wait will help. */
export function nobodyEmbeds(room: Room): GambiError | undefined {
  return room.scheduler.embeddingModels().length === 0 ? badRequest(embeddingModelsSaid(room), "model_not_embedding", "model") : undefined;
}
