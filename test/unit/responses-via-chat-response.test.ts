/** responses-via-chat: a non-streaming chat.completion → a Response object. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mapResponse as mapResponseJson } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { FIXTURES_DIR, fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";

type Json = Record<string, any>;
// The tests read into the result freely.
const mapResponse = (...args: Parameters<typeof mapResponseJson>): Json => mapResponseJson(...args);

function context() {
  let n = 0;
  return { newId: () => `id${++n}`, now: () => 1_750_000_000_500 };
}

const request = { model: "participant-model", input: "hi" };

/** What a client reads off a Response object. */
function read(r: Json) {
  const out = { text: "", reasoning: "", refusal: "", toolCalls: [] as Json[] };
  for (const item of r.output) {
    if (item.type === "message") {
      for (const p of item.content) {
        if (p.type === "output_text") out.text += p.text;
        if (p.type === "refusal") out.refusal += p.refusal;
      }
    } else if (item.type === "reasoning") out.reasoning += item.content.map((p: Json) => p.text).join("");
    else if (item.type === "function_call") out.toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
  }
  return out;
}

/** What the chat body carries, read the obvious way (one field per concept). */
function expected(chat: Json) {
  const m = chat.choices[0].message;
  const reasoning = [m.reasoning_content, m.reasoning].find((v) => typeof v === "string" && v !== "") ?? "";
  return {
    text: typeof m.content === "string" ? m.content : "",
    reasoning,
    refusal: typeof m.refusal === "string" ? m.refusal : "",
    toolCalls: (m.tool_calls ?? []).map((tc: Json) => ({ id: tc.id, name: tc.function.name, arguments: tc.function.arguments })),
  };
}

const bodies = loadFixtures().filter((f) => f.protocol === "chat" && !f.stream);
const successes = bodies.filter((f) => fixtureStatus(f.name) === 200);
const failures = bodies.filter((f) => fixtureStatus(f.name) !== 200);

describe("every recorded chat.completion body", () => {
  test("there are success and error bodies to replay", () => {
    expect(successes.length).toBeGreaterThanOrEqual(6);
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });

  for (const f of successes) {
    test(`${f.name} → a Response with the same content, usage and status`, () => {
      const chat = JSON.parse(new TextDecoder().decode(f.bytes));
      const r = mapResponse(chat, request, context(), { responseId: "resp_abc" });
      expect(read(r)).toEqual(expected(chat));
      expect(r.id).toBe("resp_abc");
      expect(r.object).toBe("response");
      expect(r.model).toBe("participant-model");
      const finish = chat.choices[0].finish_reason;
      expect(r.status).toBe(finish === "length" || finish === "content_filter" ? "incomplete" : "completed");
      const u = chat.usage;
      expect(r.usage).toEqual({
        input_tokens: u.prompt_tokens,
        input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0 },
        output_tokens: u.completion_tokens,
        output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
        total_tokens: u.total_tokens,
      });
      expect(r.created_at).toBe(chat.created > 0 ? chat.created : 1_750_000_000);
      expect(r.completed_at).toBe(1_750_000_000);
      for (const item of r.output) expect(item.id).toMatch(item.type === "message" ? /^msg_/ : item.type === "reasoning" ? /^rs_/ : /^fc_/);
    });
  }

  for (const f of failures) {
    test(`${f.name} (an error body) has no answer → 502`, () => {
      const chat = JSON.parse(new TextDecoder().decode(f.bytes));
      let err: unknown;
      try {
        mapResponse(chat, request, context(), { responseId: "resp_x" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GambiError);
      expect((err as GambiError).status).toBe(502);
      expect((err as GambiError).message).toContain(chat.error.message.slice(0, 20));
    });
  }
});

describe("values read off the recordings by hand", () => {
  const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES_DIR, "chat", name), "utf8"));

  test("deepseek-structured-output-reasoning.json: reasoning item first, cache hits as cached tokens", () => {
    const r = mapResponse(load("deepseek-structured-output-reasoning.json"), request, context(), { responseId: "resp_1" });
    expect(r.output.map((i: Json) => i.type)).toEqual(["reasoning", "message"]);
    expect(r.output[0].summary).toEqual([]);
    expect(r.output[0].content[0].type).toBe("reasoning_text");
    expect(r.usage.input_tokens_details.cached_tokens).toBe(load("deepseek-structured-output-reasoning.json").usage.prompt_cache_hit_tokens);
  });

  test("fireworks-think-tags.json: <think> stays in the text, no reasoning item", () => {
    const r = mapResponse(load("fireworks-think-tags.json"), request, context(), { responseId: "resp_1" });
    expect(r.output.map((i: Json) => i.type)).toEqual(["message"]);
    expect(r.output[0].content[0].text.startsWith("<think>")).toBe(true);
  });

  test("lmstudio-structured-output.json: reasoning_content \"\" makes no reasoning item", () => {
    const r = mapResponse(load("lmstudio-structured-output.json"), request, context(), { responseId: "resp_1" });
    expect(r.output.map((i: Json) => i.type)).toEqual(["message"]);
  });

  test("ollama-structured-output-reasoning.json: reasoning from message.reasoning", () => {
    const r = mapResponse(load("ollama-structured-output-reasoning.json"), request, context(), { responseId: "resp_1" });
    expect(r.output[0].type).toBe("reasoning");
    expect(r.output[0].content[0].text.length).toBeGreaterThan(0);
  });

  test("openai-text.json has the same top-level keys as OpenAI's own Response, in the same order", () => {
    const r = mapResponse(load("openai-text.json"), request, context(), { responseId: "resp_1" });
    const openai = JSON.parse(readFileSync(join(FIXTURES_DIR, "responses", "openai-text.json"), "utf8"));
    const theirs = Object.keys(openai).filter((k) => k !== "billing");
    expect(Object.keys(r)).toEqual(theirs);
    expect(Object.keys(r.output[0])).toEqual(Object.keys(openai.output[1]));
    expect(Object.keys(r.output[0].content[0])).toEqual(Object.keys(openai.output[1].content[0]));
    expect(Object.keys(r.usage)).toEqual(Object.keys(openai.usage));
  });
});

describe("shapes", () => {
  const chat = (message: Json, finish = "stop", extra: Json = {}) => ({
    id: "c1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "upstream-name",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish, ...extra }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  });

  test("text + tool calls: message then function_call items; call ids kept", () => {
    const r = mapResponse(
      chat(
        {
          content: "Let me check.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "a", arguments: '{"x":1}' } },
            { type: "function", function: { name: "b", arguments: { y: 2 } } },
          ],
        },
        "tool_calls",
      ),
      request,
      context(),
      { responseId: "resp_1" },
    );
    expect(r.output).toEqual([
      { id: "msg_id1", type: "message", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Let me check." }], role: "assistant" },
      { id: "fc_id2", type: "function_call", status: "completed", arguments: '{"x":1}', call_id: "call_1", name: "a" },
      { id: "fc_id4", type: "function_call", status: "completed", arguments: '{"y":2}', call_id: "call_id3", name: "b" },
    ]);
    expect(r.status).toBe("completed");
  });

  test("refusal → a refusal part", () => {
    const r = mapResponse(chat({ content: null, refusal: "I can't." }), request, context(), { responseId: "resp_1" });
    expect(r.output[0].content).toEqual([{ type: "refusal", refusal: "I can't." }]);
  });

  test("length → incomplete (max_output_tokens), the last item incomplete", () => {
    const r = mapResponse(chat({ content: "Once upon" }, "length"), request, context(), { responseId: "resp_1" });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(r.output[0].status).toBe("incomplete");
  });

  test("content_filter → incomplete (content_filter)", () => {
    const r = mapResponse(chat({ content: "" }, "content_filter"), request, context(), { responseId: "resp_1" });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "content_filter" });
    expect(r.output).toEqual([]);
  });

  test("non-standard finish reasons complete", () => {
    for (const f of ["eos", "eos_token", "tool_calls", "function_call"]) {
      expect(mapResponse(chat({ content: "x" }, f), request, context(), { responseId: "r" }).status).toBe("completed");
    }
  });

  test("reasoning_details (OpenRouter) as the reasoning source", () => {
    const r = mapResponse(chat({ content: "4", reasoning_details: [{ type: "reasoning.text", text: "2+2" }] }), request, context(), { responseId: "r" });
    expect(read(r).reasoning).toBe("2+2");
  });

  test("logprobs ride on the output_text part", () => {
    const lp = [{ token: "x", logprob: -0.1, bytes: [120], top_logprobs: [] }];
    const r = mapResponse(chat({ content: "x" }, "stop", { logprobs: { content: lp } }), request, context(), { responseId: "r" });
    expect(r.output[0].content[0].logprobs).toEqual(lp);
  });

  test("the request's parameters are echoed, with the API's defaults otherwise", () => {
    const tools = [{ type: "function", name: "f", parameters: { type: "object" } }];
    const r = mapResponse(chat({ content: "x" }), { model: "m", instructions: "be brief", tools, tool_choice: "required", temperature: 0.3, max_output_tokens: 99, store: false, metadata: { k: "v" }, previous_response_id: "resp_0", text: { format: { type: "json_object" } }, reasoning: { effort: "low" } }, context(), { responseId: "r" });
    expect(r).toMatchObject({
      instructions: "be brief",
      tools: [{ type: "function", description: null, name: "f", parameters: { type: "object" }, strict: null }],
      tool_choice: "required",
      temperature: 0.3,
      top_p: 1,
      max_output_tokens: 99,
      store: false,
      metadata: { k: "v" },
      previous_response_id: "resp_0",
      parallel_tool_calls: true,
      text: { format: { type: "json_object" }, verbosity: "medium" },
      reasoning: { effort: "low", summary: null },
      truncation: "disabled",
      user: null,
      error: null,
      incomplete_details: null,
    });
    const d = mapResponse(chat({ content: "x" }), { model: "m" }, context(), { responseId: "r" });
    expect(d).toMatchObject({ instructions: null, tools: [], tool_choice: "auto", temperature: 1, store: true, metadata: {}, previous_response_id: null, max_output_tokens: null });
    expect("output_text" in d).toBe(false);
  });

  test("no usage → usage null", () => {
    const body = chat({ content: "x" });
    delete (body as Json).usage;
    expect(mapResponse(body, request, context(), { responseId: "r" }).usage).toBeNull();
  });

  test("no choices → 502", () => {
    expect(() => mapResponse({ id: "x", choices: [] }, request, context(), { responseId: "r" })).toThrow(GambiError);
    expect(() => mapResponse({ id: "x" }, request, context(), { responseId: "r" })).toThrow(/no answer/);
  });
});
