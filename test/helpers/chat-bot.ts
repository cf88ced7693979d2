/**
 * A fake chat-only model with a memory a test can check, for the tests that drive real clients
 * through a room (adaptation-clients, messages-clients): it answers `turn N: <last user text>`,
 * N counting the user messages it was sent; offered `get_weather` and with no tool result yet,
 * it says "Let me check. " and calls get_weather({"city":"Paris"}) (streamed in pieces); after
 * the result, `weather: <result>`. Streams end with usage when asked for it, then `[DONE]`.
 * `chatBotBehindPassword`: a protected room of it, for the tests of a room's password.
 */
import type { TestHub } from "./hub.ts";
import { startFakeUpstream, type FakeUpstream } from "./fake-upstream.ts";

type Json = Record<string, any>;

/** A password-protected room on `hub` whose one participant ("p1", model "bot", chat only) is the chat bot. Stop the upstream when done. */
export async function chatBotBehindPassword(hub: TestHub, password: string): Promise<{ code: string; upstream: FakeUpstream }> {
  const upstream = startFakeUpstream({ models: ["bot"], chat: true, responses: false });
  upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
  const code = await hub.createRoom({ name: "locked", password });
  const joined = await hub.join(code, { id: "p1", nickname: "p1", model: "bot", endpoint: upstream.url, password });
  if (joined.status !== 201) throw new Error(`join: ${joined.status} ${await joined.text()}`);
  return { code, upstream };
}

export function chatBotAnswer(body: Json): Response {
  const messages = body.messages as Json[];
  const last = messages.at(-1)!;
  const users = messages.filter((m) => m.role === "user");
  const lastText = typeof last.content === "string" ? last.content : last.content.map((p: Json) => p.text ?? "").join("");
  const call = last.role !== "tool" && body.tools?.some((t: Json) => t.function.name === "get_weather") ? { id: `call_${users.length}`, name: "get_weather", arguments: '{"city":"Paris"}' } : undefined;
  const text = last.role === "tool" ? `weather: ${last.content}` : `turn ${users.length}: ${lastText}`;
  const base = { id: "chatcmpl-bot", created: 1_700_000_000, model: body.model };
  const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
  const finish = call ? "tool_calls" : "stop";
  if (!body.stream) {
    const message = call ? { role: "assistant", content: "Let me check. ", tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }] } : { role: "assistant", content: text };
    return Response.json({ ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: finish }], usage });
  }
  const chunk = (delta: Json, finish_reason: string | null = null) => `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
  const parts = [chunk({ role: "assistant", content: "" })];
  if (call) {
    parts.push(chunk({ content: "Let me check. " }));
    parts.push(chunk({ tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(0, 5) } }] }));
    parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(5) } }] }));
  } else for (const word of text.split(/(?<= )/)) parts.push(chunk({ content: word }));
  parts.push(chunk({}, finish));
  if (body.stream_options?.include_usage) parts.push(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage })}\n\n`);
  parts.push("data: [DONE]\n\n");
  return new Response(parts.join(""), { headers: { "content-type": "text/event-stream" } });
}
