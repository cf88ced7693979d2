/**
 * `npm run test:real`: the suite against a real llama.cpp server (test/real/). It builds the
 * kit first (test/real/kit/setup.sh: a Debian chroot with llama-server and a tiny model; under a
 * second once built). When the kit cannot be built here (not root, no route to Debian's archive)
 * it says SKIP and why, and exits 0, so CI goes on; once the kit is there, the suite runs and
 * its exit code is this command's.
 */
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const setup = resolve(root, "test/real/kit/setup.sh");

function skip(why: string): never {
  console.log(`SKIP test:real: the real llama.cpp kit could not be built here: ${why}`);
  process.exit(0);
}

if (process.platform !== "linux") skip(`it needs Linux (debootstrap and chroot), this is ${process.platform}`);
const asRoot = process.getuid?.() === 0;
const sudo = !asRoot && Bun.which("sudo") !== null;
if (!asRoot && !sudo) skip("it needs root (debootstrap and chroot), and there is no sudo");
const started = performance.now();
const built = Bun.spawnSync(sudo ? ["sudo", "-n", "-E", "bash", setup] : ["bash", setup], { stdout: "pipe", stderr: "pipe", env: process.env });
const said = `${built.stdout.toString()}${built.stderr.toString()}`.trim();
if (built.exitCode !== 0) skip(said.split("\n").slice(-3).join(" | ") || `setup.sh exited with ${built.exitCode}`);
console.log(`test:real: kit ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${said.split("\n").at(-2) ?? ""})`);

const run = Bun.spawnSync([process.execPath, "test", "--timeout", "60000", "./test/real/"], {
  cwd: root,
  stdout: "inherit",
  stderr: "inherit",
  env: { ...process.env, GAMBI_TEST_REAL: "1" },
});
process.exit(run.exitCode ?? 1);
