/**
 * Smoke test of a built gambi executable (CI runs it after `npm run build`):
 *
 *   bun scripts/smoke-binary.ts [path-to-binary]      (default dist/gambi)
 *
 * A fake OpenAI-compatible upstream that demands `Authorization: Bearer <random secret>`;
 * `gambi hub --port 0`; `gambi create --json`; `gambi join --header-env Authorization=SMOKE_AUTH`;
 * one streamed chat completion through the hub. Checks the answer and `[DONE]` arrived, the
 * upstream got the secret on the inference call, the secret is in no output of the binary,
 * and SIGTERM makes join leave the room and both processes exit 0.
 * Exit 0 on success, 1 with the failed step and the children's output otherwise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";

const binary = resolve(process.argv[2] ?? "dist/gambi");
const started = performance.now();
const TOTAL_MS = 30_000;
const SECRET = `Bearer smoke-${crypto.randomUUID()}`;
const MODEL = "smoke-model";
const WORDS = ["smoke ", "test ", "passed"];

class SmokeFailure extends Error {}
const fail = (message: string): never => {
  throw new SmokeFailure(message);
};
const step = (what: string) => console.log(`smoke: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

// --- the fake upstream -----------------------------------------------------------------------
interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  body: string;
}
const seen: Seen[] = [];
const openaiError = (status: number, message: string, type = "invalid_request_error") => Response.json({ error: { message, type, code: null, param: null } }, { status });

function chatStream(): Response {
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-smoke", object: "chat.completion.chunk", created: 0, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const events = [chunk({ role: "assistant", content: "" }), ...WORDS.map((w) => chunk({ content: w })), chunk({}, "stop"), "data: [DONE]\n\n"];
  return new Response(new Blob(events), { headers: { "content-type": "text/event-stream" } });
}

const upstream = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    const body = req.method === "POST" ? await req.text() : "";
    seen.push({ method: req.method, path: url.pathname, authorization: req.headers.get("authorization"), body });
    if (req.headers.get("authorization") !== SECRET) return openaiError(401, "Incorrect API key provided");
    if (url.pathname === "/v1/models" && req.method === "GET") return Response.json({ object: "list", data: [{ id: MODEL, object: "model", owned_by: "smoke" }] });
    if ((url.pathname === "/v1/chat/completions" || url.pathname === "/v1/responses") && req.method === "POST") {
      let parsed: { model?: string; stream?: boolean };
      try {
        parsed = JSON.parse(body);
      } catch {
        return openaiError(400, "could not parse the JSON body");
      }
      // The probe is `POST {}`: a real server answers 400 (no model), which says the route exists.
      if (!parsed.model) return openaiError(400, "you must provide a model parameter");
      if (url.pathname === "/v1/responses") return openaiError(400, "this smoke upstream only streams chat completions");
      if (!parsed.stream) return openaiError(400, "this smoke upstream only streams");
      return chatStream();
    }
    return openaiError(404, `no route ${req.method} ${url.pathname}`);
  },
});
const upstreamUrl = `http://127.0.0.1:${upstream.port}`;

// --- the binary's processes --------------------------------------------------------------------
const configHome = mkdtempSync(resolve(tmpdir(), "gambi-smoke-"));
// A clean environment: no GAMBI_* from the caller, settings in a throwaway XDG dir, no colour.
const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: configHome, XDG_CONFIG_HOME: configHome, NO_COLOR: "1" };

interface Child {
  name: string;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  output: { text: string };
  drained: Promise<void>;
}
const children: Child[] = [];

function spawn(name: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = Bun.spawn([binary, ...args], { cwd: configHome, env: { ...baseEnv, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const output = { text: "" };
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output.text += decoder.decode(chunk, { stream: true });
  };
  const child = { name, proc, output, drained: Promise.all([drain(proc.stdout), drain(proc.stderr)]).then(() => {}) };
  children.push(child);
  return child;
}

/** Polls `check` until it returns a value or `ms` pass. No fixed sleeps. */
async function until<T>(what: string, ms: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) fail(`timed out after ${ms / 1000} s waiting for ${what}`);
    await Bun.sleep(25);
  }
}

async function exitsWith(child: Child, ms: number): Promise<number> {
  const code = await Promise.race([child.proc.exited, Bun.sleep(ms).then(() => undefined)]);
  if (code === undefined) fail(`${child.name} did not exit within ${ms / 1000} s`);
  await child.drained;
  return code!;
}

async function run(): Promise<void> {
  if (!(await Bun.file(binary).exists())) fail(`no binary at ${binary} (run npm run build first)`);

  const hub = spawn("hub", ["hub", "--port", "0", "--host", "127.0.0.1"]);
  const port = await until("the hub's listening line", 10_000, () => {
    if (hub.proc.exitCode !== null) fail(`hub exited with ${hub.proc.exitCode}`);
    return hub.output.text.match(/listening on \S+:(\d+)/)?.[1];
  });
  const hubUrl = `http://127.0.0.1:${port}`;
  const health = (await (await fetch(`${hubUrl}/health`)).json()) as { version?: string };
  step(`hub ${health.version} on ${hubUrl}`);

  const create = spawn("create", ["create", "--hub", hubUrl, "--name", "smoke", "--json", "--no-interactive"]);
  if ((await exitsWith(create, 10_000)) !== 0) fail(`create exited with ${create.proc.exitCode}`);
  const code: string = JSON.parse(create.output.text.trim().split("\n").at(-1)!).code ?? fail(`create printed no code: ${create.output.text}`);
  step(`room ${code}`);

  const join = spawn(
    "join",
    ["join", "--hub", hubUrl, "--code", code, "--endpoint", upstreamUrl, "--model", MODEL, "--nickname", "smoke-bot", "--header-env", "Authorization=SMOKE_AUTH", "--no-specs", "--no-interactive"],
    { SMOKE_AUTH: SECRET },
  );
  await until("the participant to be online", 15_000, async () => {
    if (join.proc.exitCode !== null) fail(`join exited with ${join.proc.exitCode}`);
    const res = await fetch(`${hubUrl}/rooms/${code}/participants`);
    const { participants } = (await res.json()) as { participants: { nickname: string; status: string; hasAuth: boolean }[] };
    return participants.find((p) => p.nickname === "smoke-bot" && p.status === "online" && p.hasAuth) ? true : undefined;
  });
  step("participant online");

  const inferenceFrom = seen.length;
  const res = await fetch(`${hubUrl}/rooms/${code}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "smoke?" }] }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) fail(`chat completion: HTTP ${res.status} ${await res.text()}`);
  if (!res.headers.get("content-type")?.startsWith("text/event-stream")) fail(`chat completion: content-type ${res.headers.get("content-type")}`);
  const sse = await res.text();
  const datas = sse.split(/\r\n|\r|\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
  if (datas.at(-1) !== "[DONE]") fail(`stream did not end with data: [DONE]:\n${sse}`);
  const content = datas.slice(0, -1).map((d) => JSON.parse(d).choices?.[0]?.delta?.content ?? "").join("");
  if (content !== WORDS.join("")) fail(`streamed content was ${JSON.stringify(content)}, expected ${JSON.stringify(WORDS.join(""))}`);
  const call = seen.slice(inferenceFrom).find((s) => s.path === "/v1/chat/completions" && s.body.includes('"stream":true'));
  if (!call) fail("the upstream never received the inference call");
  if (call!.authorization !== SECRET) fail("the upstream's inference call did not carry the Authorization header from --header-env");
  step(`streamed "${content}" + [DONE]; upstream got the auth header`);

  join.proc.kill("SIGTERM");
  const joinCode = await exitsWith(join, 10_000);
  if (joinCode !== 0) fail(`join exited with ${joinCode} on SIGTERM, expected 0`);
  const after = (await (await fetch(`${hubUrl}/rooms/${code}/participants`)).json()) as { participants: unknown[] };
  if (after.participants.length !== 0) fail("join exited but its participant is still in the room");
  hub.proc.kill("SIGTERM");
  const hubCode = await exitsWith(hub, 10_000);
  if (hubCode !== 0) fail(`hub exited with ${hubCode} on SIGTERM, expected 0`);
  step("join left the room; join and hub exited 0 on SIGTERM");

  const secretPart = SECRET.slice("Bearer ".length);
  for (const c of children) if (c.output.text.includes(secretPart)) fail(`the secret appeared in ${c.name}'s output`);
}

let exitCode = 0;
const overall = setTimeout(() => {
  console.error(`smoke: FAILED: over the ${TOTAL_MS / 1000} s budget`);
  for (const c of children) c.proc.kill("SIGKILL");
  process.exit(1);
}, TOTAL_MS);
try {
  await run();
  step(`ok: ${binary}`);
} catch (err) {
  exitCode = 1;
  console.error(`smoke: FAILED: ${err instanceof SmokeFailure ? err.message : (err as Error).stack ?? String(err)}`);
  // The children's output says why, with the secret masked in case that is what went wrong.
  for (const c of children) console.error(`--- ${c.name} output ---\n${c.output.text.replaceAll(SECRET.slice(7), "<secret>")}`);
} finally {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
  await upstream.stop(true);
  rmSync(configHome, { recursive: true, force: true });
  clearTimeout(overall);
}
process.exit(exitCode);
