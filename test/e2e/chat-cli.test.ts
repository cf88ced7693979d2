/**
 * `gambi chat` as users run it: a spawned CLI against a real hub whose participant is a fake
 * endpoint replaying recorded provider streams. Checks the answer on stdout (and that it
 * streams), who answered and the timings on stderr, piped stdin, and the failures with their
 * exit codes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { controlledStream, sseResponse, startFakeUpstream, waitFor, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { spawnInTerminal } from "../helpers/pty.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

const CLI = resolve(import.meta.dir, "../../src/cli.ts");
let hub: TestHub;
let upstream: FakeUpstream;

const fixtures = loadFixtures();
const events = (name: string) => splitEvents(fixtures.find((f) => f.name === name)!.bytes);

beforeAll(() => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["m"] });
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

/** A fresh room with one participant, so tests never share routing state. */
async function roomWith(nickname: string): Promise<string> {
  const code = await hub.createRoom({ name: `chat ${nickname}` });
  const res = await hub.join(code, { nickname, model: "m", endpoint: upstream.url });
  if (res.status !== 201) throw new Error(`join: ${res.status} ${await res.text()}`);
  return code;
}

/** Serves one recorded stream per protocol, by path. */
function replay(responses: string, chat: string, then?: "die") {
  upstream.handle((req) => sseResponse(events(new URL(req.url).pathname.endsWith("/responses") ? responses : chat), { then }));
}

function gambi(args: string[], stdin?: string) {
  return Bun.spawn([process.execPath, CLI, "chat", "--hub", hub.url, ...args], {
    env: { ...process.env, NO_COLOR: "1" },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function run(args: string[], stdin?: string) {
  const p = gambi(args, stdin);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

/** Reads a stream in the background; `text` grows as bytes arrive. */
function tail(stream: ReadableStream<Uint8Array>) {
  const out = { text: "" };
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of stream) out.text += decoder.decode(chunk, { stream: true });
  })();
  return out;
}

test("Responses (default): the answer on stdout, who answered and TTFT on stderr; --system is the instructions", async () => {
  const code = await roomWith("alice");
  replay("responses/openai-text.sse", "chat/openai-text-usage.sse");
  const r = await run(["--code", code, "--system", "be brief", "hello"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("Oi!\n");
  expect(r.stderr).toMatch(/— alice \(m\) · TTFT \d+ ms · [\d.]+ tok\/s · 118 tokens/);
  const sent = JSON.parse(upstream.inference().at(-1)!.body);
  expect(upstream.inference().at(-1)!.path).toBe("/v1/responses");
  expect(sent).toMatchObject({ model: "m", stream: true, input: [{ role: "user", content: "hello" }], instructions: "be brief" });
});

test("--chat-completions, --instructions (= --system), several words as the prompt", async () => {
  const code = await roomWith("bob");
  replay("responses/openai-text.sse", "chat/openai-text-usage.sse");
  const r = await run(["--code", code, "--chat-completions", "--instructions", "be brief", "capital", "of", "the", "UK?"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("The capital of the UK is London.\n");
  expect(r.stderr).toMatch(/— bob \(m\) · TTFT \d+ ms · .*9 tokens/);
  const last = upstream.inference().at(-1)!;
  expect(last.path).toBe("/v1/chat/completions");
  expect(JSON.parse(last.body).messages).toEqual([
    { role: "system", content: "be brief" },
    { role: "user", content: "capital of the UK?" },
  ]);
});

test("the answer streams: the first words are on stdout before the endpoint has finished", async () => {
  const code = await roomWith("carol");
  const upstreamStream = controlledStream();
  upstream.handle(() => upstreamStream.response());
  const p = gambi(["--code", code, "--chat-completions", "hi"]);
  const out = tail(p.stdout);
  const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
  expect(await waitFor(() => upstream.inference().length > 0 && upstream.inference().at(-1)!.body.includes('"hi"'), 10_000)).toBe(true);
  upstreamStream.send(chunk("first words"));
  expect(await waitFor(() => out.text.includes("first words"), 10_000)).toBe(true);
  expect(out.text).not.toContain("the rest");
  upstreamStream.send(chunk(", the rest"));
  upstreamStream.send(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`);
  upstreamStream.end();
  expect(await p.exited).toBe(0);
  expect(await waitFor(() => out.text === "first words, the rest\n", 2000)).toBe(true);
  const stderr = await new Response(p.stderr).text();
  expect(stderr).toContain("— carol (m) · TTFT");
  expect(stderr).toContain("tokens not reported");
});

test("no PROMPT and a piped stdin: all of stdin is the prompt", async () => {
  const code = await roomWith("dave");
  replay("responses/openai-text.sse", "chat/openai-text-usage.sse");
  const r = await run(["--code", code], "line one\nline two\n");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("Oi!\n");
  expect(JSON.parse(upstream.inference().at(-1)!.body).input).toEqual([{ role: "user", content: "line one\nline two" }]);
});

test("--json: one summary object instead of the streamed text", async () => {
  const code = await roomWith("erin");
  replay("responses/openai-text.sse", "chat/openai-text-usage.sse");
  const r = await run(["--code", code, "--json", "hello"]);
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary).toMatchObject({ text: "Oi!", room: code, protocol: "responses", participant: { nickname: "erin", model: "m" }, outputTokens: 118, finishReason: "completed", error: null });
  expect(summary.ttftMs).toBeNumber();
  expect(summary.responseId).toStartWith("resp_");
});

test("nobody online: the hub's message and exit 3; unknown room or model: exit 4; missing --code without a terminal: exit 2", async () => {
  const empty = await hub.createRoom({ name: "empty" });
  const none = await run(["--code", empty, "hello"]);
  expect(none.code).toBe(3);
  expect(none.stderr).toContain("no participant is online");
  expect(none.stdout).toBe("");

  const noRoom = await run(["--code", "ZZZZZZ", "hello"]);
  expect(noRoom.code).toBe(4);
  expect(noRoom.stderr).toContain("does not exist");

  const code = await roomWith("frank");
  const noModel = await run(["--code", code, "--model", "no-such-model", "hello"]);
  expect(noModel.code).toBe(4);
  expect(noModel.stderr).toContain('no participant or model matches "no-such-model"');

  const noCode = await run(["hello"]);
  expect(noCode.code).toBe(2);
  expect(noCode.stderr).toContain("--code is required");

  const noPrompt = await run(["--code", code], "");
  expect(noPrompt.code).toBe(2);
  expect(noPrompt.stderr).toContain("stdin was empty");

  const down = await run(["--code", code, "--hub", "http://127.0.0.1:9", "hello"]);
  expect(down.code).toBe(3);
  expect(down.stderr).toContain("cannot reach the hub at http://127.0.0.1:9");
});

test("the endpoint dies mid-answer: the text so far, then the error, exit 3 (both protocols)", async () => {
  const code = await roomWith("gina");
  const dec = new TextDecoder();
  const cases = [
    { args: ["--chat-completions"], sent: events("chat/openai-text-usage.sse").slice(0, 4), shown: "The capital of" }, // role chunk + 3 words
    { args: [], sent: events("responses/openai-text.sse").slice(0, 8), shown: "Oi!" }, // up to the text delta
  ];
  for (const { args, sent, shown } of cases) {
    const upstreamStream = controlledStream();
    upstream.handle(() => upstreamStream.response());
    const p = gambi(["--code", code, ...args, "hello"]);
    const out = tail(p.stdout);
    const err = tail(p.stderr);
    const before = upstream.inference().length;
    expect(await waitFor(() => upstream.inference().length > before, 10_000)).toBe(true);
    for (const ev of sent) upstreamStream.send(dec.decode(ev));
    // Die only once the CLI has shown the text, so what reached it is known.
    expect(await waitFor(() => out.text.includes(shown), 10_000)).toBe(true);
    upstreamStream.die();
    expect(await p.exited).toBe(3);
    expect(await waitFor(() => err.text.includes("upstream stream broke off"), 2000)).toBe(true);
    expect(out.text).toBe(`${shown}\n`);
    expect(err.text).toContain("gina (m)");
    expect(err.text).not.toContain("TTFT");
  }
});

test("a provider's own error inside the stream: the message, exit 1", async () => {
  const code = await roomWith("hank");
  replay("responses/openai-error-quota.sse", "chat/openrouter-error-midstream.sse");
  const c = await run(["--code", code, "--chat-completions", "hello"]);
  expect(c.code).toBe(1);
  expect(c.stderr).toContain("hank (m): Token limit reached");

  const r = await run(["--code", code, "hello"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("You exceeded your current quota");
  // `error` and `response.failed` describe one failure: it is reported once.
  expect(r.stderr.split("You exceeded").length).toBe(2);
});

/** A real pseudo-terminal (Bun.spawn's `terminal`), so canPrompt() holds and the interactive loop runs. */
function inTerminal(args: string[]) {
  const t = spawnInTerminal([process.execPath, CLI, "chat", "--hub", hub.url, ...args], { ...process.env, NO_COLOR: "1", TERM: "xterm" });
  return { p: t.proc, out: { get text() { return t.screen(); } }, type: (s: string) => t.type(s) };
}

test("in a terminal without PROMPT: a multi-turn session that resends the conversation; an empty line ends it", async () => {
  const code = await roomWith("ivy");
  replay("responses/openai-text.sse", "chat/openai-text-usage.sse");
  const before = upstream.inference().length;
  const { p, out, type } = inTerminal(["--code", code]);
  expect(await waitFor(() => out.text.includes("an empty line or Ctrl-D ends") && out.text.includes("> "), 10_000)).toBe(true);
  type("hello\r");
  expect(await waitFor(() => out.text.includes("— ivy (m) · TTFT"), 10_000)).toBe(true);
  type("and again\r");
  expect(await waitFor(() => out.text.split("— ivy (m) · TTFT").length === 3, 10_000)).toBe(true);
  const turns = upstream.inference().slice(before).map((r) => JSON.parse(r.body).input);
  expect(turns).toEqual([
    [{ role: "user", content: "hello" }],
    [
      { role: "user", content: "hello" },
      { role: "assistant", content: "Oi!" },
      { role: "user", content: "and again" },
    ],
  ]);
  type("\r");
  expect(await p.exited).toBe(0);
});

test("in a terminal: Ctrl-D at the prompt ends with 0, Ctrl-C with 130", async () => {
  const code = await roomWith("jack");
  for (const [key, exit] of [["\x04", 0], ["\x03", 130]] as const) {
    const { p, out, type } = inTerminal(["--code", code]);
    expect(await waitFor(() => out.text.includes("> "), 10_000)).toBe(true);
    type(key);
    expect(await p.exited).toBe(exit);
  }
});

test("Ctrl-C while an answer streams: exit 130 and the endpoint's request is cancelled", async () => {
  const code = await roomWith("kim");
  const upstreamStream = controlledStream();
  upstream.handle(() => upstreamStream.response());
  const p = gambi(["--code", code, "--chat-completions", "hi"]);
  const out = tail(p.stdout);
  const before = upstream.inference().length;
  expect(await waitFor(() => upstream.inference().length > before, 10_000)).toBe(true);
  upstreamStream.send(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "partial" }, finish_reason: null }] })}\n\n`);
  expect(await waitFor(() => out.text.includes("partial"), 10_000)).toBe(true);
  p.kill("SIGINT");
  expect(await p.exited).toBe(130);
  expect(await waitFor(() => upstream.inference().at(-1)!.aborted || upstreamStream.cancelled, 5000)).toBe(true);
});
