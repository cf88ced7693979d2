/**
 * The TUI's join flow as pure data: the form (profile, room, provider, endpoint, transport
 * (direct, or a tunnel as `gambi join --tunnel`), Advanced options with auth header entries,
 * profile name), the model list after the probe (several
 * may be picked: space picks, the first picked is the default; tab picks a model that embeds, as
 * `gambi join --embedding-model`, when the endpoint has `/v1/embeddings`), and the details (nickname,
 * room password, how many requests the endpoint serves at once). `joinFormKey` turns one key into the next form and, when
 * the key asks for it, an action for the controller (probe, join, leave the flow).
 *
 * Auth header entries hold a header name and an environment variable *name*, never a value:
 * values are read from the environment only by `authHeadersFromEnv`, at the moment of probing
 * or joining, and go straight to the request (direct) or stay in this process for the tunnel.
 */
import { looksLikeRoomCode } from "../common/room-code.ts";
import { isHeaderName } from "../common/http-header.ts";
import { keyHeaderOf, PROVIDERS, providerFor, withBearerScheme } from "../join/providers.ts";
import { isLoopbackHost, normalizeBaseUrl } from "../protocol/endpoint.ts";
import { parseMaxConcurrency } from "../common/max-concurrency.ts";
import type { SavedProfile } from "../settings.ts";
import type { Key } from "./keys.ts";

export interface HeaderEntry {
  name: string;
  env: string;
  /** Why this entry cannot be used (shown next to it), e.g. its variable is not set. */
  problem?: string;
  /** Checked: the variable is set (its value is not kept). */
  ok?: boolean;
}

export type JoinPhase = "form" | "probing" | "model" | "details" | "joining";

export interface JoinForm {
  phase: JoinPhase;
  profiles: { name: string; profile: SavedProfile }[];
  /** Index into `profiles`, or -1 for none. */
  profile: number;
  code: string;
  /** Index into PROVIDERS; PROVIDERS.length is "custom URL". */
  provider: number;
  endpoint: string;
  /** From a profile saved by `gambi join --network-endpoint`: the URL the hub should use. */
  networkEndpoint?: string;
  /**
   * Serve through a tunnel (`gambi join --tunnel`): this process connects to the hub, which never
   * dials the endpoint; the auth headers stay here. False: the hub dials the endpoint with them.
   */
  tunnel: boolean;
  /** The hub is on another machine (not loopback): a loopback endpoint then needs the tunnel. */
  hubRemote: boolean;
  advanced: boolean;
  headers: HeaderEntry[];
  saveAs: string;
  focus: string;
  error?: string;
  /**
   * What the probe found: the endpoint's protocols and models, whether it has `/v1/embeddings`
   * (unset: not asked), and what the hub would assume for its capacity.
   */
  probed?: { endpoint: string; speaks: string; models: string[]; embeddings?: boolean; concurrency?: string };
  modelFilter: string;
  modelIndex: number;
  /** The models picked, in the order picked: the first is the default. */
  models: string[];
  /** The models picked for embeddings (tab), in the order picked; a model may be in both lists. */
  embeddingModels: string[];
  /** Requests served at once, as typed; empty: the hub's guess (the probe's, shown as the placeholder). */
  maxConcurrency: string;
  nickname: string;
  passwordNeeded: boolean;
  /** The room password being typed: drawn as dots only. */
  password: string;
}

export type JoinAction = "probe" | "join" | "back";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CUSTOM = PROVIDERS.length;

export function providerLabel(i: number): string {
  return PROVIDERS[i]?.label ?? "Custom URL";
}

export function newJoinForm(opts: { code?: string; nickname: string; passwordNeeded?: boolean; profiles?: JoinForm["profiles"]; hubRemote?: boolean }): JoinForm {
  return {
    phase: "form",
    profiles: opts.profiles ?? [],
    profile: -1,
    code: opts.code ?? "",
    provider: 0,
    endpoint: PROVIDERS[0]!.baseUrl,
    tunnel: false,
    hubRemote: opts.hubRemote ?? false,
    advanced: false,
    headers: [],
    saveAs: "",
    focus: opts.code ? "provider" : "code",
    modelFilter: "",
    modelIndex: 0,
    models: [],
    embeddingModels: [],
    maxConcurrency: "",
    nickname: opts.nickname,
    passwordNeeded: opts.passwordNeeded ?? false,
    password: "",
  };
}

/** The focusable rows of the current phase, top to bottom. */
export function focusOrder(f: JoinForm): string[] {
  if (f.phase === "details") return ["nickname", ...(f.passwordNeeded ? ["password"] : []), "concurrency", "join"];
  if (f.phase !== "form") return [];
  const headerRows = f.advanced ? [...f.headers.flatMap((_, i) => [`h${i}.name`, `h${i}.env`]), "add"] : [];
  return [...(f.profiles.length ? ["profile"] : []), "code", "provider", "endpoint", "transport", "advanced", ...headerRows, "save", "probe"];
}

function move(f: JoinForm, delta: number): JoinForm {
  const order = focusOrder(f);
  const at = Math.max(0, order.indexOf(f.focus));
  return { ...f, focus: order[Math.min(order.length - 1, Math.max(0, at + delta))] ?? f.focus };
}

/** A profile's settings into the form; header entries as saved (`{name, env}`). */
export function applyProfile(f: JoinForm, index: number): JoinForm {
  const saved = f.profiles[index]?.profile;
  if (!saved) return { ...f, profile: -1, networkEndpoint: undefined };
  const endpoint = saved.endpoint ?? f.endpoint;
  const known = providerFor(endpoint);
  const headers = (saved.headers ?? []).map((h) => ({ name: h.name, env: h.env }));
  return {
    ...f,
    profile: index,
    code: saved.code ?? f.code,
    endpoint,
    // A tunnel profile has no network endpoint (the hub never dials one).
    networkEndpoint: saved.tunnel ? undefined : saved.networkEndpoint,
    tunnel: saved.tunnel === true,
    provider: known ? PROVIDERS.indexOf(known) : CUSTOM,
    headers,
    advanced: f.advanced || headers.length > 0,
    models: saved.models ?? (saved.model ? [saved.model] : []),
    embeddingModels: saved.embeddingModels ?? [],
    maxConcurrency: saved.maxConcurrency === undefined ? "" : String(saved.maxConcurrency),
    nickname: saved.nickname ?? f.nickname,
    saveAs: f.profiles[index]!.name,
  };
}

function withProvider(f: JoinForm, provider: number): JoinForm {
  const p = PROVIDERS[provider];
  return { ...f, provider, networkEndpoint: undefined, endpoint: p ? p.baseUrl : f.provider === CUSTOM ? f.endpoint : "" };
}

/** Which field a text key edits, and how to read and write it. */
function textField(f: JoinForm): { get: string; set: (v: string) => JoinForm } | undefined {
  const h = /^h(\d+)\.(name|env)$/.exec(f.focus);
  if (h) {
    const i = Number(h[1]);
    const part = h[2] as "name" | "env";
    const entry = f.headers[i];
    if (!entry) return undefined;
    return { get: entry[part], set: (v) => ({ ...f, headers: f.headers.map((e, j) => (j === i ? { name: e.name, env: e.env, [part]: v } : e)) }) };
  }
  switch (f.focus) {
    case "code":
      return { get: f.code, set: (v) => ({ ...f, code: v.toUpperCase() }) };
    case "endpoint":
      return { get: f.endpoint, set: (v) => ({ ...f, endpoint: v, networkEndpoint: undefined, provider: providerFor(v) ? PROVIDERS.indexOf(providerFor(v)!) : CUSTOM }) };
    case "save":
      return { get: f.saveAs, set: (v) => ({ ...f, saveAs: v }) };
    case "nickname":
      return { get: f.nickname, set: (v) => ({ ...f, nickname: v }) };
    case "password":
      return { get: f.password, set: (v) => ({ ...f, password: v }) };
    case "concurrency":
      // Digits only: anything else could never be a count.
      return { get: f.maxConcurrency, set: (v) => ({ ...f, maxConcurrency: v.replace(/\D/g, "").slice(0, 4) }) };
    default:
      return undefined;
  }
}

/** The models offered by the probe that contain the typed filter (case-insensitive). */
export function modelMatches(f: JoinForm): string[] {
  const q = f.modelFilter.toLowerCase();
  return (f.probed?.models ?? []).filter((m) => m.toLowerCase().includes(q));
}

/** What tab says on an endpoint without `/v1/embeddings` (as `gambi join --embedding-model` does). */
const noEmbeddings = (f: JoinForm) => `${f.probed?.endpoint ?? f.endpoint} has no /v1/embeddings (llama.cpp's llama-server serves it with --embeddings)`;

/**
 * Picks the highlighted model (or, matching none, the typed name) into `models` (space) or
 * `embeddingModels` (tab), or unpicks it there if picked.
 */
function togglePicked(f: JoinForm, list: "models" | "embeddingModels" = "models"): JoinForm {
  const model = modelMatches(f)[f.modelIndex] ?? f.modelFilter.trim();
  if (!model) return f;
  const picked = f[list].includes(model) ? f[list].filter((m) => m !== model) : [...f[list], model];
  // A typed name is picked: the filter is cleared for the next one.
  return { ...f, [list]: picked, modelFilter: modelMatches(f).length ? f.modelFilter : "", modelIndex: modelMatches(f).length ? f.modelIndex : 0, error: undefined };
}

function modelKey(f: JoinForm, k: Key): { form: JoinForm; action?: JoinAction } {
  const matches = modelMatches(f);
  if (k === "escape") return { form: { ...f, phase: "form", focus: "probe" } };
  if (k === "up") return { form: { ...f, modelIndex: Math.max(0, f.modelIndex - 1) } };
  if (k === "down") return { form: { ...f, modelIndex: Math.min(Math.max(0, matches.length - 1), f.modelIndex + 1) } };
  if (k === "backspace") return { form: { ...f, modelFilter: f.modelFilter.slice(0, -1), modelIndex: 0 } };
  if (k === "tab") {
    // Without /v1/embeddings nothing can be picked for it, but a profile's pick can be undone.
    const unpicks = f.embeddingModels.includes(matches[f.modelIndex] ?? f.modelFilter.trim());
    return { form: f.probed?.embeddings === false && !unpicks ? { ...f, error: noEmbeddings(f) } : togglePicked(f, "embeddingModels") };
  }
  if (typeof k === "object") {
    // Model names have no spaces: a space picks, anything else filters (a paste can hold both).
    let next = f;
    for (const ch of k.char) next = ch === " " ? togglePicked(next) : { ...next, modelFilter: next.modelFilter + ch, modelIndex: 0 };
    return { form: next };
  }
  if (k === "enter") {
    // A profile's embedding models, on an endpoint that turned out to have no /v1/embeddings.
    if (f.embeddingModels.length && f.probed?.embeddings === false) return { form: { ...f, error: `${noEmbeddings(f)}: unpick ${f.embeddingModels.join(", ")} (tab)` } };
    // Nothing picked: enter takes the highlighted model, or the typed name (an endpoint without a
    // list). Embedding models alone are a participant that only embeds.
    const models = f.models.length || f.embeddingModels.length ? f.models : [matches[f.modelIndex] ?? f.modelFilter.trim()].filter(Boolean);
    if (!models.length && !f.embeddingModels.length) return { form: { ...f, error: "type a model name" } };
    return { form: { ...f, models, phase: "details", focus: "nickname", error: undefined } };
  }
  return { form: f };
}

/**
 * The details' maxConcurrency as the join sends it: undefined when left empty (the hub
 * decides), else the number; a value out of range is the form's error.
 */
export function formMaxConcurrency(f: JoinForm): { value?: number; error?: string } {
  if (!f.maxConcurrency.trim()) return {};
  const parsed = parseMaxConcurrency(f.maxConcurrency);
  return "problem" in parsed ? { error: `max concurrency: ${parsed.problem}` } : { value: parsed.value };
}

/** One key → the next form, and what the controller should do about it. */
export function joinFormKey(f: JoinForm, k: Key): { form: JoinForm; action?: JoinAction } {
  if (f.phase === "probing" || f.phase === "joining") return { form: f, action: k === "escape" ? "back" : undefined };
  if (f.phase === "model") return modelKey(f, k);
  if (k === "escape") return f.phase === "details" ? { form: { ...f, phase: "model", error: undefined } } : { form: f, action: "back" };
  if (k === "up" || k === "shift-tab") return { form: move(f, -1) };
  if (k === "down" || k === "tab") return { form: move(f, 1) };
  if (f.focus === "profile" && (k === "left" || k === "right")) {
    const n = f.profiles.length + 1; // "none" and each profile
    const next = ((f.profile + 1 + (k === "right" ? 1 : -1) + n) % n) - 1;
    return { form: next === -1 ? { ...f, profile: -1, networkEndpoint: undefined } : applyProfile(f, next) };
  }
  if (f.focus === "transport" && (k === "left" || k === "right")) {
    // Two choices: either arrow switches. A tunnel has no network endpoint: the hub dials nothing.
    const tunnel = !f.tunnel;
    return { form: { ...f, tunnel, networkEndpoint: tunnel ? undefined : f.networkEndpoint } };
  }
  if (f.focus === "provider" && (k === "left" || k === "right")) {
    const n = PROVIDERS.length + 1;
    return { form: withProvider(f, (f.provider + (k === "right" ? 1 : -1) + n) % n) };
  }
  if (f.focus === "advanced" && (k === "enter" || k === "right" || k === "left" || (typeof k === "object" && k.char === " "))) {
    const open = k === "left" ? false : k === "right" ? true : !f.advanced;
    return { form: { ...f, advanced: open, focus: open && k !== "left" && f.headers.length === 0 ? "add" : "advanced" } };
  }
  if (f.focus === "add" && k === "enter") {
    const provider = PROVIDERS[f.provider];
    const keyHeader = keyHeaderOf(provider);
    const first = !f.headers.some((h) => h.name.toLowerCase() === keyHeader.toLowerCase());
    const keyEnv = provider?.keyEnv;
    const headers = [...f.headers, { name: first ? keyHeader : "", env: first && keyEnv ? keyEnv : "" }];
    return { form: { ...f, headers, focus: `h${headers.length - 1}.${first ? "env" : "name"}` } };
  }
  if (k === "enter") {
    if (f.focus === "probe") return { form: f, action: "probe" };
    if (f.focus === "join") return { form: f, action: "join" };
    return { form: move(f, 1) };
  }
  const field = textField(f);
  if (!field) return { form: f };
  if (k === "backspace") {
    const h = /^h(\d+)\./.exec(f.focus);
    const entry = h ? f.headers[Number(h[1])] : undefined;
    if (entry && !entry.name && !entry.env) {
      // Backspace on an empty entry removes it.
      const headers = f.headers.filter((_, j) => j !== Number(h![1]));
      return { form: { ...f, headers, focus: headers.length ? `h${Math.max(0, Number(h![1]) - 1)}.name` : "add" } };
    }
    return { form: field.set(field.get.slice(0, -1)) };
  }
  if (typeof k === "object") return { form: field.set(field.get + k.char) };
  return { form: f };
}

/**
 * A word on the transport row: what the choice means, or, for a direct join of a loopback
 * endpoint to a hub on another machine, that the hub cannot reach it.
 */
export function transportNote(f: JoinForm): { text: string; warn: boolean } {
  if (f.tunnel) return { text: "you connect to the hub; your keys stay here", warn: false };
  let loopback = false;
  try {
    loopback = isLoopbackHost(normalizeBaseUrl(f.endpoint.trim()));
  } catch {
    // Not a URL yet: nothing to say about it.
  }
  if (f.hubRemote && loopback && !f.networkEndpoint) return { text: "the hub cannot reach localhost: ←/→ tunnel", warn: true };
  return { text: "the hub dials your endpoint", warn: false };
}

/** What stops one entry from being used, if anything. Reads only whether its variable is set. */
export function headerProblem(e: HeaderEntry, env: Record<string, string | undefined>): string | undefined {
  const name = e.name.trim();
  const variable = e.env.trim();
  if (!isHeaderName(name)) return "not a valid header name";
  if (!ENV_NAME.test(variable)) return "not an environment variable name";
  if (!env[variable]) return `${variable} is not set`;
  if (/[\r\n\0]/.test(env[variable]!)) return `${variable} contains CR, LF or NUL`;
  return undefined;
}

/** Checks every entry (before probing); entries with both fields empty are dropped. */
export function checkHeaderEntries(entries: HeaderEntry[], env: Record<string, string | undefined>): HeaderEntry[] {
  return entries
    .filter((e) => e.name.trim() || e.env.trim())
    .map((e) => {
      const problem = headerProblem(e, env);
      return { name: e.name.trim(), env: e.env.trim(), ...(problem ? { problem } : { ok: true }) };
    });
}

/**
 * While the form is edited: each complete entry the cursor is not in is marked (its variable is
 * set, or what is wrong), so a missing variable shows next to its entry before any probe.
 */
export function markHeaderEntries(f: JoinForm, env: Record<string, string | undefined>): JoinForm {
  let changed = false;
  const headers = f.headers.map((e, i) => {
    const editing = f.focus === `h${i}.name` || f.focus === `h${i}.env`;
    const problem = editing || !e.env.trim() ? undefined : headerProblem(e, env);
    const ok = !editing && !!e.env.trim() && !problem;
    if (problem === e.problem && ok === !!e.ok) return e;
    changed = true;
    return { name: e.name, env: e.env, ...(problem ? { problem } : {}), ...(ok ? { ok } : {}) };
  });
  return changed ? { ...f, headers } : f;
}

/** Checks the form before probing: the room code, the endpoint URL, every header entry. */
export function validateJoinForm(f: JoinForm, env: Record<string, string | undefined>): { form: JoinForm; ok: boolean } {
  const headers = checkHeaderEntries(f.headers, env);
  let error: string | undefined;
  let endpoint = f.endpoint.trim();
  if (!looksLikeRoomCode(f.code)) error = "the room code is 6 letters or digits";
  else {
    try {
      endpoint = normalizeBaseUrl(endpoint);
    } catch (err) {
      error = `endpoint: ${(err as Error).message}`;
    }
  }
  if (!error && headers.some((h) => h.problem)) error = "fix the marked auth header entries (Advanced options)";
  if (!error && f.saveAs && !/^[\w.-]{1,64}$/.test(f.saveAs.trim())) error = "a profile name is 1-64 letters, digits, '.', '_' or '-'";
  const form = { ...f, headers, endpoint, code: f.code.trim().toUpperCase(), error, advanced: f.advanced || headers.some((h) => h.problem) };
  return { form, ok: !error };
}

/**
 * The auth headers to send, read from the environment now. The result goes into the probe or
 * join request and nowhere else; a bare key for Authorization gets its `Bearer ` scheme, as in
 * `gambi join`.
 */
export function authHeadersFromEnv(entries: HeaderEntry[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const value = env[e.env];
    if (value) out[e.name] = withBearerScheme(e.name, value).value;
  }
  return out;
}
