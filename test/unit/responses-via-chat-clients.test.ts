/**
 * The adapted Responses output, read by the real clients' parsers in-process (a `fetch` that
 * answers with our bytes; no hub, no network): the official `openai` package's
 * `responses.stream(...).finalResponse()` and `responses.create()`, and the Vercel AI SDK's
 * `openai.responses(...)` with `streamText`. They must parse without schema errors and read
 * exactly the upstream's content. (The hub-level e2e with these clients lives elsewhere.)
 */
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createStreamMapper, mapResponse } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { assembleChat } from "../helpers/chat-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

const request = { model: "participant-model", input: "hi", stream: true };

function context() {
  let n = 0;
  return { newId: () => `id${++n}`, now: () => 1_750_000_000_000 };
}

function adapted(bytes: Uint8Array): string {
  const d = new SseDecoder();
  const events: SseEvent[] = [...d.push(bytes), ...d.end()];
  const mapper = createStreamMapper(request, context(), { responseId: "resp_client" });
  return [...events.flatMap((e) => mapper.push(e)), ...mapper.end()].map(formatSse).join("");
}

const answering = (body: string, type: string) => (async () => new Response(body, { headers: { "content-type": type } })) as unknown as typeof fetch;

const recordings = loadFixtures().filter((f) => f.protocol === "chat" && f.stream);
const ok = recordings.filter((f) => !assembleChat(new SseDecoder().push(f.bytes)).error && !f.name.includes("error"));

describe("openai package", () => {
  for (const f of ok) {
    test(`${f.name}: responses.stream().finalResponse()`, async () => {
      const chat = assembleChat([...new SseDecoder().push(f.bytes)]);
      const client = new OpenAI({ apiKey: "unused", baseURL: "http://hub.invalid/v1", fetch: answering(adapted(f.bytes), "text/event-stream") });
      const stream = client.responses.stream({ model: "participant-model", input: "hi" });
      let deltas = "";
      stream.on("response.output_text.delta", (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      expect(final.output_text).toBe(chat.text);
      expect(deltas).toBe(chat.text);
      const calls = final.output.filter((o) => o.type === "function_call");
      expect(calls.map((c) => [c.call_id, c.name, c.arguments])).toEqual(chat.toolCalls.map((c) => [c.id, c.name, c.arguments]));
    });
  }

  test("responses.create() on a mapped non-streaming body", async () => {
    const body = mapResponse(
      { id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "Olá!" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      request,
      context(),
      { responseId: "resp_client" },
    );
    const client = new OpenAI({ apiKey: "unused", baseURL: "http://hub.invalid/v1", fetch: answering(JSON.stringify(body), "application/json") });
    const r = await client.responses.create({ model: "participant-model", input: "hi" });
    expect(r.output_text).toBe("Olá!");
    expect(r.usage?.total_tokens).toBe(3);
  });
});

describe("Vercel AI SDK, openai.responses(...)", () => {
  for (const f of ok) {
    test(`${f.name}: streamText reads the text and tool calls`, async () => {
      const chat = assembleChat([...new SseDecoder().push(f.bytes)]);
      const provider = createOpenAI({ apiKey: "unused", baseURL: "http://hub.invalid/v1", fetch: answering(adapted(f.bytes), "text/event-stream") });
      const errors: unknown[] = [];
      const result = streamText({ model: provider.responses("participant-model"), prompt: "hi", onError: ({ error }) => void errors.push(error) });
      const text = await result.text;
      const calls = await result.toolCalls;
      expect(errors).toEqual([]);
      expect(text).toBe(chat.text + chat.refusal); // the AI SDK reads a refusal as text
      expect(calls.map((c) => [c.toolCallId, c.toolName, JSON.stringify(c.input)])).toEqual(chat.toolCalls.map((c) => [c.id, c.name, JSON.stringify(JSON.parse(c.arguments))]));
      const usage = await result.usage;
      if (chat.usage) expect(usage.inputTokens).toBe(chat.usage.input);
    });
  }

  test("a failed stream surfaces as an error, not as a silent empty answer", async () => {
    const f = recordings.find((r) => r.name === "chat/groq-tool-use-failed-midstream.sse")!;
    const provider = createOpenAI({ apiKey: "unused", baseURL: "http://hub.invalid/v1", fetch: answering(adapted(f.bytes), "text/event-stream") });
    const errors: unknown[] = [];
    const result = streamText({ model: provider.responses("participant-model"), prompt: "hi", onError: ({ error }) => void errors.push(error) });
    await result.consumeStream();
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(errors[0])).toContain("tool_use_failed");
  });
});
