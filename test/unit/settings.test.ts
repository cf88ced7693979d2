import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProfile, loadSettings, saveProfile, settingsPath, SettingsError, toSavedProfile } from "../../src/settings.ts";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gambi-settings-"));
  path = join(dir, "gambi", "config.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("path: XDG_CONFIG_HOME wins, else HOME/.config", () => {
  expect(settingsPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/gambi/config.json");
  expect(settingsPath({ HOME: "/h" })).toBe("/h/.config/gambi/config.json");
  expect(settingsPath({ XDG_CONFIG_HOME: "", HOME: "/h" })).toBe("/h/.config/gambi/config.json");
});

test("no file reads as empty settings", () => {
  expect(loadSettings(path)).toEqual({});
});

test("a header with a value is reduced to nothing; an env reference is kept as {name, env}", () => {
  const input = {
    hub: "http://hub:3000",
    models: ["m"],
    headers: [
      { name: "Authorization", value: "Bearer sk-never-saved", env: "OPENROUTER_AUTH" },
      { name: "X-Typed", value: "typed-secret" },
    ],
    // Fields the schema does not know must not ride along either.
    authHeaders: { Authorization: "Bearer sk-never-saved" },
  } as unknown as Parameters<typeof toSavedProfile>[0];
  const saved = toSavedProfile(input);
  expect(saved).toEqual({ hub: "http://hub:3000", model: "m", headers: [{ name: "Authorization", env: "OPENROUTER_AUTH" }] });
  saveProfile("p", input, { path, setDefaultHub: true });
  const text = readFileSync(path, "utf8");
  expect(text).not.toContain("sk-never-saved");
  expect(text).not.toContain("typed-secret");
  expect(JSON.parse(text)).toEqual({ hub: "http://hub:3000", profiles: { p: saved } });
});

test("saving one profile keeps the others and the default hub", () => {
  saveProfile("a", { code: "AAAAAA", hub: "http://one" }, { path, setDefaultHub: true });
  saveProfile("b", { code: "BBBBBB" }, { path });
  const s = loadSettings(path);
  expect(s.hub).toBe("http://one");
  expect(findProfile(s, "a").code).toBe("AAAAAA");
  expect(findProfile(s, "b").code).toBe("BBBBBB");
  expect(() => findProfile(s, "c")).toThrow('no profile "c"; saved profiles: a, b');
});

test("a malformed file is reported by name and never overwritten", () => {
  mkdirSync(join(dir, "gambi"), { recursive: true });
  writeFileSync(path, "{ not json");
  expect(() => loadSettings(path)).toThrow(SettingsError);
  expect(() => saveProfile("x", { code: "XXXXXX" }, { path })).toThrow(path);
  expect(readFileSync(path, "utf8")).toBe("{ not json");
  writeFileSync(path, JSON.stringify({ profiles: { p: { headers: [{ name: "Authorization", value: "oops" }] } } }));
  expect(() => loadSettings(path)).toThrow(/\/profiles\/p\/headers\/0/);
});

test("profile names are checked", () => {
  expect(() => saveProfile("../evil", {}, { path })).toThrow(SettingsError);
});

test("models and maxConcurrency: the first model as `model` (older gambi reads it), `models` only for several", () => {
  expect(toSavedProfile({ models: ["a"] })).toEqual({ model: "a" });
  expect(toSavedProfile({ models: ["a", "b"], maxConcurrency: 4 })).toEqual({ model: "a", models: ["a", "b"], maxConcurrency: 4 });
  expect(toSavedProfile({ models: [], maxConcurrency: undefined })).toEqual({});
  saveProfile("multi", { models: ["a", "b"], maxConcurrency: 4 }, { path });
  expect(findProfile(loadSettings(path), "multi")).toEqual({ model: "a", models: ["a", "b"], maxConcurrency: 4 });
});

test("embedding models (--embedding-model) are saved beside the chat models, or alone, and read back", () => {
  expect(toSavedProfile({ models: ["chat"], embeddingModels: ["embed-a", "embed-b"] })).toEqual({ model: "chat", embeddingModels: ["embed-a", "embed-b"] });
  expect(toSavedProfile({ embeddingModels: ["embed-a"] })).toEqual({ embeddingModels: ["embed-a"] });
  expect(toSavedProfile({ models: ["chat"], embeddingModels: [] })).toEqual({ model: "chat" });
  saveProfile("rag", { endpoint: "http://gpu:8080", embeddingModels: ["nomic-embed-text"] }, { path });
  expect(findProfile(loadSettings(path), "rag")).toEqual({ endpoint: "http://gpu:8080", embeddingModels: ["nomic-embed-text"] });
});

test("a hand-edited maxConcurrency out of range, or an empty models list, is reported with its path", () => {
  mkdirSync(join(dir, "gambi"), { recursive: true });
  for (const [profile, where] of [
    [{ maxConcurrency: 0 }, /\/profiles\/p\/maxConcurrency/],
    [{ maxConcurrency: 2000 }, /\/profiles\/p\/maxConcurrency/],
    [{ maxConcurrency: "4" }, /\/profiles\/p\/maxConcurrency/],
    [{ models: [] }, /\/profiles\/p\/models/],
    [{ embeddingModels: [] }, /\/profiles\/p\/embeddingModels/],
    [{ embeddingModels: [""] }, /\/profiles\/p\/embeddingModels\/0/],
  ] as const) {
    writeFileSync(path, JSON.stringify({ profiles: { p: profile } }));
    expect(() => loadSettings(path)).toThrow(where);
  }
});
