/**
 * Saved settings: `$XDG_CONFIG_HOME/gambi/config.json` (default `~/.config/gambi/config.json`).
 * It remembers a hub URL and named join profiles. Auth headers are saved only as
 * `{name, env}` — the header name and the environment variable that holds the value — never a
 * value: `toSavedProfile` builds the stored object field by field, so a value cannot ride
 * along by accident. A file that does not parse is never overwritten (nothing stored is lost).
 *
 * It also keeps the hostId of each room this user created (`gambi create`): the room's delete
 * credential, needed later by `gambi rooms delete`. That is a secret, which is why the file is
 * written with mode 0600 in a 0700 directory; it is dropped once the room is deleted.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { MAX_CONCURRENCY, MIN_CONCURRENCY } from "./common/max-concurrency.ts";

const HeaderRef = Type.Object({ name: Type.String({ minLength: 1 }), env: Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }) });

const Profile = Type.Object({
  hub: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  endpoint: Type.Optional(Type.String()),
  networkEndpoint: Type.Optional(Type.String()),
  /** The first model; alone in profiles saved before several models per participant, and for gambi versions from then. */
  model: Type.Optional(Type.String()),
  /** Every model, the first being `model`; saved only for more than one. */
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** `--embedding-model`: the models of the same endpoint that embed; saved only when there are some. */
  embeddingModels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** `--max-concurrency`, when it was given. */
  maxConcurrency: Type.Optional(Type.Integer({ minimum: MIN_CONCURRENCY, maximum: MAX_CONCURRENCY })),
  nickname: Type.Optional(Type.String()),
  headers: Type.Optional(Type.Array(HeaderRef)),
  specs: Type.Optional(Type.Boolean()),
  /** `--tunnel`: serve through a tunnel (saved only when true). */
  tunnel: Type.Optional(Type.Boolean()),
});

const OwnedRoom = Type.Object({ hub: Type.String(), code: Type.String(), hostId: Type.String({ minLength: 1 }), name: Type.Optional(Type.String()) });

const Settings = Type.Object({
  hub: Type.Optional(Type.String()),
  profiles: Type.Optional(Type.Record(Type.String(), Profile)),
  rooms: Type.Optional(Type.Array(OwnedRoom)),
});

export type HeaderRef = Static<typeof HeaderRef>;
export type SavedProfile = Static<typeof Profile>;
export type SavedSettings = Static<typeof Settings>;
export type OwnedRoom = Static<typeof OwnedRoom>;

export class SettingsError extends Error {}

export function settingsPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "gambi", "config.json");
}

/** The saved settings; an absent file is empty settings, a malformed one is an error naming the file. */
export function loadSettings(path = settingsPath()): SavedSettings {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new SettingsError(`${path} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
  if (!Value.Check(Settings, parsed)) {
    const first = Value.Errors(Settings, parsed).First();
    throw new SettingsError(`${path}: ${first ? `${first.path || "/"} ${first.message}` : "unexpected shape"}; fix or remove it`);
  }
  return parsed;
}

/** Like loadSettings, but a broken file reads as empty (for defaults that must not fail a command). */
export function readSettingsQuietly(path = settingsPath()): SavedSettings {
  try {
    return loadSettings(path);
  } catch (err) {
    if (err instanceof SettingsError) return {};
    throw err;
  }
}

export interface ProfileInput {
  hub?: string;
  code?: string;
  endpoint?: string;
  networkEndpoint?: string;
  /** The models served, the first being the default. */
  models?: string[];
  /** The models that embed (`--embedding-model`). */
  embeddingModels?: string[];
  maxConcurrency?: number;
  nickname?: string;
  specs?: boolean;
  /** Only headers whose value came from an environment variable can be saved. */
  headers?: Array<{ name: string; env?: string }>;
  tunnel?: boolean;
}

/**
 * The stored form of a profile: known fields only, headers reduced to `{name, env}` references,
 * the models as `model` (the first: what an older gambi reads) plus `models` when there are several,
 * and `embeddingModels` when there are some.
 */
export function toSavedProfile(input: ProfileInput): SavedProfile {
  const out: SavedProfile = {};
  for (const key of ["hub", "code", "endpoint", "networkEndpoint", "nickname"] as const) {
    const v = input[key];
    if (typeof v === "string" && v) out[key] = v;
  }
  const models = (input.models ?? []).filter((m) => typeof m === "string" && m.length > 0);
  if (models.length) out.model = models[0];
  if (models.length > 1) out.models = [...models];
  const embeddingModels = (input.embeddingModels ?? []).filter((m) => typeof m === "string" && m.length > 0);
  if (embeddingModels.length) out.embeddingModels = [...embeddingModels];
  if (typeof input.maxConcurrency === "number") out.maxConcurrency = input.maxConcurrency;
  if (typeof input.specs === "boolean") out.specs = input.specs;
  if (input.tunnel === true) out.tunnel = true;
  const refs = (input.headers ?? []).filter((h): h is HeaderRef => typeof h.env === "string" && h.env.length > 0).map((h) => ({ name: h.name, env: h.env }));
  if (refs.length) out.headers = refs;
  return out;
}

function writeSettings(settings: SavedSettings, path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** Adds or replaces one profile (and, when given, the default hub); other profiles are kept. */
export function saveProfile(name: string, input: ProfileInput, opts: { setDefaultHub?: boolean; path?: string } = {}): string {
  const path = opts.path ?? settingsPath();
  if (!/^[\w.-]{1,64}$/.test(name)) throw new SettingsError(`profile name "${name.slice(0, 64)}" must be 1-64 letters, digits, '.', '_' or '-'`);
  const current = loadSettings(path);
  const profile = toSavedProfile(input);
  const next: SavedSettings = { ...current, profiles: { ...current.profiles, [name]: profile } };
  if (opts.setDefaultHub && profile.hub) next.hub = profile.hub;
  writeSettings(next, path);
  return path;
}

export function findProfile(settings: SavedSettings, name: string): SavedProfile {
  const profile = settings.profiles?.[name];
  if (!profile) {
    const names = Object.keys(settings.profiles ?? {});
    throw new SettingsError(`no profile "${name}"${names.length ? `; saved profiles: ${names.join(", ")}` : " (none saved yet: gambi join --save NAME)"}`);
  }
  return profile;
}

/** Rooms are kept per hub: the same code on two hubs is two rooms. Trailing slashes do not count. */
const sameRoom = (r: OwnedRoom, hub: string, code: string) => r.hub.replace(/\/+$/, "") === hub.replace(/\/+$/, "") && r.code.toUpperCase() === code.toUpperCase();

/** Remembers the hostId of a room this user created (replacing an older entry for the same hub and code). */
export function saveOwnedRoom(room: OwnedRoom, path = settingsPath()): string {
  const current = loadSettings(path);
  const others = (current.rooms ?? []).filter((r) => !sameRoom(r, room.hub, room.code));
  const entry: OwnedRoom = { hub: room.hub, code: room.code, hostId: room.hostId, ...(room.name ? { name: room.name } : {}) };
  writeSettings({ ...current, rooms: [...others, entry] }, path);
  return path;
}

export function findOwnedRoom(settings: SavedSettings, hub: string, code: string): OwnedRoom | undefined {
  return settings.rooms?.find((r) => sameRoom(r, hub, code));
}

/** Drops a deleted room's entry; a file without it is left untouched. */
export function forgetOwnedRoom(hub: string, code: string, path = settingsPath()): void {
  const current = loadSettings(path);
  const rooms = current.rooms ?? [];
  if (!rooms.some((r) => sameRoom(r, hub, code))) return;
  writeSettings({ ...current, rooms: rooms.filter((r) => !sameRoom(r, hub, code)) }, path);
}
