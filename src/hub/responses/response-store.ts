/**
 * Responses the hub itself keeps, for participants that speak only Chat Completions: the
 * Responses API is stateful (`store` defaults to true, `previous_response_id` continues a
 * conversation), Chat Completions is not, so the hub holds what the participant cannot.
 *
 * Each entry is one turn: its input items and its output items, plus the id of the turn
 * before. A conversation is rebuilt by walking those links, so memory grows with the number
 * of turns, not with their square. Per room, entries are capped in number and expire; a chain
 * with an expired link is reported as such, never silently shortened. stored-turn.ts writes
 * the entries; continuation.ts, stored.ts and item references read them. (Not to be confused
 * with the room store, hub/persist/room-store.ts, which keeps rooms across restarts.)
 */
import { BoundedMap } from "../../protocol/bounded-map.ts";
import type { Json } from "../../protocol/json.ts";

export type StoredStatus = "in_progress" | "completed" | "incomplete" | "failed" | "cancelled";

export interface StoredResponse {
  id: string;
  /** Who produced it: follow-ups go back there while it is online. */
  participantId: string;
  /** The model it was answered with (one of the participant's), for a fallback to another participant serving it. */
  model: string;
  previousId?: string;
  /** This turn's input, as `GET /v1/responses/:id/input_items` lists it. */
  input: Json[];
  /** The Response object: `status: "in_progress"` and no output until the turn ends. */
  response: Json;
  /** Aborts the upstream request while the response is in progress (POST …/cancel). */
  cancel?: () => void;
}

export interface ResponseStoreLimits {
  /** Responses kept per room (oldest go first). */
  maxPerRoom: number;
  ttlMs: number;
}

export const DEFAULT_RESPONSE_STORE_LIMITS: ResponseStoreLimits = { maxPerRoom: 1_000, ttlMs: 6 * 60 * 60 * 1000 };

export type History = { items: Json[] } | { missing: string };

export class ResponseStore {
  private readonly rooms = new Map<string, BoundedMap<string, StoredResponse>>();

  constructor(
    private readonly limits: ResponseStoreLimits = DEFAULT_RESPONSE_STORE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private room(code: string): BoundedMap<string, StoredResponse> {
    let map = this.rooms.get(code);
    if (!map) {
      map = new BoundedMap(this.limits.maxPerRoom, this.limits.ttlMs, this.now);
      this.rooms.set(code, map);
    }
    return map;
  }

  get(roomCode: string, id: string): StoredResponse | undefined {
    return this.rooms.get(roomCode)?.get(id);
  }

  set(roomCode: string, entry: StoredResponse): void {
    this.room(roomCode).set(entry.id, entry);
  }

  delete(roomCode: string, id: string): boolean {
    return this.rooms.get(roomCode)?.delete(id) ?? false;
  }

  /**
   * The items of every turn up to and including `id`, oldest first (each turn's input, then
   * its output), or the id of the first link that is no longer kept.
   */
  history(roomCode: string, id: string): History {
    const turns: StoredResponse[] = [];
    const seen = new Set<string>();
    for (let cur: string | undefined = id; cur !== undefined; ) {
      const entry = this.get(roomCode, cur);
      if (!entry || seen.has(cur)) return { missing: cur };
      seen.add(cur);
      turns.push(entry);
      cur = entry.previousId;
    }
    const items: Json[] = [];
    for (const t of turns.reverse()) items.push(...t.input, ...((t.response.output as Json[] | undefined) ?? []));
    return { items };
  }

  /**
   * An input or output item by its id, from any response kept for the room (newest first):
   * clients such as the AI SDK send `{type: "item_reference", id}` instead of repeating items
   * the server stored.
   */
  findItem(roomCode: string, itemId: string): Json | undefined {
    const map = this.rooms.get(roomCode);
    if (!map) return undefined;
    for (const entry of map.valuesNewestFirst()) {
      const found = entry.input.find((i) => i.id === itemId) ?? ((entry.response.output as Json[] | undefined) ?? []).find((i) => i.id === itemId);
      if (found) return found;
    }
    return undefined;
  }

  /** Forgets everything kept for a room that is gone: a later room under the same code starts empty. */
  forgetRoom(roomCode: string): void {
    this.rooms.delete(roomCode);
  }

  /** Total entries over all rooms (for tests and the memory benchmark). */
  get size(): number {
    let n = 0;
    for (const m of this.rooms.values()) n += m.size;
    return n;
  }

  prune(): void {
    for (const [code, map] of this.rooms) {
      map.prune();
      if (map.size === 0) this.rooms.delete(code);
    }
  }
}
