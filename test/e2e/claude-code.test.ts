/**
 * Claude Code (`@anthropic-ai/claude-code`, a devDependency) through a real hub: `claude -p …
 * --output-format json` with ANTHROPIC_BASE_URL at a room whose only participant is a fake that
 * speaks Chat Completions. Its first request (the agent's, with its tools, a system prompt in
 * blocks, `thinking`, `context_management`, `metadata.user_id`, `?beta=true`, the key as
 * x-api-key) must not be refused; the fake answers it with a `Read` of a file, Claude Code runs
 * the tool and sends the result, the fake answers with what it read, and the run ends with exit
 * 0 and that answer.
 *
 * Nothing leaves loopback (test/helpers/claude-code.ts: telemetry and updates off, any other
 * request sent to a closed port), and HOME is a fresh temp folder.
 * Skipped, saying why, when the binary is not there or does not run on this machine.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOneProtocolRooms, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { CLAUDE, claudeUnavailable, OFFLINE_ENV } from "../helpers/claude-code.ts";

type Json = Record<string, any>;

const home = mkdtempSync(join(tmpdir(), "gambi-claude-code-"));
const ENV: Record<string, string> = {
  ...OFFLINE_ENV,
  HOME: home,
  ANTHROPIC_API_KEY: "sk-ant-gambi-test",
  // The room's model: Claude Code would otherwise ask for its own (claude-…), which no participant serves.
  ANTHROPIC_MODEL: "bot",
  ANTHROPIC_SMALL_FAST_MODEL: "bot",
  ANTHROPIC_DEFAULT_HAIKU_MODEL: "bot",
};
const skip = claudeUnavailable(ENV, home);

let rooms: OneProtocolRooms;
const NOTE = join(home, "note.txt");

/** Whatever Claude Code sends: a Read of the note to an agent turn that has not read it, its content once read, plain text to anything else. */
function answer(body: Json): Response {
  const messages = body.messages as Json[];
  const toolResult = messages.findLast((m) => m.role === "tool");
  const offersRead = (body.tools ?? []).some((t: Json) => t.function?.name === "Read");
  const base = { id: "chatcmpl-cc", object: "chat.completion.chunk", created: 1_700_000_000, model: body.model };
  const chunk = (delta: Json, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const usage = `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } })}\n\n`;
  let deltas: string[];
  if (offersRead && !toolResult) {
    deltas = [chunk({ role: "assistant", content: "" }), chunk({ tool_calls: [{ index: 0, id: "call_read_1", type: "function", function: { name: "Read", arguments: "" } }] }), chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify({ file_path: NOTE }) } }] }), chunk({}, "tool_calls")];
  } else if (toolResult) {
    const said = String(typeof toolResult.content === "string" ? toolResult.content : JSON.stringify(toolResult.content));
    deltas = [chunk({ role: "assistant", content: "" }), chunk({ content: said.includes("forty-two") ? "The note says forty-two." : `I could not read it: ${said.slice(0, 100)}` }), chunk({}, "stop")];
  } else deltas = [chunk({ role: "assistant", content: "" }), chunk({ content: "A short title" }), chunk({}, "stop")];
  if (!body.stream) {
    const text = deltas.map((d) => JSON.parse(d.slice(6)).choices[0].delta.content ?? "").join("");
    return Response.json({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage: { prompt_tokens: 10, completion_tokens: 3 } });
  }
  return new Response([...deltas, usage, "data: [DONE]\n\n"].join(""), { headers: { "content-type": "text/event-stream" } });
}

beforeAll(async () => {
  writeFileSync(NOTE, "The answer is forty-two.\n");
  rooms = await startOneProtocolRooms({ chatModel: "bot", responsesModel: "resp" });
  rooms.chat.upstream.handle((_req, body) => answer(JSON.parse(body)));
});
afterAll(async () => {
  await rooms?.stop();
  rmSync(home, { recursive: true, force: true });
});

test.skipIf(skip !== undefined)(`claude -p through a room of one chat-only participant: a Read round trip, exit 0${skip ? ` (skipped: ${skip})` : ""}`, async () => {
  const proc = Bun.spawn([CLAUDE, "-p", "What does note.txt say?", "--output-format", "json", "--allowedTools", "Read"], {
    cwd: home,
    env: { ...ENV, ANTHROPIC_BASE_URL: `${rooms.hub.url}/rooms/${rooms.chat.room}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  const deadline = setTimeout(() => proc.kill(), 90_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(deadline);
  if (code !== 0) throw new Error(`claude exited ${code}\nstdout: ${out.slice(0, 2000)}\nstderr: ${err.slice(0, 2000)}\nhub: ${rooms.hub.logs.join("\n").slice(-2000)}`);
  const result = JSON.parse(out) as Json;
  expect(result.is_error).toBe(false);
  expect(result.result).toBe("The note says forty-two.");
  const sent = rooms.chat.upstream.inference().map((r) => JSON.parse(r.body) as Json);
  // The agent's turn, the tool's result back, and its answer: all through the hub as chat.
  const agent = sent.filter((b) => (b.tools ?? []).some((t: Json) => t.function?.name === "Read"));
  expect(agent.length).toBeGreaterThanOrEqual(2);
  expect(agent.at(-1)!.messages.slice(-2)).toMatchObject([{ role: "assistant", tool_calls: [{ id: "call_read_1", function: { name: "Read" } }] }, { role: "tool", tool_call_id: "call_read_1" }]);
  expect(agent[0]!.messages[0].role).toBe("system");
  // The key Claude Code sent (x-api-key) never reached the participant.
  expect(rooms.chat.upstream.inference().every((r) => !JSON.stringify(r.headers).includes("sk-ant-gambi-test"))).toBe(true);
}, 120_000);
