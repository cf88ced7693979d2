/**
 * The kit's llama-server (kit/serve.sh) as a child process on a free loopback port, for the
 * real suite. `GAMBI_TEST_REAL=1` (set by scripts/test-real.ts once the kit is built) turns the
 * suite on; without it every real test is skipped, so `npm test` stays fast and offline.
 */
import { resolve } from "node:path";

export const REAL = process.env.GAMBI_TEST_REAL === "1";
const SERVE = resolve(import.meta.dir, "kit/serve.sh");

export interface LlamaServer {
  url: string;
  /** llama-server's /slots: one entry per slot, `is_processing` while it decodes. */
  slots(): Promise<{ id: number; is_processing: boolean }[]>;
  stop(): Promise<void>;
  log(): string;
}

/** A port nothing listens on right now (the kernel's choice for port 0, released at once). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Polls `check` until it holds or `ms` pass; returns whether it held. */
export async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(20);
  }
  return check();
}

/** Starts llama-server with the kit's defaults plus `flags`; resolves once /health says ok (30 s deadline). */
export async function startLlama(flags: string[] = []): Promise<LlamaServer> {
  for (let attempt = 0; ; attempt++) {
    const port = freePort();
    const p = Bun.spawn(["bash", SERVE, String(port), ...flags], { stdout: "pipe", stderr: "pipe" });
    let output = "";
    const drain = async (s: ReadableStream<Uint8Array>) => {
      const d = new TextDecoder();
      for await (const c of s) output += d.decode(c, { stream: true });
    };
    void drain(p.stdout);
    void drain(p.stderr);
    const url = `http://127.0.0.1:${port}`;
    let healthy = false;
    const deadline = performance.now() + 30_000;
    while (!healthy && p.exitCode === null && performance.now() < deadline) {
      healthy = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (!healthy) await Bun.sleep(50);
    }
    if (healthy) {
      return {
        url,
        slots: async () => (await (await fetch(`${url}/slots`)).json()) as { id: number; is_processing: boolean }[],
        async stop() {
          p.kill("SIGTERM");
          const stopped = await Promise.race([p.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
          if (!stopped) p.kill("SIGKILL");
        },
        log: () => output,
      };
    }
    p.kill("SIGKILL");
    // Another process may have taken the port between the probe and the bind: try another.
    if (attempt === 2 || !/bind|address already in use/i.test(output)) throw new Error(`llama-server did not become healthy:\n${output}`);
  }
}
