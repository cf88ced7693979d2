/**
 * The import rule of docs/architecture.md, checked: every import between files under src/ must
 * go from a layer to one it may use (LAYERS below), and no file may reach itself again through
 * its imports (no cycle, at any length). Run by .ci/run; exits 1 naming each offending import
 * or cycle.
 *
 * Imports are read with Bun's own parser (`Bun.Transpiler.scanImports`), the one that runs the
 * code, so .ts, .tsx and dynamic `import()` are seen as Bun sees them; it drops type-only
 * imports (they vanish at run time), so `import type` / `export type … from` statements are
 * added from the source text. Type-only imports count: a layer that names another's types
 * depends on it, and a cycle through types is still a tangle to a reader.
 * (dependency-cruiser and madge read TypeScript through the compiler's JavaScript API, which
 * TypeScript 7, this project's compiler, no longer ships; dependency-cruiser's swc parser
 * cannot read the TUI's .tsx.)
 *
 * Usage: bun scripts/check-imports.ts [src-dir]
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Each layer (a folder or a file directly under src/) and the layers it may import. Anything
 * not listed may import only itself. A layer may always import its own files.
 */
export const LAYERS: Record<string, readonly string[]> = {
  // The root command is a menu: it knows the commands and nothing else.
  "cli.ts": ["commands", "version.ts"],
  // Commands parse, call a core and print: they may use everything below them.
  commands: ["terminal", "join", "chat", "tui", "client.ts", "settings.ts", "common", "discovery", "hub", "proxy", "protocol", "release", "logger.ts", "version.ts"],
  // The client side: what joins, chats and watches a hub from a user's machine.
  tui: ["join", "chat", "terminal", "client.ts", "settings.ts", "common", "proxy", "protocol", "logger.ts", "version.ts"],
  // chat needs nothing of join: what both use (the password prompt) is in terminal/.
  chat: ["terminal", "client.ts", "settings.ts", "common", "protocol", "logger.ts"],
  join: ["terminal", "client.ts", "settings.ts", "common", "proxy", "protocol", "logger.ts", "version.ts"],
  "client.ts": ["terminal", "common", "protocol", "logger.ts", "version.ts"],
  "settings.ts": ["terminal", "common", "logger.ts"],
  terminal: ["logger.ts"],
  // The hub: rooms, access, events, routing; it calls participants through the proxy. It serves
  // the web UI's page (hub/web.ts imports web/index.html for Bun to bundle), never runs its code.
  hub: ["proxy", "protocol", "common", "web", "logger.ts", "version.ts"],
  // The relay: upstream calls, deadlines, relays, probing. It knows protocols, never the hub.
  proxy: ["protocol", "common", "logger.ts"],
  // What the binary knows of its own releases (targets, manifest, checksums, archives, the
  // upgrade's steps): standalone, so scripts/ can share it without pulling in anything else.
  release: [],
  // The protocol library: SSE, OpenAI shapes, translation. Pure: it imports no other layer.
  protocol: [],
  // Finding hubs on the LAN (mDNS): the hub command announces, the client commands browse.
  // A leaf, like common/: it knows records and sockets, neither side's code.
  discovery: ["logger.ts"],
  // The web UI: browser code (Preact), bundled by Bun from web/index.html. It talks to the hub
  // over HTTP only, like any client, and imports no other layer (none of them runs in a browser).
  web: [],
  // Rules both sides check (room passwords): nothing beneath them.
  common: [],
  "logger.ts": [],
  // The one import from outside src/: package.json, for the version number.
  "version.ts": [".."],
};

const SOURCE = /\.(ts|tsx)$/;
/** `import … from "x"` / `export … from "x"` at the start of a line (comment lines start otherwise), types included. */
const STATIC_FROM = /^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*["']([^"'\n]+)["']/gm;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The layer of a path relative to src/: its first segment. */
export const layerOf = (rel: string): string => rel.split("/")[0]!;

/** The src-relative files `file` imports (relative specifiers only; packages are not layers). */
function importsOf(file: string, srcDir: string): string[] {
  const loader = file.endsWith(".tsx") ? "tsx" : "ts";
  // The transpiler's scanner takes no shebang line (src/cli.ts has one): blank it, keeping line numbers.
  const code = readFileSync(file, "utf8").replace(/^#!.*/, "");
  const values = new Bun.Transpiler({ loader }).scanImports(code).map((i) => i.path);
  const statements = [...code.matchAll(STATIC_FROM)].map((m) => m[1]!);
  const specifiers = new Set([...values, ...statements].filter((p) => p.startsWith(".")));
  return [...specifiers].map((p) => relative(srcDir, resolve(dirname(file), p))).sort();
}

export interface Graph {
  [file: string]: string[];
}

export function importGraph(srcDir: string): Graph {
  const graph: Graph = {};
  for (const file of sourceFiles(srcDir)) graph[relative(srcDir, file)] = importsOf(file, srcDir);
  return graph;
}

/** Imports that break LAYERS, as "from → to" lines. */
export function layerViolations(graph: Graph, layers: Record<string, readonly string[]> = LAYERS): string[] {
  const out: string[] = [];
  for (const [from, targets] of Object.entries(graph)) {
    const source = layerOf(from);
    for (const to of targets) {
      const target = layerOf(to);
      if (target === source) continue;
      if (!(source in layers)) out.push(`${from} → ${to}: layer "${source}" is not in scripts/check-imports.ts LAYERS`);
      else if (!layers[source]!.includes(target)) out.push(`${from} → ${to}: "${source}" may not import "${target}"`);
    }
  }
  return out;
}

/** Every cycle (strongly connected set of more than one file, or a file importing itself), Tarjan's algorithm. */
export function cycles(graph: Graph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph[v] ?? []) {
      if (!(w in graph)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph[v] ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of Object.keys(graph)) if (!idx.has(v)) visit(v);
  return found;
}

if (import.meta.main) {
  const srcDir = resolve(process.argv[2] ?? join(import.meta.dir, "..", "src"));
  const graph = importGraph(srcDir);
  const bad = layerViolations(graph);
  const loops = cycles(graph);
  for (const line of bad) console.error(`import rule: ${line}`);
  for (const loop of loops) console.error(`import cycle: ${loop.join(" ⇄ ")}`);
  const edges = Object.values(graph).reduce((n, t) => n + t.length, 0);
  if (bad.length + loops.length > 0) {
    console.error(`check-imports: ${bad.length} import(s) break the rule, ${loops.length} cycle(s); see docs/architecture.md`);
    process.exit(1);
  }
  console.log(`check-imports: ${Object.keys(graph).length} files, ${edges} imports, rule kept, no cycle`);
}
