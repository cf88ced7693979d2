/**
 * Which hub code a bench measured: the commit, and whether the tree had changes in src/ on top
 * of it. A tree exported from git (`git archive`, no .git) says so through
 * GAMBI_BENCH_REVISION, e.g. the commit it was exported from.
 */
export function gitRevision(): string {
  if (process.env.GAMBI_BENCH_REVISION) return process.env.GAMBI_BENCH_REVISION;
  const run = (args: string[]) => Bun.spawnSync(["git", ...args], { cwd: import.meta.dir, stdout: "pipe", stderr: "ignore" });
  const rev = run(["rev-parse", "--short", "HEAD"]);
  if (rev.exitCode !== 0) return "unknown";
  const dirty = run(["status", "--porcelain", "--", "../../src"]).stdout.toString().trim() !== "";
  return rev.stdout.toString().trim() + (dirty ? " + uncommitted src changes" : "");
}
