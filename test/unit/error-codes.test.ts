/**
 * The error-code catalogue (src/protocol/error-codes.ts) against the source and the README:
 * every code src/ sets or compares is catalogued, every catalogued code is set somewhere (the
 * client-only ones by the client side only), the statuses at the emit sites are the catalogue's,
 * and README.md's tables are the catalogue's. The types already refuse a misspelt code where
 * it is typed; this scan also sees a code written where nothing types it (a Json object).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ERROR_CODES, hasCode, relayedCode, upstreamStatusCode, type ErrorCode, type ErrorCodeInfo } from "../../src/protocol/error-codes.ts";
import { badRequest, GambiError, notFound } from "../../src/protocol/openai/errors.ts";
import { readmeTables, renderErrorCodes } from "../../scripts/error-codes-table.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SRC = join(ROOT, "src");
const CATALOGUE = "protocol/error-codes.ts";
const catalogue = ERROR_CODES as Record<string, ErrorCodeInfo>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return /\.tsx?$/.test(name) ? [path] : [];
    });
}

/** Index just past the string, template or comment starting at `i`, or `i` when none starts there. */
function skipToken(src: string, i: number): number {
  const c = src[i];
  if (c === "/" && src[i + 1] === "/") return src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
  if (c === "/" && src[i + 1] === "*") return src.indexOf("*/", i) + 2;
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (src[j] !== c) j += src[j] === "\\" ? 2 : 1;
    return j + 1;
  }
  if (c === "`") {
    let j = i + 1;
    while (src[j] !== "`") {
      if (src[j] === "\\") j += 2;
      else if (src[j] === "$" && src[j + 1] === "{") j = closing(src, j + 1) + 1;
      else j++;
    }
    return j + 1;
  }
  return i;
}

/** Index of the bracket closing the one at `open`. */
function closing(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; ) {
    const next = skipToken(src, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if ("([{".includes(src[i]!)) depth++;
    else if (")]}".includes(src[i]!) && --depth === 0) return i;
    i++;
  }
  throw new Error(`unbalanced bracket at ${open}`);
}

/** The top-level arguments of the call whose "(" is at `open`, as trimmed source text. */
function callArgs(src: string, open: number): string[] {
  const end = closing(src, open);
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < end; ) {
    const next = skipToken(src, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if ("([{".includes(src[i]!)) depth++;
    else if (")]}".includes(src[i]!)) depth--;
    else if (src[i] === "," && depth === 0) {
      args.push(src.slice(start, i).trim());
      start = i + 1;
    }
    i++;
  }
  args.push(src.slice(start, end).trim());
  return args;
}

interface Site {
  code: string;
  /** "path:line" under src/. */
  at: string;
  /** Set (sent or reported), or only compared against (hasCode, a Set of codes). */
  kind: "set" | "compared";
  status?: number;
}

const literal = (arg: string | undefined) => /^"(\w+)"$/.exec(arg ?? "")?.[1];
/** A code in an options object: `code: "x"`, or `code: cond ? "x" : relayedCode(…)`. */
const optionCode = (arg: string | undefined) => /\bcode:\s*(?:[^,{}]*?\?\s*)?"(\w+)"/.exec(arg ?? "")?.[1];

/** Calls that make an HTTP error, and where each finds its status and code. */
const ERROR_CALLS: { callee: RegExp; status: (args: string[]) => number | undefined; code: (args: string[]) => string | undefined }[] = [
  { callee: /\b(?:new (?:GambiError|AccessError)|super)\(/g, status: (a) => (/^\d{3}$/.test(a[0]!) ? Number(a[0]) : undefined), code: (a) => optionCode(a[2]) },
  { callee: /\bbadRequest\(/g, status: () => 400, code: (a) => literal(a[1]) },
  { callee: /\bnotFound\(/g, status: () => 404, code: (a) => literal(a[1]) },
  { callee: /\bunauthorized\(/g, status: () => 401, code: (a) => literal(a[1]) },
];

/** Every other place a code is written: options and failure objects, stream failures, the client's own, comparisons. */
const CODE_PLACES: { pattern: RegExp; kind: Site["kind"] }[] = [
  { pattern: /\bcode:\s*(?:[^,;\n{}]*?\?\s*)?"(\w+)"/g, kind: "set" },
  { pattern: /\bfailWith\(\s*(?:[^,;\n]*?\?\s*)?"(\w+)"/g, kind: "set" },
  { pattern: /\bstreamErrorEvent\([^;]*?,\s*"(\w+)"\s*[,)]/g, kind: "set" },
  { pattern: /"(\w+)" satisfies ErrorCode/g, kind: "set" },
  { pattern: /\bhasCode\([^,()]+,\s*"(\w+)"\)/g, kind: "compared" },
  { pattern: /new Set<ErrorCode>\(\[([^\]]*)\]/g, kind: "compared" },
];

function scan(): Site[] {
  const sites: Site[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    if (rel === CATALOGUE) continue;
    const src = readFileSync(file, "utf8");
    const at = (index: number) => `${rel}:${src.slice(0, index).split("\n").length}`;
    for (const call of ERROR_CALLS) {
      for (const m of src.matchAll(call.callee)) {
        const args = callArgs(src, m.index + m[0].length - 1);
        const code = call.code(args);
        const status = call.status(args);
        if (code && status !== undefined) sites.push({ code, at: at(m.index), kind: "set", status });
      }
    }
    for (const place of CODE_PLACES) {
      for (const m of src.matchAll(place.pattern)) {
        for (const code of m[1]!.includes('"') ? [...m[1]!.matchAll(/"(\w+)"/g)].map((c) => c[1]!) : [m[1]!]) {
          sites.push({ code, at: at(m.index), kind: place.kind });
        }
      }
    }
  }
  return sites;
}

const sites = scan();
const codes = Object.keys(catalogue);
const isHubSide = (at: string) => /^(hub|proxy|protocol)\//.test(at);

describe("the catalogue and src/", () => {
  test("the scan finds the emit sites (a sanity floor, so a broken scan cannot pass everything)", () => {
    expect(sites.filter((s) => s.status !== undefined).length).toBeGreaterThan(40);
    expect(sites).toContainEqual({ code: "room_not_found", at: expect.stringMatching(/^hub\/rooms\/registry\.ts:/), kind: "set", status: 404 });
    expect(sites).toContainEqual({ code: "too_many_failed_attempts", at: expect.stringMatching(/^hub\/access\/limiter\.ts:/), kind: "set", status: 429 });
    expect(sites).toContainEqual({ code: "upstream_incomplete", at: expect.stringMatching(/responses-via-chat\/stream\.ts:/), kind: "set" });
  });

  test("every code src/ sets or compares is in the catalogue", () => {
    const unknown = sites.filter((s) => !(s.code in catalogue)).map((s) => `${s.at}: "${s.code}"`);
    expect(unknown).toEqual([]);
  });

  test("no code is built from a template except the upstream_<status> family (upstreamStatusCode)", () => {
    const built = sourceFiles(SRC).flatMap((f) => (/\bcode:\s*`/.test(readFileSync(f, "utf8")) ? [relative(SRC, f)] : []));
    expect(built).toEqual([]);
    expect(upstreamStatusCode(429)).toBe("upstream_429");
  });

  test("every catalogued code is set somewhere: hub codes by the hub side, client-only codes by the client side alone", () => {
    const dead = codes.filter((code) => {
      const set = sites.filter((s) => s.code === code && s.kind === "set");
      return catalogue[code]!.group === "client" ? set.length === 0 : !set.some((s) => isHubSide(s.at));
    });
    expect(dead).toEqual([]);
    const leaked = sites.filter((s) => catalogue[s.code]?.group === "client" && isHubSide(s.at)).map((s) => `${s.at}: "${s.code}"`);
    expect(leaked).toEqual([]);
  });

  test("the statuses at the emit sites are exactly the catalogue's", () => {
    const seen = new Map<string, Set<number>>();
    for (const s of sites) if (s.status !== undefined) seen.set(s.code, (seen.get(s.code) ?? new Set()).add(s.status));
    const mismatched = [...seen].filter(([code, statuses]) => {
      const listed = catalogue[code]?.statuses ?? [];
      return [...statuses].sort().join() !== [...listed].sort().join();
    });
    expect(mismatched.map(([code, statuses]) => `${code}: src ${[...statuses].join("/")}, catalogue ${catalogue[code]?.statuses.join("/")}`)).toEqual([]);
    // A code listed with a status the scan cannot see at any call would be unchecked: there is none.
    expect(codes.filter((code) => catalogue[code]!.statuses.length > 0 && !seen.has(code))).toEqual([]);
  });

  test("each entry can occur: with an HTTP status, in a stream, or from the client side; its meaning is one line", () => {
    for (const [code, info] of Object.entries(catalogue)) {
      expect({ code, reachable: info.statuses.length > 0 || info.inStream === true || info.group === "client" }).toEqual({ code, reachable: true });
      expect(info.meaning).toMatch(/^[^\n]{20,}$/);
    }
  });
});

describe("typed codes at run time", () => {
  test("the envelope carries the hub's code, or a relayed one unchanged", () => {
    expect(badRequest("bad", "invalid_request", "x").toJSON()).toEqual({ error: { message: "bad", type: "invalid_request_error", code: "invalid_request", param: "x" } });
    expect(notFound("gone", "room_not_found").status).toBe(404);
    expect<string | null>(new GambiError(502, "quota", { code: relayedCode("insufficient_quota") }).toJSON().error.code).toBe("insufficient_quota");
    expect<string>(relayedCode(429)).toBe("429");
  });

  test("hasCode matches only the exact code, on anything with a code", () => {
    const code: ErrorCode = "room_not_found";
    expect(hasCode({ code }, "room_not_found")).toBe(true);
    expect(hasCode({ code: "room_not_found_" }, "room_not_found")).toBe(false);
    expect(hasCode(new GambiError(500, "x"), "internal_error")).toBe(false);
    expect(hasCode(undefined, "internal_error")).toBe(false);
  });
});

describe("README.md", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const tables = readmeTables(readme);

  test("its error-code tables are the catalogue's, as scripts/error-codes-table.ts renders them", () => {
    expect(tables).toBeDefined();
    // On failure: bun scripts/error-codes-table.ts rewrites them.
    expect(tables).toBe(renderErrorCodes());
  });

  test("they list exactly the catalogue's codes, each once, and the upstream_<status> family", () => {
    const listed = [...tables!.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect(listed.toSorted()).toEqual([...codes, "upstream_<status>"].toSorted());
  });
});
