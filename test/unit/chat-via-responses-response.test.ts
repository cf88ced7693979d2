/**
 * chat-via-responses mapResponse: recorded non-streaming Response bodies become chat.completion
 * objects carrying the same content, tool calls and usage; failures become 502 errors.
 */
import { describe, expect, test } from "bun:test";
import { mapResponse } from "../../src/protocol/adapters/chat-via-responses/index.ts";
import type { AdapterContext } from "../../src/protocol/adapters/types.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

type Json = Record<string, any>;
const ctx: AdapterContext = { newId: () => "abc123", now: () => 1_700_000_000_123 };
const request = { model: "requested-model", messages: [{ role: "user", content: "hi" }] };

const bodies = loadFixtures().filter((f) => f.protocol === "responses" && !f.stream);
const body = (name: string): Json => JSON.parse(new TextDecoder().decode(bodies.find((f) => f.name === `responses/${name}`)!.bytes));

/** What the recording says, read generically from its output items (independent of the mapper). */
function expected(resp: Json) {
  const texts = resp.output.filter((i: Json) => i.type === "message").flatMap((i: Json) => i.content.filter((p: Json) => p.type === "output_text").map((p: Json) => p.text));
  const calls = resp.output.filter((i: Json) => i.type === "function_call");
  return {
    content: texts.length > 0 ? texts.join("") : null,
    toolCalls: calls.map((c: Json) => ({ id: c.call_id, type: "function", function: { name: c.name, arguments: c.arguments } })),
    usage: {
      prompt_tokens: resp.usage.input_tokens,
      completion_tokens: resp.usage.output_tokens,
      total_tokens: resp.usage.total_tokens,
      // A details object only when the recording has one (llama.cpp reports no output_tokens_details).
      ...(resp.usage.input_tokens_details && { prompt_tokens_details: { cached_tokens: resp.usage.input_tokens_details.cached_tokens } }),
      ...(resp.usage.output_tokens_details && { completion_tokens_details: { reasoning_tokens: resp.usage.output_tokens_details.reasoning_tokens } }),
    },
  };
}

describe("recorded success bodies", () => {
  const successes = bodies.filter((f) => !("error" in JSON.parse(new TextDecoder().decode(f.bytes)) && JSON.parse(new TextDecoder().decode(f.bytes)).error));
  test("there are success bodies to map", () => expect(successes.length).toBeGreaterThanOrEqual(2));
  for (const f of successes) {
    test(f.name, () => {
      const resp = JSON.parse(new TextDecoder().decode(f.bytes));
      const out = mapResponse(resp, request, ctx);
      const want = expected(resp);
      expect(out.id).toBe("chatcmpl-abc123");
      expect(out.object).toBe("chat.completion");
      expect(out.created).toBe(resp.created_at);
      expect(out.model).toBe(resp.model);
      const choice = (out.choices as Json[])[0]!;
      expect(choice.index).toBe(0);
      expect(choice.logprobs).toBeNull();
      expect(choice.message.role).toBe("assistant");
      expect(choice.message.content).toBe(want.content);
      expect(choice.message.refusal).toBeNull();
      expect(choice.message.tool_calls ?? []).toEqual(want.toolCalls);
      expect(choice.finish_reason).toBe(want.toolCalls.length > 0 ? "tool_calls" : "stop");
      expect(out.usage).toEqual(want.usage);
    });
  }

  test("openai-text.json, read by hand", () => {
    const out = mapResponse(body("openai-text.json"), request, ctx);
    expect(out).toEqual({
      id: "chatcmpl-abc123",
      object: "chat.completion",
      created: 1782321687,
      model: "gpt-5-2025-08-07",
      choices: [{ index: 0, message: { role: "assistant", content: "Olá!", refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 19, completion_tokens: 86, total_tokens: 105, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 64 } },
      service_tier: "default",
    });
  });

  test("lmstudio-function-call.json, read by hand", () => {
    const out = mapResponse(body("lmstudio-function-call.json"), request, ctx);
    const choice = (out.choices as Json[])[0]!;
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: "call_2866856768160095", type: "function", function: { name: "weather", arguments: '{"location":"San Francisco"}' } }]);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(out.usage).toEqual({ prompt_tokens: 1189, completion_tokens: 11, total_tokens: 1200, prompt_tokens_details: { cached_tokens: 891 }, completion_tokens_details: { reasoning_tokens: 0 } });
  });
});

describe("failures", () => {
  test("a recorded error body (openai-error-quota.json) → 502 with the upstream's message and code", () => {
    const resp = body("openai-error-quota.json");
    let err: unknown;
    try {
      mapResponse(resp, request, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GambiError);
    const g = err as GambiError;
    expect(g.status).toBe(502);
    expect(g.message).toBe(resp.error.message);
    expect(g.code).toBe(resp.error.code);
  });

  test("status: failed → 502 with response.error", () => {
    const resp = { id: "resp_1", object: "response", status: "failed", created_at: 1, model: "m", output: [], error: { code: "server_error", message: "The model crashed." } };
    expect(() => mapResponse(resp, request, ctx)).toThrow("The model crashed.");
    try {
      mapResponse(resp, request, ctx);
    } catch (e) {
      expect((e as GambiError).status).toBe(502);
      expect((e as GambiError).code).toBe("server_error");
      expect((e as GambiError).type).toBe("upstream_error");
    }
  });
});

describe("synthetic shapes the recordings lack", () => {
  const resp = (output: Json[], extra: Json = {}) => ({ id: "resp_x", object: "response", created_at: 5, status: "completed", model: "m", output, ...extra });
  const msg = (...content: Json[]) => ({ type: "message", role: "assistant", content });

  test("incomplete: max_output_tokens → length, content_filter → content_filter, even with a call", () => {
    const call = { type: "function_call", call_id: "c1", name: "f", arguments: '{"a":' };
    expect(mapResponse(resp([call], { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } }), request, ctx).choices).toMatchObject([{ finish_reason: "length" }]);
    expect(mapResponse(resp([msg({ type: "output_text", text: "x" })], { status: "incomplete", incomplete_details: { reason: "content_filter" } }), request, ctx).choices).toMatchObject([{ finish_reason: "content_filter" }]);
  });

  test("refusal parts → message.refusal, content null, finish stop", () => {
    const out = mapResponse(resp([msg({ type: "refusal", refusal: "I can't " }, { type: "refusal", refusal: "help." })]), request, ctx);
    expect((out.choices as Json[])[0]).toMatchObject({ message: { content: null, refusal: "I can't help." }, finish_reason: "stop" });
  });

  test("reasoning: reasoning_text parts and summaries, joined by blank lines; text across parts and items", () => {
    const out = mapResponse(
      resp([
        { type: "reasoning", summary: [{ type: "summary_text", text: "First." }, { type: "summary_text", text: "Second." }] },
        { type: "reasoning", content: [{ type: "reasoning_text", text: "Raw." }], summary: [] },
        msg({ type: "output_text", text: "A" }, { type: "output_text", text: "B" }),
        msg({ type: "output_text", text: "C" }),
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call", call_id: "c2", name: "g", arguments: "" },
      ]),
      request,
      ctx,
    );
    const m = (out.choices as Json[])[0]!.message;
    expect(m.reasoning_content).toBe("First.\n\nSecond.\n\nRaw.");
    expect(m.content).toBe("ABC");
    expect(m.tool_calls).toEqual([
      { id: "c1", type: "function", function: { name: "f", arguments: "{}" } },
      { id: "c2", type: "function", function: { name: "g", arguments: "" } },
    ]);
    expect((out.choices as Json[])[0]!.finish_reason).toBe("tool_calls");
  });

  test("url_citation annotations re-nested, offsets shifted into the joined content", () => {
    const out = mapResponse(
      resp([msg({ type: "output_text", text: "abc", annotations: [] }, { type: "output_text", text: "see x", annotations: [{ type: "url_citation", start_index: 4, end_index: 5, title: "X", url: "https://x" }, { type: "file_citation", file_id: "f", index: 0 }] })]),
      request,
      ctx,
    );
    expect((out.choices as Json[])[0]!.message.annotations).toEqual([{ type: "url_citation", url_citation: { start_index: 7, end_index: 8, title: "X", url: "https://x" } }]);
  });

  test("no usage, no created_at, no model: usage omitted, clock and request model used", () => {
    const out = mapResponse({ status: "completed", output: [msg({ type: "output_text", text: "x" })] }, request, ctx);
    expect(out.usage).toBeUndefined();
    expect(out.created).toBe(1_700_000_000);
    expect(out.model).toBe("requested-model");
  });
});
