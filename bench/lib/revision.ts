/** Which hub code a bench measured: the commit, and whether the tree had changes in src/ on top of it. */
export function gitRevision(): string {
  const run = (args: string[]) => Bun.spawnSync(["git", ...args], { cwd: import.meta.dir, stdout: "pipe", stderr: "ignore" });
  const rev = run(["rev-parse", "--short", "HEAD"]);
  if (rev.exitCode !== 0) return "unknown";
  const dirty = run(["status", "--porcelain", "--", "../../src"]).stdout.toString().trim() !== "";
  return rev.stdout.toString().trim() + (dirty ? " + uncommitted src changes" : "");
}
