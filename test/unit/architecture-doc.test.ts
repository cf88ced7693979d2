/**
 * docs/architecture.md is the map a newcomer reads first: it must name every layer and every
 * file of the hub, the relay and the protocol library, and every file it names must exist.
 * A file added, moved or renamed without the map following fails here.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { LAYERS } from "../../scripts/check-imports.ts";

const SRC = join(import.meta.dir, "../../src");
const doc = readFileSync(join(import.meta.dir, "../../docs/architecture.md"), "utf8");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(SRC, path)];
  });
}
const all = files(SRC);
const scripts = readdirSync(join(import.meta.dir, "../../scripts"));
const basenames = new Set([...all.map((f) => f.split("/").at(-1)!), ...scripts]);

test("every layer of the import rule is on the map", () => {
  for (const layer of Object.keys(LAYERS)) expect(doc, layer).toContain(layer.endsWith(".ts") ? `\`${layer}\`` : `${layer}/`);
});

test("every file of hub/, proxy/ and protocol/ (adapter folders aside) is named", () => {
  const named = all.filter((f) => /^(hub|proxy|protocol)\//.test(f) && !/^protocol\/adapters\/[^/]+\//.test(f));
  const missing = named.filter((f) => !doc.includes(f.split("/").at(-1)!.replace(/\.tsx?$/, "")));
  expect(missing).toEqual([]);
});

test("every source or script file the map names exists", () => {
  const mentioned = [...doc.matchAll(/([\w-]+\.tsx?)\b/g)].map((m) => m[1]!);
  expect(mentioned.length).toBeGreaterThan(50);
  const unknown = [...new Set(mentioned)].filter((name) => !basenames.has(name));
  expect(unknown).toEqual([]);
});
