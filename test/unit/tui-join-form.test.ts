/**
 * The TUI's join and create forms as pure key → state functions, driven the way a person types:
 * focus order, provider choice, transport, Advanced options and header entries, env-var checks, profile
 * loading, the model list, and that no state ever holds a header value.
 */
import { describe, expect, test } from "bun:test";
import { PROVIDERS } from "../../src/join/providers.ts";
import { createFormKey, newCreateForm } from "../../src/tui/create-form.ts";
import {
  authHeadersFromEnv,
  CUSTOM,
  focusOrder,
  formMaxConcurrency,
  joinFormKey,
  markHeaderEntries,
  newJoinForm,
  transportNote,
  validateJoinForm,
  type JoinAction,
  type JoinForm,
} from "../../src/tui/join-form.ts";
import { fromInk, splitPlain, type Key } from "../../src/tui/keys.ts";

const SECRET = "sk-test-canary-7f3a";
const ENV = { TEST_AUTH: SECRET, EMPTY: "" };

const NAMED = new Set(["up", "down", "left", "right", "enter", "escape", "backspace", "tab"]);

/** Types a sequence: strings are typed as text, other keys pressed; each state is re-marked as the controller does. */
function drive(f: JoinForm, keys: (Key | string)[], env: Record<string, string> = ENV): { form: JoinForm; actions: JoinAction[]; seen: JoinForm[] } {
  const actions: JoinAction[] = [];
  const seen: JoinForm[] = [];
  for (const k of keys) {
    const r = joinFormKey(f, typeof k === "string" && !NAMED.has(k) ? { char: k } : (k as Key));
    f = markHeaderEntries(r.form, env);
    if (r.action) actions.push(r.action);
    seen.push(f);
  }
  return { form: f, actions, seen };
}

const fresh = () => newJoinForm({ code: "K7QX2M", nickname: "brave-otter-42" });

describe("join form", () => {
  test("focus starts at the provider when the room is known, and moves through every row", () => {
    const f = fresh();
    expect(f.focus).toBe("provider");
    expect(focusOrder(f)).toEqual(["code", "provider", "endpoint", "transport", "advanced", "save", "probe"]);
    expect(newJoinForm({ nickname: "x" }).focus).toBe("code");
    expect(drive(f, ["down", "down", "down", "down", "down"]).form.focus).toBe("probe");
    expect(drive(f, ["up", "up", "up"]).form.focus).toBe("code");
  });

  test("←/→ on the provider cycles the list and the custom URL, setting the endpoint", () => {
    const { form } = drive(fresh(), ["right"]);
    expect(form.endpoint).toBe(PROVIDERS[1]!.baseUrl);
    const custom = drive(fresh(), ["left"]).form;
    expect(custom.provider).toBe(CUSTOM);
    expect(custom.endpoint).toBe("");
    // Typing a known provider's URL selects it.
    const typed = drive(custom, ["down", "https://api.groq.com/openai"]).form;
    expect(typed.provider).toBe(PROVIDERS.findIndex((p) => p.id === "groq"));
  });

  test("Advanced options: expand, add Authorization → TEST_AUTH, marked set once the cursor leaves", () => {
    const { form, seen } = drive(fresh(), ["down", "down", "down", "enter", "enter", "TEST_AUTH"]);
    expect(seen[3]!.advanced).toBe(true);
    expect(seen[3]!.focus).toBe("add");
    expect(form.headers).toEqual([{ name: "Authorization", env: "TEST_AUTH" }]);
    expect(form.focus).toBe("h0.env");
    const left = drive(form, ["down"]).form;
    expect(left.headers[0]).toEqual({ name: "Authorization", env: "TEST_AUTH", ok: true });
  });

  test("a cloud provider's usual variable is offered for its Authorization entry", () => {
    const openai = PROVIDERS.findIndex((p) => p.id === "openai");
    const f = { ...fresh(), provider: openai, endpoint: PROVIDERS[openai]!.baseUrl, advanced: true, focus: "add" };
    expect(drive(f, ["enter"]).form.headers).toEqual([{ name: "Authorization", env: "OPENAI_API_KEY" }]);
  });

  test("Anthropic is one of the providers: its key goes in x-api-key, from ANTHROPIC_API_KEY", () => {
    const anthropic = PROVIDERS.findIndex((p) => p.id === "anthropic");
    expect(PROVIDERS[anthropic]).toMatchObject({ baseUrl: "https://api.anthropic.com", local: false });
    const f = { ...fresh(), provider: anthropic, endpoint: PROVIDERS[anthropic]!.baseUrl, advanced: true, focus: "add" };
    expect(drive(f, ["enter"]).form.headers).toEqual([{ name: "x-api-key", env: "ANTHROPIC_API_KEY" }]);
  });

  test("a missing variable is shown next to its entry; the probe is refused until it is fixed", () => {
    const f = { ...fresh(), advanced: true, headers: [{ name: "Authorization", env: "NOPE_NOT_SET" }, { name: "X-Org", env: "EMPTY" }], focus: "probe" };
    const marked = markHeaderEntries(f, ENV);
    expect(marked.headers.map((h) => h.problem)).toEqual(["NOPE_NOT_SET is not set", "EMPTY is not set"]);
    const { form, ok } = validateJoinForm(f, ENV);
    expect(ok).toBe(false);
    expect(form.error).toBe("fix the marked auth header entries (Advanced options)");
    expect(drive(f, ["enter"]).actions).toEqual(["probe"]); // the controller validates before probing
  });

  test("validation: room code, endpoint URL, header and variable names; empty entries dropped", () => {
    expect(validateJoinForm({ ...fresh(), code: "abc" }, ENV).form.error).toBe("the room code is 6 letters or digits");
    expect(validateJoinForm({ ...fresh(), endpoint: "ftp://x" }, ENV).form.error).toMatch(/^endpoint: /);
    const bad = validateJoinForm({ ...fresh(), headers: [{ name: "Bad Name", env: "TEST_AUTH" }, { name: "X-A", env: "1BAD" }, { name: "", env: "" }] }, ENV).form;
    expect(bad.headers.map((h) => h.problem)).toEqual(["not a valid header name", "not an environment variable name"]);
    const good = validateJoinForm({ ...fresh(), code: "k7qx2m", endpoint: "http://gpu:8000/v1/", headers: [{ name: "Authorization", env: "TEST_AUTH" }] }, ENV);
    expect(good.ok).toBe(true);
    expect(good.form.code).toBe("K7QX2M");
    expect(good.form.endpoint).toBe("http://gpu:8000");
  });

  test("backspace on an empty header entry removes it", () => {
    const f = { ...fresh(), advanced: true, headers: [{ name: "X", env: "" }], focus: "h0.name" };
    const { form } = drive(f, ["backspace", "backspace"]);
    expect(form.headers).toEqual([]);
    expect(form.focus).toBe("add");
  });

  test("a saved profile fills the form, headers as {name, env}", () => {
    const profiles = [{ name: "groq", profile: { code: "AB12CD", endpoint: "https://api.groq.com/openai", model: "llama-3.1-8b", nickname: "gq", headers: [{ name: "Authorization", env: "TEST_AUTH" }] } }];
    const f = newJoinForm({ nickname: "x", profiles });
    expect(focusOrder(f)[0]).toBe("profile");
    const { form } = drive(f, ["up", "up", "right"]);
    expect(form).toMatchObject({ profile: 0, code: "AB12CD", endpoint: "https://api.groq.com/openai", models: ["llama-3.1-8b"], maxConcurrency: "", nickname: "gq", saveAs: "groq", advanced: true });
    expect(form.headers).toEqual([{ name: "Authorization", env: "TEST_AUTH", ok: true }]);
    expect(drive(form, ["right"]).form.profile).toBe(-1);
    // A profile saved with --network-endpoint keeps it, until the endpoint is edited by hand.
    const lan = newJoinForm({ nickname: "x", profiles: [{ name: "lan", profile: { endpoint: "http://localhost:11434", networkEndpoint: "http://192.168.1.20:11434" } }] });
    const loaded = drive(lan, ["up", "up", "right"]).form;
    expect(loaded.networkEndpoint).toBe("http://192.168.1.20:11434");
    expect(drive(loaded, ["down", "down", "down", "4"]).form.networkEndpoint).toBeUndefined();
    // Several models and a capacity come back as saved; `models` wins over the `model` beside it.
    const multi = newJoinForm({ nickname: "x", profiles: [{ name: "multi", profile: { model: "a", models: ["a", "b"], maxConcurrency: 6 } }] });
    expect(drive(multi, ["up", "up", "right"]).form).toMatchObject({ models: ["a", "b"], maxConcurrency: "6" });
  });

  test("transport: direct by default, ←/→ switches to a tunnel (which needs no network endpoint), and a profile brings its own", () => {
    const f = fresh();
    expect(f.tunnel).toBe(false);
    expect(transportNote(f)).toEqual({ text: "the hub dials your endpoint", warn: false });
    const tunnel = drive(f, ["down", "down", "right"]).form;
    expect(tunnel).toMatchObject({ focus: "transport", tunnel: true });
    expect(transportNote(tunnel)).toEqual({ text: "you connect to the hub; your keys stay here", warn: false });
    expect(drive(tunnel, ["left"]).form.tunnel).toBe(false);
    // Enter moves on, as on every choice row.
    expect(drive(tunnel, ["enter"]).form).toMatchObject({ focus: "advanced", tunnel: true });
    // A hub on another machine cannot dial a loopback endpoint: said next to the choice.
    const remote = newJoinForm({ code: "K7QX2M", nickname: "x", hubRemote: true });
    expect(transportNote(remote)).toEqual({ text: "the hub cannot reach localhost: ←/→ tunnel", warn: true });
    expect(transportNote({ ...remote, endpoint: "http://192.168.1.20:11434" }).warn).toBe(false);
    expect(transportNote({ ...remote, tunnel: true }).warn).toBe(false);
    // A profile saved with --tunnel comes back as one; a network endpoint beside it is meaningless and dropped.
    const profiles = [{ name: "laptop", profile: { endpoint: "http://localhost:11434", tunnel: true, networkEndpoint: "http://192.168.1.20:11434" } }];
    const loaded = drive(newJoinForm({ nickname: "x", profiles }), ["up", "up", "right"]).form;
    expect(loaded).toMatchObject({ tunnel: true, endpoint: "http://localhost:11434" });
    expect(loaded.networkEndpoint).toBeUndefined();
    // Switching a LAN profile to a tunnel drops its network endpoint too.
    const lan = drive(newJoinForm({ nickname: "x", profiles: [{ name: "lan", profile: { endpoint: "http://localhost:11434", networkEndpoint: "http://192.168.1.20:11434" } }] }), ["up", "up", "right"]).form;
    expect(drive(lan, ["down", "down", "down", "down", "right"]).form).toMatchObject({ tunnel: true, networkEndpoint: undefined });
  });

  test("models: type to filter, ↑/↓ to pick, enter chooses; an unlisted name is taken as typed", () => {
    const probed = { endpoint: "http://gpu:8000", speaks: "Chat Completions", models: ["llama3.2", "llama3.1:8b", "qwen2.5"] };
    const f: JoinForm = { ...fresh(), phase: "model", probed };
    const picked = drive(f, ["llama", "down", "enter"]).form;
    expect(picked).toMatchObject({ models: ["llama3.1:8b"], phase: "details", focus: "nickname" });
    expect(drive(f, ["my-own", "enter"]).form.models).toEqual(["my-own"]);
    expect(drive(picked, ["escape"]).form.phase).toBe("model");
    expect(drive(f, ["escape"]).form.phase).toBe("form");
  });

  test("several models: space picks (the first picked is the default), space again unpicks, enter confirms the picks", () => {
    const probed = { endpoint: "http://gpu:8000", speaks: "Chat Completions", models: ["llama3.2", "llama3.1:8b", "qwen2.5"] };
    const f: JoinForm = { ...fresh(), phase: "model", probed };
    const two = drive(f, ["qwen", " ", "backspace", "backspace", "backspace", "backspace", " "]).form;
    expect(two.models).toEqual(["qwen2.5", "llama3.2"]);
    expect(drive(two, ["enter"]).form).toMatchObject({ models: ["qwen2.5", "llama3.2"], phase: "details" });
    // Enter with picks confirms them, whichever model is highlighted.
    expect(drive(two, ["down", "enter"]).form.models).toEqual(["qwen2.5", "llama3.2"]);
    expect(drive(two, [" "]).form.models).toEqual(["qwen2.5"]);
    // A pasted run: spaces pick, the rest filters.
    expect(drive(f, ["llama3.1 "]).form).toMatchObject({ models: ["llama3.1:8b"], modelFilter: "llama3.1" });
    // A name the endpoint does not list is picked as typed, and the filter cleared for the next.
    const typed = drive(f, ["mine", " ", "other", " "]).form;
    expect(typed).toMatchObject({ models: ["mine", "other"], modelFilter: "" });
    expect(drive(f, [" "]).form.models).toEqual(["llama3.2"]);
    expect(drive({ ...f, probed: { ...probed, models: [] } }, [" ", "enter"]).form.error).toBe("type a model name");
  });

  test("models that embed: tab picks (and unpicks) them apart from the chat picks; enter goes on with them alone too", () => {
    const probed = { endpoint: "http://gpu:8080", speaks: "Chat Completions + Embeddings", models: ["llama3.2", "nomic-embed", "bge-m3"], embeddings: true };
    const f: JoinForm = { ...fresh(), phase: "model", probed };
    expect(f.embeddingModels).toEqual([]);
    // Space picks llama3.2 for chat; tab on nomic-embed and bge-m3 picks them to embed.
    const both = drive(f, [" ", "down", "tab", "down", "tab"]).form;
    expect(both).toMatchObject({ models: ["llama3.2"], embeddingModels: ["nomic-embed", "bge-m3"], phase: "model" });
    expect(drive(both, ["tab"]).form.embeddingModels).toEqual(["nomic-embed"]);
    expect(drive(both, ["enter"]).form).toMatchObject({ models: ["llama3.2"], embeddingModels: ["nomic-embed", "bge-m3"], phase: "details" });
    // A model may be in both lists (a server that chats and embeds with one model).
    expect(drive(f, [" ", "tab"]).form).toMatchObject({ models: ["llama3.2"], embeddingModels: ["llama3.2"] });
    // Only models that embed: enter does not add the highlighted one as a chat model.
    expect(drive(f, ["bge", "tab", "enter"]).form).toMatchObject({ models: [], embeddingModels: ["bge-m3"], phase: "details" });
    // A name the endpoint does not list is picked as typed.
    expect(drive(f, ["mine-embed", "tab"]).form).toMatchObject({ embeddingModels: ["mine-embed"], modelFilter: "" });
  });

  test("an endpoint without /v1/embeddings: tab says so and picks nothing; a profile's pick must be undone before enter", () => {
    const probed = { endpoint: "http://gpu:8000", speaks: "Chat Completions", models: ["llama3.2", "old-embed"], embeddings: false };
    const f: JoinForm = { ...fresh(), phase: "model", probed };
    const refused = drive(f, ["tab"]).form;
    expect(refused.embeddingModels).toEqual([]);
    expect(refused.error).toBe("http://gpu:8000 has no /v1/embeddings (llama.cpp's llama-server serves it with --embeddings)");
    const fromProfile: JoinForm = { ...f, embeddingModels: ["old-embed"] };
    const stuck = drive(fromProfile, ["enter"]).form;
    expect(stuck.phase).toBe("model");
    expect(stuck.error).toContain("unpick old-embed (tab)");
    const undone = drive(fromProfile, ["down", "tab", "enter"]).form;
    expect(undone).toMatchObject({ embeddingModels: [], models: ["old-embed"], phase: "details" });
  });

  test("a profile's embedding models come back picked", () => {
    const profiles = [{ name: "rag", profile: { endpoint: "http://gpu:8080", model: "llama3.2", embeddingModels: ["nomic-embed"] } }];
    const loaded = drive(newJoinForm({ nickname: "x", profiles }), ["up", "up", "right"]).form;
    expect(loaded).toMatchObject({ models: ["llama3.2"], embeddingModels: ["nomic-embed"] });
    expect(drive(loaded, ["right"]).form.profile).toBe(-1);
    // A profile without them leaves none picked.
    const plain = drive(newJoinForm({ nickname: "x", profiles: [{ name: "p", profile: { model: "m" } }] }), ["up", "up", "right"]).form;
    expect(plain.embeddingModels).toEqual([]);
  });

  test("details: nickname, password when protected, the capacity, then the join action; esc in the form leaves the flow", () => {
    const f: JoinForm = { ...fresh(), phase: "details", focus: "nickname", models: ["m"], passwordNeeded: true, probed: { endpoint: "http://x", speaks: "", models: [] } };
    expect(focusOrder(f)).toEqual(["nickname", "password", "concurrency", "join"]);
    const r = drive(f, ["-2", "down", "pw", "down", "1x2", "down", "enter"]);
    expect(r.form).toMatchObject({ nickname: "brave-otter-42-2", password: "pw", maxConcurrency: "12" });
    expect(r.actions).toEqual(["join"]);
    expect(drive(fresh(), ["escape"]).actions).toEqual(["back"]);
    expect(drive({ ...f, focus: "concurrency" }, ["123456"]).form.maxConcurrency).toBe("1234");
  });

  test("the capacity as the join sends it: empty is the hub's default, out of range is an error", () => {
    const f = fresh();
    expect(formMaxConcurrency({ ...f, maxConcurrency: "" })).toEqual({});
    expect(formMaxConcurrency({ ...f, maxConcurrency: "8" })).toEqual({ value: 8 });
    expect(formMaxConcurrency({ ...f, maxConcurrency: "1024" })).toEqual({ value: 1024 });
    for (const bad of ["0", "1025", "9999"]) expect(formMaxConcurrency({ ...f, maxConcurrency: bad }).error).toStartWith("max concurrency: a whole number from 1 to 1024");
  });

  test("no form state ever holds a header value; the value is read only into the request headers", () => {
    const { seen } = drive(fresh(), ["down", "down", "down", "enter", "enter", "TEST_AUTH", "down", "down", "my-profile", "down", "enter"]);
    for (const s of seen) expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(authHeadersFromEnv(seen.at(-1)!.headers, ENV)).toEqual({ Authorization: `Bearer ${SECRET}` });
    expect(authHeadersFromEnv([{ name: "X-Key", env: "TEST_AUTH" }], ENV)).toEqual({ "X-Key": SECRET });
  });
});

test("create form: fields in order, text editing, create on the button, esc backs out", () => {
  let f = newCreateForm();
  const press = (k: Key) => {
    const r = createFormKey(f, k);
    f = r.form;
    return r.action;
  };
  press({ char: "team" });
  press("enter");
  press({ char: "pw1" });
  press("backspace");
  press("down");
  press({ char: "room.json" });
  expect(f).toMatchObject({ name: "team", password: "pw", defaultsFile: "room.json", focus: "defaults" });
  press("enter");
  expect(press("enter")).toBe("create");
  expect(press("escape")).toBe("back");
});

test("keys: a run of plain bytes is split into text and the control keys inside it", () => {
  expect(splitPlain("TEST_AUTH\r")).toEqual([{ char: "TEST_AUTH" }, "enter"]);
  expect(splitPlain("\x7f\x7fab\tc\x03")).toEqual(["backspace", "backspace", { char: "ab" }, "tab", { char: "c" }, "ctrl-c"]);
  const none = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, return: false, escape: false, backspace: false, delete: false, tab: false, shift: false, ctrl: false, meta: false } as Parameters<typeof fromInk>[1];
  expect(fromInk("q", none)).toEqual([{ char: "q" }]);
  expect(fromInk("", { ...none, upArrow: true })).toEqual(["up"]);
  expect(fromInk("", { ...none, delete: true })).toEqual(["backspace"]);
  expect(fromInk("c", { ...none, ctrl: true })).toEqual(["ctrl-c"]);
  expect(fromInk("", { ...none, tab: true, shift: true })).toEqual(["shift-tab"]);
  expect(fromInk("abc\r", none)).toEqual([{ char: "abc" }, "enter"]);
});
