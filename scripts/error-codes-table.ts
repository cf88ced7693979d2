/**
 * README.md's "Error codes" tables, rendered from the catalogue (src/protocol/error-codes.ts)
 * so the documentation lists exactly the codes the hub has, with their statuses and meanings.
 * The tables live between the two marker comments; test/unit/error-codes.test.ts fails when
 * they differ from what this renders.
 *
 * Usage: bun scripts/error-codes-table.ts   (rewrites the tables in README.md)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, ERROR_GROUPS, UPSTREAM_STATUS_FAMILY, type ErrorCodeInfo, type ErrorGroup } from "../src/protocol/error-codes.ts";

export const BEGIN = "<!-- error codes: rendered by scripts/error-codes-table.ts -->";
export const END = "<!-- end of error codes -->";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** "404", "400, 401", "504; in stream", "in stream", or "—" for a code with neither (client-only). */
function where(info: ErrorCodeInfo): string {
  const parts = info.statuses.join(", ");
  if (info.inStream) return parts ? `${parts}; in stream` : "in stream";
  return parts || "—";
}

/** One table per group, in the catalogue's group order, codes in the catalogue's order. */
export function renderErrorCodes(): string {
  const rows = Object.entries(ERROR_CODES) as [string, ErrorCodeInfo][];
  const out: string[] = [];
  for (const [group, title] of Object.entries(ERROR_GROUPS) as [ErrorGroup, string][]) {
    out.push(`**${title}**`, "", "| code | HTTP | meaning |", "|---|---|---|");
    for (const [code, info] of rows) if (info.group === group) out.push(`| \`${code}\` | ${where(info)} | ${cell(info.meaning)} |`);
    if (group === UPSTREAM_STATUS_FAMILY.group) {
      out.push(`| \`${UPSTREAM_STATUS_FAMILY.code}\` | the upstream's | ${cell(UPSTREAM_STATUS_FAMILY.meaning)} |`);
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

/** The README's text between the markers, or undefined when a marker is missing. */
export function readmeTables(readme: string): string | undefined {
  const from = readme.indexOf(BEGIN);
  const to = readme.indexOf(END);
  if (from === -1 || to < from) return undefined;
  return readme.slice(from + BEGIN.length, to).replace(/^\n/, "");
}

if (import.meta.main) {
  const path = join(import.meta.dir, "..", "README.md");
  const readme = readFileSync(path, "utf8");
  if (readmeTables(readme) === undefined) {
    console.error(`error-codes-table: README.md has no "${BEGIN}" … "${END}" section`);
    process.exit(1);
  }
  const from = readme.indexOf(BEGIN) + BEGIN.length;
  writeFileSync(path, `${readme.slice(0, from)}\n${renderErrorCodes()}${readme.slice(readme.indexOf(END))}`);
  console.log(`error-codes-table: README.md lists ${Object.keys(ERROR_CODES).length} codes and upstream_<status>`);
}
