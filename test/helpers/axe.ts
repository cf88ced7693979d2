/**
 * axe-core (Deque's accessibility engine) run inside a page the tests drive: its source is
 * injected into the page (never part of the page's own bundle), it checks the WCAG 2.0-2.2 A
 * and AA rules and its best practices against the page as it is at that moment, and the
 * violations come back as one line per failing element, readable in a test's failure.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, headings, regions). */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"];

export interface AxeViolation {
  rule: string;
  impact: string | null;
  help: string;
  /** One per element: its selector and what axe says is wrong with it. */
  nodes: { target: string; summary: string }[];
}

/** The violations axe finds in `page` now, every rule of AXE_TAGS on (none is turned off). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) await page.addScriptTag({ content: source });
  const options = { runOnly: { type: "tag", values: AXE_TAGS }, resultTypes: ["violations"] };
  // Plain JavaScript, run in the page (where this file's types are not).
  return page.evaluate<AxeViolation[]>(`axe.run(document, ${JSON.stringify(options)}).then((result) => result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(" "), summary: (n.failureSummary || "").replace(/\\s+/g, " ") })),
  })))`);
}

/** The violations as lines: `rule (impact): help` then each element, for a failure message or a log. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.rule} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target}: ${n.summary}`).join("\n")}`).join("\n");
}
