/**
 * The TUI's join flow, from the form to a running participant: open the form (with the saved
 * profiles), probe the endpoint, join, save the profile, and leave again. The participant is
 * the same session `gambi join` runs (session.ts over join/session.ts), direct or through a
 * tunnel (`gambi join --tunnel`: the join carries no endpoint and no auth headers; the headers
 * stay in this process, for the tunnel's requests to the endpoint). A probe or join that
 * finishes after the form was left (or another probe started) is ignored: each run takes a
 * number, and only the latest counts.
 */
import { HubError, type HubClient, type PublicRoom } from "../client.ts";
import { friendlyName } from "../join/names.ts";
import { probeOwnEndpoint, protocolsSpoken } from "../join/probe.ts";
import { saveJoinProfile } from "../join/session.ts";
import { hasCode } from "../protocol/error-codes.ts";
import { isLoopbackHost } from "../protocol/endpoint.ts";
import { GambiError } from "../protocol/openai/errors.ts";
import { readSettingsQuietly } from "../settings.ts";
import { authHeadersFromEnv, formMaxConcurrency, joinFormKey, markHeaderEntries, newJoinForm, validateJoinForm, type JoinForm } from "./join-form.ts";
import type { Key } from "./keys.ts";
import { startSession, type Session } from "./session.ts";
import type { Screen } from "./state.ts";
import type { Store } from "./store.ts";

export interface JoinFlowOptions {
  store: Store;
  client: HubClient;
  env: Record<string, string | undefined>;
  settingsFile: string;
  heartbeatMs?: number;
  /** Shows the joined room (room-follow.ts), with the password the join used. */
  openRoom: (room: Pick<PublicRoom, "code" | "name">, password?: string) => void;
}

export function createJoinFlow(opts: JoinFlowOptions) {
  const { store, client, env } = opts;
  let session: Session | undefined;
  /** Bumped when a join flow starts or is left: a probe or join that finishes late is ignored. */
  let flow = 0;
  let joinReturn: Screen = "rooms";
  const setJoin = (patch: Partial<JoinForm>) => {
    const join = store.get().join;
    return join && store.set({ join: { ...join, ...patch } });
  };

  function open(room?: PublicRoom) {
    if (session) return store.set({ flash: { text: `already serving in room ${session.view.code}: leave it first (l in its room view)`, level: "error" } });
    const settings = readSettingsQuietly(opts.settingsFile);
    const profiles = Object.entries(settings.profiles ?? {}).map(([name, profile]) => ({ name, profile }));
    joinReturn = store.get().screen === "room" ? "room" : "rooms";
    flow++;
    const hubRemote = !isLoopbackHost(client.url);
    store.set({ screen: "join", flash: undefined, join: newJoinForm({ code: room?.code, nickname: friendlyName(), passwordNeeded: room?.passwordProtected, profiles, hubRemote }) });
  }

  function back() {
    flow++;
    store.set({ screen: joinReturn === "room" && store.get().room ? "room" : "rooms", join: undefined });
  }

  async function probe() {
    const current = store.get().join;
    if (!current) return;
    const { form, ok } = validateJoinForm(current, env);
    store.set({ join: { ...form, phase: ok ? "probing" : "form" } });
    if (!ok) return;
    const mine = ++flow;
    try {
      // Whether it has /v1/embeddings too (one more POST of `{}`): the model list then offers tab to pick models that embed.
      const probed = await probeOwnEndpoint(form.endpoint, authHeadersFromEnv(form.headers, env), { concurrency: true, embeddings: true });
      const s = store.get();
      if (mine !== flow || !s.join) return;
      const models = [...new Set(probed.models ?? [])];
      const known = s.rooms?.find((r) => r.code === form.code);
      // Models picked before (a profile's, or an earlier probe's) stay picked; the cursor starts on the first.
      const at = models.indexOf(s.join.models[0] ?? s.join.embeddingModels[0] ?? "");
      const c = probed.concurrency;
      setJoin({
        phase: "model",
        probed: { endpoint: form.endpoint, speaks: protocolsSpoken(probed), models, embeddings: probed.capabilities.embeddings === true, concurrency: c ? `${c.value}: ${c.why}` : undefined },
        modelFilter: "",
        modelIndex: Math.max(0, at),
        passwordNeeded: s.join.passwordNeeded || known?.passwordProtected === true,
        error: undefined,
      });
    } catch (err) {
      if (mine !== flow) return;
      if (!(err instanceof GambiError)) throw err;
      const rejected = hasCode(err, "endpoint_credentials_rejected");
      setJoin({ phase: "form", focus: rejected ? "advanced" : "probe", error: err.message, advanced: store.get().join!.advanced || rejected });
    }
  }

  async function join() {
    const f = store.get().join;
    if (!f?.probed) return;
    if (!f.nickname.trim()) return setJoin({ error: "a nickname is needed", focus: "nickname" });
    if (f.passwordNeeded && !f.password) return setJoin({ error: "the room is protected: type its password", focus: "password" });
    const capacity = formMaxConcurrency(f);
    if (capacity.error) return setJoin({ error: capacity.error, focus: "concurrency" });
    setJoin({ phase: "joining", error: undefined });
    const mine = ++flow;
    const started = startSession({
      client,
      code: f.code,
      // Through a tunnel this machine's URL is used here only; direct, the hub's way to it.
      endpoint: f.tunnel ? f.probed.endpoint : (f.networkEndpoint ?? f.probed.endpoint),
      tunnel: f.tunnel || undefined,
      models: f.models,
      embeddingModels: f.embeddingModels,
      maxConcurrency: capacity.value,
      nickname: f.nickname.trim(),
      password: f.password || undefined,
      authHeaders: authHeadersFromEnv(f.headers, env),
      heartbeatMs: opts.heartbeatMs,
      onChange: (view) => session && store.set({ session: view }),
    });
    try {
      const s = await started;
      if (mine !== flow) return void s.stop();
      session = s;
      const saved = saveFormProfile(f);
      store.set({ session: s.view, join: undefined, flash: { text: `joined room ${f.code} as ${s.view.nickname}${f.tunnel ? " through a tunnel" : ""}${saved}; l leaves, q quits`, level: "info" } });
      opts.openRoom({ code: f.code, name: store.get().rooms?.find((r) => r.code === f.code)?.name ?? "" }, f.password || undefined);
    } catch (err) {
      if (mine !== flow) return;
      if (!(err instanceof HubError)) throw err;
      const wrongPassword = hasCode(err, "invalid_password") || hasCode(err, "password_required") || err.status === 401;
      // As `gambi join` proposes --tunnel: the hub could not dial the endpoint, a tunnel needs it not to.
      const hint = !f.tunnel && hasCode(err, "endpoint_unreachable") ? " · esc twice, then Transport ‹ tunnel ›: your machine connects to the hub instead" : "";
      setJoin({ phase: "details", error: err.message + hint, passwordNeeded: f.passwordNeeded || wrongPassword, focus: wrongPassword ? "password" : "join" });
    }
  }

  /** Saves the flow's settings when a profile name was given: headers as `{name, env}` only. */
  function saveFormProfile(f: JoinForm): string {
    const name = f.saveAs.trim();
    if (!name) return "";
    const input = {
      hub: client.url,
      code: f.code,
      endpoint: f.probed?.endpoint ?? f.endpoint,
      networkEndpoint: f.tunnel ? undefined : f.networkEndpoint,
      tunnel: f.tunnel,
      models: f.models,
      embeddingModels: f.embeddingModels,
      maxConcurrency: formMaxConcurrency(f).value,
      nickname: f.nickname.trim(),
      headers: f.headers.map((h) => ({ name: h.name, env: h.env })),
    };
    const saved = saveJoinProfile(name, input, { path: opts.settingsFile });
    return "problem" in saved ? ` · profile not saved: ${saved.problem}` : ` · saved profile "${name}"`;
  }

  return {
    open,
    /** A key on the join screen: the form changes, and may go back, probe or join. */
    key(k: Key) {
      const current = store.get().join;
      if (!current) return;
      const { form: next, action } = joinFormKey(current, k);
      const form = markHeaderEntries(next, env);
      if (form !== current) store.set({ join: form });
      if (action === "back") back();
      else if (action === "probe") void probe();
      else if (action === "join") void join();
    },
    get serving() {
      return session !== undefined;
    },
    /** `l` in the room view: leaves the joined room. */
    async leave() {
      const s = session;
      if (!s) return;
      session = undefined;
      await s.stop();
      store.set({ session: undefined, flash: { text: `left room ${s.view.code}`, level: "info" } });
    },
    /** On quit: a probe or join still under way is ignored, and the joined room is left (waiting at most 3 s). */
    async stop() {
      flow++;
      const s = session;
      session = undefined;
      // A hub that is down cannot be told; leaving must not hold the exit for long.
      if (s) await Promise.race([s.stop(), new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}
