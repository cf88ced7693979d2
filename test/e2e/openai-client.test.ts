/** The official `openai` package, pointed at a room, streams through the hub like through OpenAI. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestHub, type TestHub } from "../helpers/hub.ts";
import { sseResponse, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { loadFixtures, splitEvents } from "../helpers/fixtures.ts";

let hub: TestHub;
let upstream: FakeUpstream;
let client: OpenAI;

const fixture = (name: string) => loadFixtures().find((f) => f.name === name)!;

/** The text a recorded chat stream carries, assembled independently of the client. */
function recordedChatText(name: string): string {
  return new TextDecoder()
    .decode(fixture(name).bytes)
    .split("\n")
    .filter((l) => l.startsWith("data: {"))
    .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
    .join("");
}

beforeAll(async () => {
  hub = startTestHub();
  upstream = startFakeUpstream({ models: ["gpt-4o-mini"] });
  const code = await hub.createRoom();
  await hub.join(code, { id: "p1", nickname: "openai-like", model: "gpt-4o-mini", endpoint: upstream.url });
  client = new OpenAI({ baseURL: `${hub.url}/rooms/${code}/v1`, apiKey: "not-needed-by-the-hub", maxRetries: 0 });
});
afterAll(async () => {
  await hub.stop();
  await upstream.stop();
});

test("chat.completions.create({stream: true}) yields the recorded text and usage", async () => {
  upstream.handle(() => sseResponse(splitEvents(fixture("chat/openai-text-usage.sse").bytes)));
  const stream = await client.chat.completions.create({
    model: "*",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "hi" }],
  });
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  expect(text).toBe(recordedChatText("chat/openai-text-usage.sse"));
  expect(text.length).toBeGreaterThan(0);
  expect(usage?.total_tokens).toBeGreaterThan(0);
  // The client's API key is not forwarded to the participant.
  expect(upstream.inference().at(-1)!.headers.authorization).toBeUndefined();
});

test("chat.completions.stream() helper assembles tool calls", async () => {
  upstream.handle(() => sseResponse(splitEvents(fixture("chat/openai-tool-call.sse").bytes)));
  const runner = client.chat.completions.stream({
    model: "*",
    messages: [{ role: "user", content: "weather?" }],
    tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { country: { type: "string" } } } } }],
  });
  const final = await runner.finalChatCompletion();
  const call = final.choices[0]!.message.tool_calls![0]!;
  expect(call.type).toBe("function");
  expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({ country: "UK" });
});

test("non-streaming create parses", async () => {
  upstream.handle(() => new Response(fixture("chat/openai-text.json").bytes, { headers: { "content-type": "application/json" } }));
  const res = await client.chat.completions.create({ model: "p1", messages: [{ role: "user", content: "hi" }] });
  const recorded = JSON.parse(new TextDecoder().decode(fixture("chat/openai-text.json").bytes));
  expect(res.choices[0]!.message.content).toBe(recorded.choices[0].message.content);
});

test("responses.stream().finalResponse() on a Responses participant", async () => {
  upstream.handle(() => sseResponse(splitEvents(fixture("responses/openai-text.sse").bytes)));
  const final = await client.responses.stream({ model: "*", input: "hi" }).finalResponse();
  const recorded = new TextDecoder().decode(fixture("responses/openai-text.sse").bytes);
  const done = JSON.parse(recorded.split("\n").filter((l) => l.includes('"type":"response.completed"'))[0]!.replace(/^data: /, ""));
  expect(final.output_text).toBe(done.response.output.find((o: any) => o.type === "message").content[0].text);
  expect(final.id).toBe(done.response.id);
});

test("hub errors surface as OpenAI APIError with our message", async () => {
  const err = await client.chat.completions.create({ model: "nobody", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  expect(err.message).toContain("no participant or model matches");
});

test("a mid-stream upstream error reaches the client as an APIError", async () => {
  upstream.handle(() => sseResponse(splitEvents(fixture("chat/openrouter-error-midstream.sse").bytes)));
  const stream = await client.chat.completions.create({ model: "*", stream: true, messages: [{ role: "user", content: "hi" }] });
  const err = await (async () => {
    for await (const _ of stream);
  })().catch((e) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(String(err.message)).toContain("Token limit reached");
});
