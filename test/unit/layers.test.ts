/**
 * The client side's import rule, checked on the source so a stray import fails here rather
 * than in review:
 *   cli → commands → {terminal, join, chat, tui, client, settings, common, hub, proxy}
 * - only cli.ts imports commands/;
 * - join/, chat/, tui/, client.ts, settings.ts, terminal/ and common/ import nothing from
 *   commands/ or hub/ (rules both sides need live in common/);
 * - chat/ does not depend on join/ (what both need is in terminal/ or client.ts);
 * - terminal/ and common/ sit at the bottom: they import nothing else of gambi's;
 * - hub/ and proxy/ import nothing of the client side.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** A source file's top-level area: its folder under src/, or the file's own name for src/*.ts. */
const area = (path: string) => relative(SRC, path).split("/")[0]!.replace(/\.tsx?$/, "");

/** Every relative import (static, `import type`, dynamic) of each file, as [from area, to area, file]. */
const edges = sources(SRC).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((spec) => [area(file), area(resolve(dirname(file), spec)), relative(SRC, file)] as const);
});

const offending = (from: (a: string) => boolean, to: (a: string) => boolean) => edges.filter(([a, b]) => a !== b && from(a) && to(b)).map(([a, b, file]) => `${file} (${a} → ${b})`);

const CLIENT_SIDE = new Set(["join", "chat", "tui", "client", "settings", "terminal", "common"]);

test("the scan sees the imports it checks", () => {
  expect(edges.some(([a, b]) => a === "cli" && b === "commands")).toBe(true);
  expect(edges.some(([a, b]) => a === "tui" && b === "join")).toBe(true);
});

test("only cli.ts imports commands/", () => {
  expect(offending((a) => a !== "cli", (b) => b === "commands")).toEqual([]);
});

test("the client side imports nothing from hub/", () => {
  expect(offending((a) => CLIENT_SIDE.has(a), (b) => b === "hub")).toEqual([]);
});

test("chat/ does not depend on join/", () => {
  expect(offending((a) => a === "chat", (b) => b === "join")).toEqual([]);
});

test("terminal/ and common/ import nothing else of gambi's", () => {
  expect(offending((a) => a === "terminal" || a === "common", () => true)).toEqual([]);
});

test("hub/ and proxy/ import nothing of the client side", () => {
  expect(offending((a) => a === "hub" || a === "proxy", (b) => CLIENT_SIDE.has(b) && b !== "common")).toEqual([]);
});
