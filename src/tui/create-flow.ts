/**
 * The TUI's room creation: the form (create-form.ts), the password rule checked before the hub
 * is asked (common/room-password.ts, as `gambi create` does), an optional JSON file of room
 * defaults, and the new room selected in the list once it exists. Like `gambi create`, it
 * keeps the room's hostId in the settings file, so `gambi rooms delete CODE` works later.
 */
import { readFile } from "node:fs/promises";
import type { HubClient } from "../client.ts";
import { roomPasswordProblem } from "../common/room-password.ts";
import { saveOwnedRoom, SettingsError } from "../settings.ts";
import { createFormKey, newCreateForm } from "./create-form.ts";
import type { Key } from "./keys.ts";
import { errorText, type Store } from "./store.ts";

export interface CreateFlowOptions {
  store: Store;
  client: HubClient;
  /** Where the new room's hostId is kept (settings.ts). */
  settingsFile: string;
  /** Re-reads the rooms list and selects `code` in it. */
  refreshRooms: (code: string) => Promise<void>;
}

/** A defaults file must hold one JSON object (the room's instructions, temperature, ...). */
async function readDefaults(path: string): Promise<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${path}: expected a JSON object of room defaults`);
  return parsed as Record<string, unknown>;
}

export function createCreateFlow(opts: CreateFlowOptions) {
  const { store, client } = opts;

  /** The room exists either way: a settings file that cannot be written only costs the saved hostId. */
  function keepHostId(code: string, name: string, hostId: string): boolean {
    try {
      saveOwnedRoom({ hub: client.url, code, name, hostId }, opts.settingsFile);
      return true;
    } catch (err) {
      if (err instanceof SettingsError || (err instanceof Error && "code" in err)) return false;
      throw err;
    }
  }

  async function create() {
    const f = store.get().create;
    if (!f) return;
    const problem = f.password ? roomPasswordProblem(f.password) : undefined;
    if (problem) return store.set({ create: { ...f, error: problem, focus: "password" } });
    store.set({ create: { ...f, busy: true, error: undefined } });
    try {
      const config = f.defaultsFile.trim() ? await readDefaults(f.defaultsFile.trim()) : undefined;
      const { room, hostId } = await client.createRoom({ name: f.name.trim() || "gambi room", password: f.password || undefined, config });
      const kept = keepHostId(room.code, room.name, hostId);
      const text = `created room ${room.code} "${room.name}" · inference at ${client.url}/rooms/${room.code}/v1${kept ? "" : " · its delete credential could not be saved"}`;
      store.set({ screen: "rooms", create: undefined, flash: { text, level: kept ? "info" : "error" } });
      await opts.refreshRooms(room.code);
    } catch (err) {
      const now = store.get().create;
      if (now) store.set({ create: { ...now, busy: false, error: errorText(err) } });
    }
  }

  return {
    open: () => store.set({ screen: "create", create: newCreateForm(), flash: undefined }),
    /** A key on the create screen: the form changes, and may go back or create the room. */
    key(k: Key) {
      const current = store.get().create;
      if (!current) return;
      const { form, action } = createFormKey(current, k);
      if (action === "back") return store.set({ screen: "rooms", create: undefined });
      store.set({ create: form });
      if (action === "create") void create();
    },
  };
}
