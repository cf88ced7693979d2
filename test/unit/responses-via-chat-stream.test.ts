/**
 * responses-via-chat stream mapper, replayed over every recorded chat stream: the output obeys
 * the Responses grammar (strict checker) and carries exactly what the recording carries
 * (assembleChat of the source, the other engineer's helper) — whole, decoded byte by byte,
 * with a dropped connection at every event, and with the body cut at every event.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper, mapResponse } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { assembleChat, type AssembledChat } from "../helpers/chat-stream-check.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { assembleResponses, checkResponsesStream, type AssembledResponses } from "../helpers/responses-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request = { model: "participant-model", input: "hi", stream: true };



function run(events: SseEvent[], last: "end" | { fail: string } = "end") {
  const mapper = createStreamMapper(request, context(), { responseId: "resp_test" });
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(last === "end" ? mapper.end() : mapper.fail({ message: last.fail, code: "upstream_disconnected" })));
  return { out, result: mapper.result() };
}

/** What the Responses client must end up with, given what the chat source carries. */
function expectedFrom(chat: AssembledChat, ended: "done" | "fail" | "cut"): Partial<AssembledResponses> {
  const exp: Partial<AssembledResponses> = {
    text: chat.text,
    reasoning: chat.reasoning,
    refusal: chat.refusal,
    toolCalls: chat.toolCalls.map((c) => ({ callId: c.id, name: c.name, arguments: c.arguments })),
  };
  if (chat.usage) exp.usage = { ...chat.usage, cached: chat.usage.cached ?? 0, reasoningTokens: chat.usage.reasoningTokens ?? 0 };
  if (chat.error) {
    exp.status = "failed";
    exp.error = { code: String(chat.error.code ?? chat.error.type ?? "upstream_error"), message: chat.error.message };
  } else if (ended === "fail") {
    exp.status = "failed";
    exp.error = { code: "upstream_disconnected", message: "connection lost" };
  } else if (ended === "cut" && chat.finishReason === null) {
    exp.status = "failed";
    exp.error = { code: "upstream_incomplete", message: "the participant's stream ended before the answer was finished (no finish_reason, no [DONE])" };
  } else if (chat.finishReason === "length" || chat.finishReason === "content_filter") {
    exp.status = "incomplete";
    exp.incompleteReason = chat.finishReason === "length" ? "max_output_tokens" : "content_filter";
  } else exp.status = "completed";
  return exp;
}

function assembled(out: SseEvent[]) {
  const a = assembleResponses(out, { strict: true });
  const { response: _r, output: _o, ...rest } = a;
  return rest;
}

const terminates = (e: SseEvent) => e.data === "[DONE]" || e.event === "error" || /"error"\s*:\s*\{/.test(e.data);

const recordings = loadFixtures().filter((f) => f.protocol === "chat" && f.stream);

describe("every recorded chat stream, adapted", () => {
  test("all of them are here", () => expect(recordings.length).toBe(24));

  for (const f of recordings) {
    describe(f.name, () => {
      const events = decode(f.bytes);

      test("grammar holds and the assembled result equals the source's", () => {
        const { out, result } = run(events);
        checkResponsesStream(out, { strict: true });
        expect(assembled(out)).toEqual(expectedFrom(assembleChat(events), "done") as any);
        expect(out.some((e) => e.data === "[DONE]")).toBe(false);
        expect(result).toEqual(JSON.parse(out.at(-1)!.data).response);
      });

      test("decoded one byte at a time: the same events", () => {
        expect(run(decode(f.bytes, 1)).out).toEqual(run(events).out);
      });

      test("a dropped connection after every event: error + response.failed, grammar intact", () => {
        for (let k = 0; k <= events.length; k++) {
          const prefix = events.slice(0, k);
          const { out, result } = run(prefix, { fail: "connection lost" });
          const why = `failing after event ${k}`;
          const got = assembled(out);
          const ended = prefix.some(terminates) ? "done" : "fail";
          expect(got, why).toEqual(expectedFrom(assembleChat(prefix), ended) as any);
          if (ended === "fail") {
            const types = out.map((e) => JSON.parse(e.data).type);
            expect(types.slice(-2), why).toEqual(["error", "response.failed"]);
            expect(result?.status, why).toBe("failed");
          }
        }
      });

      test("the body cut after every event: completed only with a finish_reason", () => {
        for (let k = 0; k <= events.length; k++) {
          const prefix = events.slice(0, k);
          const { out } = run(prefix);
          const ended = prefix.some(terminates) ? "done" : "cut";
          expect(assembled(out), `cut after event ${k}`).toEqual(expectedFrom(assembleChat(prefix), ended) as any);
        }
      });

      test("nothing after the terminal event", () => {
        const mapper = createStreamMapper(request, context(), { responseId: "resp_test" });
        for (const e of events) mapper.push(e);
        mapper.end();
        expect(mapper.push(events.at(-1)!)).toEqual([]);
        expect(mapper.end()).toEqual([]);
        expect(mapper.fail({ message: "late" })).toEqual([]);
      });
    });
  }
});

describe("stream and non-stream agree", () => {
  for (const f of recordings) {
    const events = decode(f.bytes);
    const chat = assembleChat(events);
    if (chat.error) continue;
    test(`${f.name}: result() equals mapResponse of the same answer as one body`, () => {
      const message: Json = { role: "assistant", content: chat.text || null };
      if (chat.reasoning) message.reasoning_content = chat.reasoning;
      if (chat.refusal) message.refusal = chat.refusal;
      if (chat.toolCalls.length) message.tool_calls = chat.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
      const usage = chat.usage && { prompt_tokens: chat.usage.input, completion_tokens: chat.usage.output, total_tokens: chat.usage.total, prompt_tokens_details: { cached_tokens: chat.usage.cached ?? 0 }, completion_tokens_details: { reasoning_tokens: chat.usage.reasoningTokens ?? 0 } };
      const body = { id: "x", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message, finish_reason: chat.finishReason }], ...(usage ? { usage } : {}) };
      const strip = (r: Json) => ({ ...r, output: r.output.map(({ id: _id, ...item }: Json) => item) });
      const streamed = run(events).result!;
      expect(strip(streamed)).toEqual(strip(mapResponse(body, request, context(), { responseId: "resp_test" })));
    });
  }
});

describe("the wire shape, as OpenAI sends it", () => {
  const events = decode(recordings.find((f) => f.name === "chat/openai-text-usage.sse")!.bytes);
  const { out } = run(events);
  const data = out.map((e) => JSON.parse(e.data));

  test("event: lines equal data.type; sequence numbers 0, 1, 2, …", () => {
    out.forEach((e, i) => {
      expect(e.event).toBe(data[i].type);
      expect(data[i].sequence_number).toBe(i);
    });
  });

  test("created/in_progress, one message item, completed", () => {
    const types = data.map((d) => d.type).filter((t) => t !== "response.output_text.delta");
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(data[0].response).toMatchObject({ id: "resp_test", object: "response", status: "in_progress", output: [], usage: null, model: "participant-model", created_at: 1_750_000_000 });
    expect(data[2].item).toEqual({ id: "msg_id1", type: "message", status: "in_progress", content: [], role: "assistant" });
    expect(data[3].part).toEqual({ type: "output_text", annotations: [], logprobs: [], text: "" });
    const delta = data.find((d) => d.type === "response.output_text.delta");
    expect(Object.keys(delta)).toEqual(["type", "content_index", "delta", "item_id", "logprobs", "output_index", "sequence_number"]);
    expect(delta).toMatchObject({ item_id: "msg_id1", output_index: 0, content_index: 0, logprobs: [] });
    expect(data.at(-1).response).toMatchObject({ status: "completed", completed_at: 1_750_000_000, usage: { input_tokens: 78, output_tokens: 9, total_tokens: 87 } });
  });
});
