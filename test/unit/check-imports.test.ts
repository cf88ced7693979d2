/** scripts/check-imports.ts: the import rule and cycle check CI runs, on graphs made here and on src/. */
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cycles, importGraph, layerViolations, LAYERS } from "../../scripts/check-imports.ts";

const layers = { app: ["lib"], lib: [] } as const;

test("an import into an allowed layer passes; one against the rule is named with both files", () => {
  const graph = { "app/main.ts": ["lib/a.ts", "app/util.ts"], "app/util.ts": [], "lib/a.ts": ["app/main.ts"] };
  expect(layerViolations(graph, layers)).toEqual(['lib/a.ts → app/main.ts: "lib" may not import "app"']);
  expect(layerViolations({ "x/y.ts": ["lib/a.ts"], "lib/a.ts": [] }, layers)).toEqual(['x/y.ts → lib/a.ts: layer "x" is not in scripts/check-imports.ts LAYERS']);
});

test("cycles of any length are found, each once; a graph without one has none", () => {
  expect(cycles({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] })).toEqual([["a", "b", "c"]]);
  expect(cycles({ a: ["a"] })).toEqual([["a"]]);
  expect(cycles({ a: ["b"], b: ["c"], c: [], d: ["b", "c"] })).toEqual([]);
  expect(cycles({ a: ["b"], b: ["a"], c: ["d"], d: ["c"] })).toHaveLength(2);
});

test("type-only, multi-line, re-exported and dynamic imports are all read, in .ts and .tsx, shebang or not", () => {
  const dir = mkdtempSync(join(tmpdir(), "gambi-imports-"));
  try {
    mkdirSync(join(dir, "app"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib", "types.ts"), "export interface T { a: number }\n");
    writeFileSync(join(dir, "lib", "values.ts"), "export const v = 1;\n");
    writeFileSync(join(dir, "lib", "lazy.ts"), "export default 2;\n");
    writeFileSync(
      join(dir, "app", "main.ts"),
      ['#!/usr/bin/env bun', 'import type {', '  T,', '} from "../lib/types.ts";', 'export { v } from "../lib/values.ts";', '// import { nope } from "../lib/commented.ts";', 'const t: T = { a: 1 };', 'export const lazy = () => import("../lib/lazy.ts");', ""].join("\n"),
    );
    writeFileSync(join(dir, "app", "view.tsx"), 'import type { T } from "../lib/types.ts";\nexport const V = (p: { t: T }) => <b>{p.t.a}</b>;\n');
    const graph = importGraph(dir);
    expect(graph["app/main.ts"]).toEqual(["lib/lazy.ts", "lib/types.ts", "lib/values.ts"]);
    expect(graph["app/view.tsx"]).toEqual(["lib/types.ts"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the real src/ keeps the rule, with no cycle", () => {
  const graph = importGraph(join(import.meta.dir, "../../src"));
  expect(Object.values(graph).flat().length).toBeGreaterThan(200);
  expect(graph["cli.ts"]!.some((t) => t.startsWith("commands/"))).toBe(true);
  expect(Object.keys(graph).every((f) => f.split("/")[0]! in LAYERS)).toBe(true);
  expect(layerViolations(graph)).toEqual([]);
  expect(cycles(graph)).toEqual([]);
});
