/**
 * The TUI's controller: owns the app state, turns keys into state changes, polls the hub
 * (health and rooms, with backoff while it is down), follows an open room (participants and
 * its event stream), and runs the join flow, room creation and the participant session. It
 * knows nothing of drawing: the view subscribes and draws `getState()`.
 */
import { readFile } from "node:fs/promises";
import { bearer, describeHubFailure, HubError, type HubClient, type PublicRoom } from "../client.ts";
import { roomPasswordProblem } from "../hub/access/gate.ts";
import { friendlyName } from "../join/names.ts";
import { watchRoomEvents } from "../join/status.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { probeEndpoint } from "../proxy/probe.ts";
import { readSettingsQuietly, saveProfile, SettingsError, settingsPath } from "../settings.ts";
import { createFormKey, newCreateForm } from "./create-form.ts";
import { authHeadersFromEnv, joinFormKey, markHeaderEntries, newJoinForm, validateJoinForm, type JoinForm } from "./join-form.ts";
import { isChar, type Key } from "./keys.ts";
import { applyEvent, initialRoomView, withParticipants } from "./room-state.ts";
import { startSession, type Session } from "./session.ts";
import { initialState, type AppState, type Screen } from "./state.ts";

export interface ControllerOptions {
  client: HubClient;
  env: Record<string, string | undefined>;
  /** Where join profiles are read and saved (default: the CLI's config file). */
  settingsFile?: string;
  pollMs?: number;
  /** The joined participant's heartbeat (default 10 s, as `gambi join`). */
  sessionHeartbeatMs?: number;
}

const TICK_MS = 500;

export function createController(opts: ControllerOptions) {
  const { client, env } = opts;
  const pollMs = opts.pollMs ?? 2000;
  const settingsFile = opts.settingsFile ?? settingsPath(env);
  let state: AppState = initialState(client.url, Date.now());
  const listeners = new Set<() => void>();
  let retryDelay = 1000;
  let nextPollAt = 0;
  let polling = false;
  let roomWatch: AbortController | undefined;
  let roomPassword: string | undefined;
  let session: Session | undefined;
  /** Bumped when a join flow starts or is left: a probe or join that finishes late is ignored. */
  let flow = 0;
  let joinReturn: Screen = "rooms";
  let ticker: ReturnType<typeof setInterval> | undefined;
  let quitting: Promise<void> | undefined;
  let onQuit: () => void = () => {};

  function set(patch: Partial<AppState>) {
    state = { ...state, ...patch, now: Date.now() };
    for (const l of listeners) l();
  }
  const setJoin = (patch: Partial<JoinForm>) => state.join && set({ join: { ...state.join, ...patch } });
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const h = await client.health();
      set({ hub: { url: client.url, state: "up", version: h.version, uptimeS: h.uptime } });
      retryDelay = 1000;
      nextPollAt = Date.now() + pollMs;
      if (state.screen === "rooms") await refreshRooms();
      else if (state.screen === "room") await refreshParticipants();
    } catch (err) {
      set({ hub: { url: client.url, state: "down", error: message(err), retryAt: Date.now() + retryDelay } });
      nextPollAt = Date.now() + retryDelay;
      retryDelay = Math.min(10_000, retryDelay * 2);
    } finally {
      polling = false;
    }
  }

  async function refreshRooms(select?: string) {
    try {
      const rooms = (await client.listRooms()).rooms.sort((a, b) => a.createdAt - b.createdAt);
      const at = select ? rooms.findIndex((r) => r.code === select) : -1;
      set({ rooms, roomsError: undefined, selected: at >= 0 ? at : Math.min(state.selected, Math.max(0, rooms.length - 1)) });
    } catch (err) {
      set({ roomsError: message(err) });
    }
  }

  async function refreshParticipants() {
    const room = state.room;
    if (!room) return;
    try {
      const res = await client.fetch(`${client.url}/rooms/${encodeURIComponent(room.code)}/participants`, { headers: bearer(roomPassword), signal: AbortSignal.timeout(5000) });
      if (state.room?.code !== room.code) return;
      if (res.ok) {
        const { participants } = (await res.json()) as { participants: Record<string, unknown>[] };
        if (state.room) set({ room: { ...state.room, ...withParticipants(state.room, participants) } });
      } else {
        const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
        const hint = res.status === 401 ? " (esc, then open the room again)" : "";
        if (state.room) set({ room: { ...state.room, notice: `the hub refused: ${body.error?.message ?? `HTTP ${res.status}`}${hint}` } });
      }
    } catch (err) {
      if (state.room?.code === room.code) set({ room: { ...state.room, notice: describeHubFailure(err, client.url) } });
    }
  }

  function openRoom(room: Pick<PublicRoom, "code" | "name">, password?: string) {
    roomWatch?.abort();
    roomPassword = password;
    set({ screen: "room", room: { ...initialRoomView(room.code), name: room.name } });
    const watch = (roomWatch = new AbortController());
    void watchRoomEvents(
      client.url,
      room.code,
      (e) => {
        if (state.room?.code === room.code) set({ room: { ...state.room, ...applyEvent(state.room, e, Date.now()) } });
      },
      watch.signal,
      { password, fetch: client.fetch, onRefused: (m) => state.room?.code === room.code && set({ room: { ...state.room, notice: m } }) },
    );
    void refreshParticipants();
  }

  function closeRoom() {
    roomWatch?.abort();
    roomWatch = undefined;
    roomPassword = undefined;
    set({ room: undefined, screen: "rooms" });
    void poll();
  }

  function openJoin(room?: PublicRoom) {
    if (session) return set({ flash: { text: `already serving in room ${session.view.code}: leave it first (l in its room view)`, level: "error" } });
    const settings = readSettingsQuietly(settingsFile);
    const profiles = Object.entries(settings.profiles ?? {}).map(([name, profile]) => ({ name, profile }));
    joinReturn = state.screen === "room" ? "room" : "rooms";
    flow++;
    set({ screen: "join", flash: undefined, join: newJoinForm({ code: room?.code, nickname: friendlyName(), passwordNeeded: room?.passwordProtected, profiles }) });
  }

  function leaveJoin() {
    flow++;
    set({ screen: joinReturn === "room" && state.room ? "room" : "rooms", join: undefined });
  }

  async function runProbe() {
    if (!state.join) return;
    const { form, ok } = validateJoinForm(state.join, env);
    set({ join: { ...form, phase: ok ? "probing" : "form" } });
    if (!ok) return;
    const mine = ++flow;
    try {
      const probe = await probeEndpoint({ base: form.endpoint, authHeaders: authHeadersFromEnv(form.headers, env), label: "your endpoint" }, { timeoutMs: 10_000 });
      if (mine !== flow || !state.join) return;
      const models = [...new Set(probe.models ?? [])];
      const speaks = [probe.capabilities.responses && "Responses", probe.capabilities.chatCompletions && "Chat Completions"].filter(Boolean).join(" + ");
      const known = state.rooms?.find((r) => r.code === form.code);
      const at = models.indexOf(state.join.model);
      setJoin({
        phase: "model",
        probed: { endpoint: form.endpoint, speaks, models },
        modelFilter: models.length ? "" : state.join.model,
        modelIndex: Math.max(0, at),
        passwordNeeded: state.join.passwordNeeded || known?.passwordProtected === true,
        error: undefined,
      });
    } catch (err) {
      if (mine !== flow) return;
      if (!(err instanceof GambiError)) throw err;
      setJoin({ phase: "form", focus: err.code === "endpoint_credentials_rejected" ? "advanced" : "probe", error: err.message, advanced: state.join!.advanced || err.code === "endpoint_credentials_rejected" });
    }
  }

  async function runJoin() {
    const f = state.join;
    if (!f?.probed) return;
    if (!f.nickname.trim()) return setJoin({ error: "a nickname is needed", focus: "nickname" });
    if (f.passwordNeeded && !f.password) return setJoin({ error: "the room is protected: type its password", focus: "password" });
    setJoin({ phase: "joining", error: undefined });
    const mine = ++flow;
    const started = startSession({
      client,
      code: f.code,
      endpoint: f.networkEndpoint ?? f.probed.endpoint,
      model: f.model,
      nickname: f.nickname.trim(),
      password: f.password || undefined,
      authHeaders: authHeadersFromEnv(f.headers, env),
      heartbeatMs: opts.sessionHeartbeatMs,
      onChange: (view) => session && set({ session: view }),
    });
    try {
      const s = await started;
      if (mine !== flow) return void s.stop();
      session = s;
      const saved = saveJoinProfile(f);
      set({ session: s.view, join: undefined, flash: { text: `joined room ${f.code} as ${s.view.nickname}${saved}; l leaves, q quits`, level: "info" } });
      openRoom({ code: f.code, name: state.rooms?.find((r) => r.code === f.code)?.name ?? "" }, f.password || undefined);
    } catch (err) {
      if (mine !== flow) return;
      if (!(err instanceof HubError)) throw err;
      const wrongPassword = err.code === "invalid_password" || err.code === "password_required" || err.status === 401;
      setJoin({ phase: "details", error: err.message, passwordNeeded: f.passwordNeeded || wrongPassword, focus: wrongPassword ? "password" : "join" });
    }
  }

  /** Saves the flow's settings when a profile name was given: headers as `{name, env}` only. */
  function saveJoinProfile(f: JoinForm): string {
    const name = f.saveAs.trim();
    if (!name) return "";
    try {
      saveProfile(name, { hub: client.url, code: f.code, endpoint: f.probed?.endpoint ?? f.endpoint, networkEndpoint: f.networkEndpoint, model: f.model, nickname: f.nickname.trim(), headers: f.headers.map((h) => ({ name: h.name, env: h.env })) }, { path: settingsFile });
      return ` · saved profile "${name}"`;
    } catch (err) {
      if (!(err instanceof SettingsError) && !(err instanceof Error && "code" in err)) throw err;
      return ` · profile not saved: ${message(err)}`;
    }
  }

  async function leaveSession() {
    const s = session;
    if (!s) return;
    session = undefined;
    await s.stop();
    set({ session: undefined, flash: { text: `left room ${s.view.code}`, level: "info" } });
  }

  async function runCreate() {
    const f = state.create;
    if (!f) return;
    const problem = f.password ? roomPasswordProblem(f.password) : undefined;
    if (problem) return set({ create: { ...f, error: problem, focus: "password" } });
    set({ create: { ...f, busy: true, error: undefined } });
    try {
      let config: Record<string, unknown> | undefined;
      if (f.defaultsFile.trim()) {
        const parsed: unknown = JSON.parse(await readFile(f.defaultsFile.trim(), "utf8"));
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${f.defaultsFile.trim()}: expected a JSON object of room defaults`);
        config = parsed as Record<string, unknown>;
      }
      const { room } = await client.createRoom({ name: f.name.trim() || "gambi room", password: f.password || undefined, config });
      set({ screen: "rooms", create: undefined, flash: { text: `created room ${room.code} "${room.name}" · inference at ${client.url}/rooms/${room.code}/v1`, level: "info" } });
      await refreshRooms(room.code);
    } catch (err) {
      if (state.create) set({ create: { ...state.create, busy: false, error: message(err) } });
    }
  }

  function roomsKey(k: Key) {
    const n = state.rooms?.length ?? 0;
    const current = state.rooms?.[state.selected];
    if (k === "up") set({ selected: Math.max(0, state.selected - 1) });
    else if (k === "down") set({ selected: Math.min(Math.max(0, n - 1), state.selected + 1) });
    else if (isChar(k, "r")) void poll();
    else if (isChar(k, "c")) set({ screen: "create", create: newCreateForm(), flash: undefined });
    else if (isChar(k, "j")) openJoin(current);
    else if (k === "enter" && current) {
      if (current.passwordProtected) set({ passwordFor: current, screen: "password" });
      else openRoom(current);
    }
  }

  function onKey(k: Key) {
    if (k === "ctrl-c") return void quit();
    switch (state.screen) {
      case "password":
        if (k === "escape") set({ screen: "rooms", passwordInput: "" });
        else if (k === "backspace") set({ passwordInput: state.passwordInput.slice(0, -1) });
        else if (k === "enter" && state.passwordFor) {
          const pw = state.passwordInput;
          set({ passwordInput: "" });
          openRoom(state.passwordFor, pw);
        } else if (typeof k === "object") set({ passwordInput: state.passwordInput + k.char });
        return;
      case "join": {
        if (!state.join) return;
        const { form: next, action } = joinFormKey(state.join, k);
        const form = markHeaderEntries(next, env);
        if (form !== state.join) set({ join: form });
        if (action === "back") leaveJoin();
        else if (action === "probe") void runProbe();
        else if (action === "join") void runJoin();
        return;
      }
      case "create": {
        if (!state.create) return;
        const { form, action } = createFormKey(state.create, k);
        if (action === "back") set({ screen: "rooms", create: undefined });
        else {
          set({ create: form });
          if (action === "create") void runCreate();
        }
        return;
      }
      case "room":
        if (isChar(k, "q")) return void quit();
        if (k === "escape" || k === "backspace") closeRoom();
        else if (isChar(k, "l") && session) void leaveSession();
        else if (isChar(k, "j")) openJoin(state.rooms?.find((r) => r.code === state.room?.code) ?? (state.room ? ({ code: state.room.code, name: state.room.name } as PublicRoom) : undefined));
        return;
      default:
        if (isChar(k, "q")) return void quit();
        roomsKey(k);
    }
  }

  /** Leaves the joined room (if any), stops every timer and stream; resolves when done. */
  function quit(): Promise<void> {
    quitting ??= (async () => {
      flow++;
      roomWatch?.abort();
      if (ticker) clearInterval(ticker);
      const s = session;
      session = undefined;
      // A hub that is down cannot be told; leaving must not hold the exit for long.
      if (s) await Promise.race([s.stop(), new Promise((r) => setTimeout(r, 3000))]);
      onQuit();
    })();
    return quitting;
  }

  return {
    getState: () => state,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onKey,
    quit,
    /** Starts polling; `whenQuit` is called once everything is stopped after q / Ctrl-C / quit(). */
    start(whenQuit: () => void) {
      onQuit = whenQuit;
      ticker = setInterval(() => {
        if (Date.now() >= nextPollAt) void poll();
        else set({}); // the retry countdown and the clock move
      }, TICK_MS);
      void poll();
    },
  };
}

export type Controller = ReturnType<typeof createController>;
