/**
 * Which participant serves a request, from the request's `model`:
 * - `*` or `any` → any online participant;
 * - `model:<name>` → an online participant serving that model;
 * - a participant id → that participant;
 * - anything else → a participant id if one matches, else a model name (every participant
 *   serving it, among all the models each serves), else `<participant id>/<model>`: that
 *   participant, with that one of its models (how `GET /v1/models` names a participant's
 *   models after its first).
 * And which model the upstream body carries (`upstreamModel`): the one the request named, or
 * for `*` and a participant id the participant's first model.
 * Unhealthy participants (their endpoint stopped answering, see rooms/registry.ts) are skipped
 * while a healthy one matches; when only unhealthy ones do, one of them still gets the request
 * (it may be back, and a success heals it) rather than a certain 503.
 * Among equals, the least busy wins (fewest requests in flight); among the least busy, those
 * that speak the request's protocol natively (no translation needed), then random. A
 * participant that speaks only the other protocol still serves: the hub translates.
 * Pure: the caller passes the participants and the random source.
 */
import { GambiError } from "../../protocol/openai/errors.ts";
import { supports, type Capabilities, type Protocol } from "../../protocol/protocols.ts";

export interface Candidate {
  id: string;
  nickname: string;
  /** The models it serves; the first is its default. */
  models: readonly string[];
  status: "online" | "offline";
  capabilities: Capabilities;
  inFlight: number;
  health?: "healthy" | "unhealthy";
}

function describe(list: Candidate[]): string {
  const online = list.filter((p) => p.status === "online");
  if (online.length === 0) return "no participant is online in this room";
  const shown = online.slice(0, 10).map((p) => `${p.nickname} (id ${p.id}, ${p.models.length === 1 ? "model" : "models"} ${p.models.join(", ")})`);
  const more = online.length > shown.length ? `, and ${online.length - shown.length} more` : "";
  return `online: ${shown.join(", ")}${more}`;
}

export function leastBusy<T extends Candidate>(pool: T[], protocol: Protocol, random: () => number): T {
  let min = Infinity;
  for (const p of pool) if (p.inFlight < min) min = p.inFlight;
  const idle = pool.filter((p) => p.inFlight === min);
  const native = idle.filter((p) => supports(p.capabilities, protocol));
  const best = native.length ? native : idle;
  return best[Math.min(best.length - 1, Math.floor(random() * best.length))]!;
}

export function pickParticipant<T extends Candidate>(all: T[], requested: string, protocol: Protocol, random: () => number): T {
  const spec = requested.trim();
  let matches: T[];
  let what: string;
  if (spec === "*" || spec === "any") {
    matches = all;
    what = "any participant";
  } else if (spec.startsWith("model:")) {
    const name = spec.slice("model:".length);
    matches = all.filter((p) => p.models.includes(name));
    what = `model "${name}"`;
  } else {
    const byId = all.find((p) => p.id === spec);
    matches = byId ? [byId] : all.filter((p) => p.models.includes(spec));
    what = byId ? `participant "${spec}"` : `model or participant "${spec}"`;
    const pinned = matches.length === 0 ? pinnedModel(all, spec) : undefined;
    if (pinned) {
      matches = [pinned.participant];
      what = `participant "${pinned.participant.id}" with model "${pinned.model}"`;
    }
  }

  if (matches.length === 0 && spec !== "*" && spec !== "any") {
    throw new GambiError(404, `no participant or model matches "${spec}" (${describe(all)}); use "*" for any participant`, {
      code: "model_not_found",
      param: "model",
    });
  }
  const online = matches.filter((p) => p.status === "online");
  if (online.length === 0) {
    throw new GambiError(503, `${what}: nothing online to serve it (${describe(all)})`, { code: "no_participant_available" });
  }
  const healthy = online.some((p) => p.health === "unhealthy") ? online.filter((p) => p.health !== "unhealthy") : online;
  return leastBusy(healthy.length > 0 ? healthy : online, protocol, random);
}

/** `<participant id>/<model>`: the participant, if it is in the room and serves that model. */
function pinnedModel<T extends Candidate>(all: T[], spec: string): { participant: T; model: string } | undefined {
  const slash = spec.indexOf("/");
  if (slash <= 0) return undefined;
  const participant = all.find((p) => p.id === spec.slice(0, slash));
  const model = spec.slice(slash + 1);
  return participant?.models.includes(model) ? { participant, model } : undefined;
}

/**
 * The model the upstream body carries, for a request with this `model` served by `p`: the
 * model it names (`<name>`, `model:<name>`, `<id>/<name>`) when `p` serves it, else `p`'s
 * first model (`*`, `any`, its id).
 */
export function upstreamModel(p: Pick<Candidate, "id" | "models">, requested: string): string {
  const spec = requested.trim();
  // In pickParticipant's order: `model:` first, then the name as it is, then the pin.
  const named = spec.startsWith("model:") ? [spec.slice("model:".length)] : [spec, ...(spec.startsWith(`${p.id}/`) ? [spec.slice(p.id.length + 1)] : [])];
  return named.find((m) => p.models.includes(m)) ?? p.models[0]!;
}
