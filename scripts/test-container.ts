/**
 * `npm run test:container`: the Dockerfile, built and run with podman (Debian's package; CI
 * installs it), rootful, in a storage folder of its own (vfs) that is removed afterwards.
 *
 * No base image can be pulled here (no registry but npm's and Debian's), so the two stages
 * are stood in for: the build stage by `--build-context build=DIR` holding the executable
 * this checkout builds (what the stage would have built), the distroless runtime by an image
 * made of this machine's glibc (what distroless/base holds that gambi uses). Every instruction
 * of the final stage runs as written. Then: the image's user, port, volume, health check and
 * command; a container serving /health on a published loopback port; `podman healthcheck
 * run` healthy; the hub's process not root; a room created, `podman stop` (SIGTERM) exiting 0
 * within the grace, and the room still there after a restart (the /data volume); then
 * compose.yaml's service as it is written (command, environment, the TLS folder mounted, with
 * a certificate made by its own recipe) serving HTTPS, its health check passing over it.
 *
 * Where podman cannot run (not Linux, not root, not installed, or it fails to start a
 * container) it says SKIP and why, then checks the Dockerfile's command line against the
 * binary instead: ENTRYPOINT + CMD starts a hub with its data in a folder, HEALTHCHECK's
 * command reports it healthy, SIGTERM stops it with exit 0. Prints `N passed, N failed`.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const work = join(tmpdir(), `gambi-test-container-${process.pid}`);
let passed = 0;
let failed = 0;

function check(what: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${!ok && detail ? `: ${detail}` : ""}`);
}

function sh(cmd: string[], opts: { env?: Record<string, string>; allowFail?: boolean } = {}): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env } });
  const res = { code: r.exitCode ?? 1, out: r.stdout.toString(), err: r.stderr.toString() };
  if (res.code !== 0 && !opts.allowFail) throw new Error(`${cmd.join(" ")} exited ${res.code}: ${res.err.trim().split("\n").slice(-3).join(" | ")}`);
  return res;
}

/** The Dockerfile's instructions of the final stage that matter to a run. */
function dockerfile() {
  const text = readFileSync(join(root, "Dockerfile"), "utf8");
  const json = (name: string) => JSON.parse(new RegExp(`^${name}\\s+(\\[.*\\])\\s*$`, "m").exec(text)?.[1] ?? "null") as string[] | null;
  const health = /^HEALTHCHECK .*?CMD\s+(\[.*\])\s*$/m.exec(text)?.[1];
  const envBlock = /^ENV[\s\S]*?(?=^\S)/m.exec(text)?.[0] ?? "";
  const env = Object.fromEntries([...envBlock.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  return { entrypoint: json("ENTRYPOINT") ?? [], cmd: json("CMD") ?? [], health: health ? (JSON.parse(health) as string[]) : [], env };
}

async function until<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await Bun.sleep(100);
  }
  return undefined;
}

const healthOf = (url: string) => until(15_000, async () => ((await fetch(`${url}/health`)).ok ? true : undefined));

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

function buildBinary(outdir: string): string {
  sh([process.execPath, join(root, "scripts/build-binary.ts"), "--outdir", outdir]);
  return join(outdir, "gambi");
}

/** Why podman cannot be used here, or undefined when it can. */
function podmanUnusable(): string | undefined {
  if (process.platform !== "linux") return `it needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return "it runs podman rootful and is not root";
  if (!Bun.which("podman")) return "podman is not installed (apt-get install podman runc)";
  return undefined;
}

async function withPodman(): Promise<void> {
  const runtime = Bun.which("runc") ? "runc" : "crun"; // crun cannot run on cgroup v1 hosts; runc can
  const conf = join(work, "containers.conf");
  // Limits no higher than this sandbox's own: podman's defaults are above what it may grant.
  writeFileSync(conf, `[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "${runtime}"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`);
  const env = { CONTAINERS_CONF: conf };
  const podman = (args: string[], allowFail = false) => sh(["podman", "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", ...args], { env, allowFail });

  // The runtime stand-in: the shared libraries gambi links, a passwd with distroless's nonroot.
  const stage = join(work, "stage");
  const binary = buildBinary(join(stage, "out"));
  mkdirSync(join(stage, "out", "data"), { recursive: true });
  const base = join(work, "base");
  const libs = [...sh(["ldd", binary]).out.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  for (const lib of libs) {
    mkdirSync(join(base, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(base, lib));
    chmodSync(join(base, lib), 0o755); // the loader must be executable
  }
  mkdirSync(join(base, "etc"), { recursive: true });
  mkdirSync(join(base, "tmp"), { recursive: true });
  chmodSync(join(base, "tmp"), 0o1777);
  mkdirSync(join(base, "home", "nonroot"), { recursive: true });
  writeFileSync(join(base, "etc", "passwd"), "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
  writeFileSync(join(base, "etc", "group"), "root:x:0:\nnonroot:x:65532:\n");
  sh(["tar", "-C", base, "--owner=0", "--group=0", "-cf", join(work, "base.tar"), "."]);
  const started = podman(["import", join(work, "base.tar"), "localhost/gambi-test-runtime:1"], true);
  if (started.code !== 0) throw new Skip(`podman cannot import an image here: ${started.err.trim().split("\n").at(-1)}`);

  const t0 = performance.now();
  podman(["build", "--format", "docker", "--build-context", `build=${stage}`, "--build-arg", "RUNTIME_IMAGE=localhost/gambi-test-runtime:1", "-t", "localhost/gambi-test:1", "-f", join(root, "Dockerfile"), root]);
  console.log(`image built in ${((performance.now() - t0) / 1000).toFixed(1)} s (${runtime}, vfs)`);
  const image = JSON.parse(podman(["image", "inspect", "localhost/gambi-test:1"]).out)[0];
  const config = image.Config;
  check("the image runs as the non-root user 65532", config.User === "65532:65532", config.User);
  check("it exposes 3000 and keeps rooms in the /data volume", "3000/tcp" in (config.ExposedPorts ?? {}) && "/data" in (config.Volumes ?? {}));
  check("its command is gambi hub --host 0.0.0.0 --data-dir /data", JSON.stringify([...config.Entrypoint, ...config.Cmd]) === JSON.stringify(["gambi", "hub", "--host", "0.0.0.0", "--data-dir", "/data"]), JSON.stringify([config.Entrypoint, config.Cmd]));
  check("its hub may have 4,096 fetches in flight, not Bun's 256 (BUN_CONFIG_MAX_HTTP_REQUESTS)", (config.Env ?? []).includes("BUN_CONFIG_MAX_HTTP_REQUESTS=4096"), JSON.stringify(config.Env));
  check("its health check is gambi health (no curl in the image)", JSON.stringify((image.Healthcheck ?? config.Healthcheck)?.Test) === JSON.stringify(["CMD", "gambi", "health"]), JSON.stringify(image.Healthcheck));

  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const run = podman(["run", "-d", "--name", "gambi-test", "-p", `127.0.0.1:${port}:3000`, "-v", "gambi-test-data:/data", "localhost/gambi-test:1"], true);
  if (run.code !== 0) throw new Skip(`podman cannot start a container here: ${run.err.trim().split("\n").at(-1)}`);
  check("the container's hub answers /health on the published port", (await healthOf(url)) === true, podman(["logs", "gambi-test"], true).err);
  const hc = podman(["healthcheck", "run", "gambi-test"], true);
  check("podman healthcheck run says healthy", hc.code === 0, `${hc.out}${hc.err}`.trim());
  const pid = podman(["inspect", "--format", "{{.State.Pid}}", "gambi-test"]).out.trim();
  const uid = pid && pid !== "0" ? /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] : "none (not running)";
  check("the hub's process runs as uid 65532, not root", uid === "65532", `uid ${uid}`);
  const created = (await (await fetch(`${url}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"in-a-container"}' })).json()) as { room?: { code: string } };
  const code = created.room?.code;
  const stopStarted = performance.now();
  podman(["stop", "-t", "20", "gambi-test"]);
  const stopMs = performance.now() - stopStarted;
  const exit = podman(["inspect", "--format", "{{.State.ExitCode}}", "gambi-test"]).out.trim();
  const logs = podman(["logs", "gambi-test"], true);
  check(`SIGTERM (podman stop) ends it gracefully: exit 0 in ${(stopMs / 1000).toFixed(1)} s`, exit === "0" && stopMs < 15_000 && (logs.out + logs.err).includes("stopping hub"), `exit ${exit}`);
  podman(["start", "gambi-test"]);
  await healthOf(url);
  const rooms = (await (await fetch(`${url}/rooms`)).json().catch(() => ({}))) as { rooms?: { code: string }[] };
  check("a restarted container still has the room (kept in /data)", code !== undefined && (rooms.rooms ?? []).some((r) => r.code === code), JSON.stringify(rooms));
  podman(["rm", "-f", "gambi-test"], true);
  await composeTls(podman);
}

/** compose.yaml's service (its command, environment and mounts) run as it says, over HTTPS. */
async function composeTls(podman: (args: string[], allowFail?: boolean) => { code: number; out: string; err: string }): Promise<void> {
  const hub = (Bun.YAML.parse(readFileSync(join(root, "compose.yaml"), "utf8")) as { services: { hub: { command: string[]; environment: Record<string, string>; volumes: string[] } } }).services.hub;
  const tls = join(work, "tls");
  mkdirSync(tls);
  // compose.yaml's own recipe for the certificate.
  sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=hub.lan", "-addext", "subjectAltName=DNS:hub.lan,DNS:localhost,IP:127.0.0.1", "-keyout", join(tls, "key.pem"), "-out", join(tls, "cert.pem")]);
  sh(["chown", "65532", join(tls, "key.pem")]);
  const env = Object.entries(hub.environment).flatMap(([k, v]) => ["-e", `${k}=${v.replace(/^\$\{\w+:-(.*)\}$/, "$1")}`]);
  const volumes = hub.volumes.flatMap((v) => ["-v", v.replace(/^\.\/tls:/, `${tls}:`).replace(/^gambi-data:/, "gambi-test-compose:")]);
  const port = freePort();
  podman(["run", "-d", "--name", "gambi-test-tls", "-p", `127.0.0.1:${port}:3000`, ...env, ...volumes, "localhost/gambi-test:1", ...hub.command]);
  const ca = readFileSync(join(tls, "cert.pem"), "utf8");
  const up = await until(15_000, async () => ((await fetch(`https://127.0.0.1:${port}/health`, { tls: { ca } })).ok ? true : undefined));
  check("compose.yaml's service serves HTTPS with the mounted certificate", up === true, podman(["logs", "gambi-test-tls"], true).err.trim().split("\n").at(-1));
  const hc = podman(["healthcheck", "run", "gambi-test-tls"], true);
  check("and its health check passes over HTTPS (GAMBI_HUB_URL + GAMBI_HUB_CA)", hc.code === 0, `${hc.out}${hc.err}`.trim());
  podman(["rm", "-f", "gambi-test-tls"], true);
}

/** Without a container engine: the Dockerfile's command line and health check against the binary. */
async function withoutEngine(): Promise<void> {
  const { entrypoint, cmd, health, env } = dockerfile();
  const binary = buildBinary(join(work, "bin"));
  const data = join(work, "data");
  const port = freePort();
  const args = [...entrypoint, ...cmd].slice(1).map((a) => (a === "/data" ? data : a));
  check("the Dockerfile's command is gambi hub --host 0.0.0.0 --data-dir /data", JSON.stringify([...entrypoint, ...cmd]) === JSON.stringify(["gambi", "hub", "--host", "0.0.0.0", "--data-dir", "/data"]));
  // The one change: the port, so the check cannot collide with anything on 3000.
  const childEnv = { PATH: process.env.PATH ?? "", HOME: work, XDG_CONFIG_HOME: work, NO_COLOR: "1", ...env, GAMBI_HUB_URL: `http://127.0.0.1:${port}` };
  const hub = Bun.spawn([binary, ...args, "--port", String(port)], { env: childEnv, stdout: "pipe", stderr: "pipe" });
  try {
    check("it starts a hub that answers /health", (await healthOf(`http://127.0.0.1:${port}`)) === true);
    check("its data directory is used", existsSync(join(data, "gambi.db")));
    const hc = sh([binary, ...health.slice(1)], { env: childEnv, allowFail: true });
    check(`the HEALTHCHECK command (${health.join(" ")}) says healthy`, hc.code === 0 && hc.out.startsWith("ok:"), hc.out + hc.err);
    hub.kill("SIGTERM");
    check("SIGTERM stops it with exit 0", (await hub.exited) === 0);
  } finally {
    if (hub.exitCode === null) hub.kill("SIGKILL");
  }
}

class Skip extends Error {}

mkdirSync(work, { recursive: true });
try {
  const why = podmanUnusable();
  if (why) throw new Skip(why);
  await withPodman();
} catch (err) {
  if (!(err instanceof Skip)) {
    failed++;
    console.log(`FAIL ${(err as Error).message}`);
  } else {
    console.log(`SKIP test:container with podman: ${err.message}; checking the Dockerfile's command line against the binary instead`);
    await withoutEngine().catch((e) => check("the Dockerfile's command line", false, (e as Error).message));
  }
} finally {
  if (Bun.which("podman") && process.getuid?.() === 0) sh(["podman", "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", "system", "reset", "-f"], { allowFail: true, env: { CONTAINERS_CONF: join(work, "containers.conf") } });
  rmSync(work, { recursive: true, force: true });
}
console.log(`test:container: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
