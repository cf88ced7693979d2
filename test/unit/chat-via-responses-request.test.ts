/**
 * chat-via-responses mapRequest: every Chat Completions request field lands where the
 * Responses API expects it, is dropped only when harmless, or is refused with a 400 that
 * names it (docs/protocols.md).
 */
import { describe, expect, test } from "bun:test";
import { mapRequest } from "../../src/protocol/adapters/chat-via-responses/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

const user = (content: unknown) => ({ role: "user", content });
const base = (extra: Record<string, unknown> = {}) => ({ model: "m", messages: [user("hi")], ...extra });

/** The GambiError mapRequest throws (fails the test when it does not throw one). */
function rejection(body: Record<string, unknown>): GambiError {
  try {
    mapRequest(body);
  } catch (err) {
    if (err instanceof GambiError) return err;
    throw err;
  }
  throw new Error(`mapRequest accepted ${JSON.stringify(body)}`);
}

describe("messages → instructions + input", () => {
  test("a plain user message: input_text part, store:false, model kept", () => {
    expect(mapRequest(base())).toEqual({ model: "m", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], store: false });
  });

  test("leading system and developer messages become instructions joined by a blank line", () => {
    const out = mapRequest({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Answer in " }, { type: "text", text: "French." }] },
        user("hi"),
      ],
    });
    expect(out.instructions).toBe("Be brief.\n\nAnswer in French.");
    expect(out.input).toEqual([{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
  });

  test("a system message mid-conversation keeps its place as a system/developer input item", () => {
    const out = mapRequest({
      model: "m",
      messages: [{ role: "system", content: "S1" }, user("a"), { role: "assistant", content: "b" }, { role: "system", content: "S2" }, { role: "developer", content: "D" }, user("c")],
    });
    expect(out.instructions).toBe("S1");
    expect(out.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "a" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "b" }] },
      { type: "message", role: "system", content: [{ type: "input_text", text: "S2" }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "D" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "c" }] },
    ]);
  });

  test("user text and image parts (URL and data URL, detail kept or auto)", () => {
    const out = mapRequest(
      base({
        messages: [
          user([
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://x/cat.png", detail: "high" } },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          ]),
        ],
      }),
    );
    expect(out.input).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "What is this?" },
          { type: "input_image", image_url: "https://x/cat.png", detail: "high" },
          { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" },
        ],
      },
    ]);
  });

  test("a multi-turn tool conversation keeps the item order: text, calls, outputs", () => {
    const out = mapRequest({
      model: "m",
      messages: [
        { role: "system", content: "sys" },
        user("Weather in Paris and Rome?"),
        {
          role: "assistant",
          content: "Checking both.",
          reasoning_content: "I should call the tool twice.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "2" }, { type: "text", text: "1C" }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_3", type: "function", function: { name: "clock", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_3", content: "noon" },
        { role: "assistant", content: [{ type: "text", text: "Paris 18C, " }, { type: "text", text: "Rome 21C." }] },
        user("thanks"),
      ],
    });
    expect(out.instructions).toBe("sys");
    expect(out.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Paris and Rome?" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking both." }] },
      { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "function_call_output", call_id: "call_2", output: "21C" },
      { type: "function_call", call_id: "call_3", name: "clock", arguments: "{}" },
      { type: "function_call_output", call_id: "call_3", output: "noon" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Paris 18C, " }, { type: "output_text", text: "Rome 21C." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "thanks" }] },
    ]);
  });

  test("assistant refusals (part or field) become refusal parts; an empty assistant turn stays", () => {
    const out = mapRequest(base({ messages: [user("a"), { role: "assistant", content: null, refusal: "I can't." }, user("b"), { role: "assistant", content: [{ type: "refusal", refusal: "No." }] }, { role: "assistant", content: "" }] }));
    expect((out.input as unknown[]).slice(1)).toEqual([
      { type: "message", role: "assistant", content: [{ type: "refusal", refusal: "I can't." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "b" }] },
      { type: "message", role: "assistant", content: [{ type: "refusal", refusal: "No." }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "" }] },
    ]);
  });

  test("only system/developer messages: they stay input items, no instructions", () => {
    expect(mapRequest({ model: "m", messages: [{ role: "system", content: "S" }, { role: "developer", content: "D" }] })).toEqual({
      model: "m",
      input: [
        { type: "message", role: "system", content: [{ type: "input_text", text: "S" }] },
        { type: "message", role: "developer", content: [{ type: "input_text", text: "D" }] },
      ],
      store: false,
    });
  });

  test("a message's name is dropped", () => {
    expect(mapRequest(base({ messages: [{ role: "user", name: "ann", content: "hi" }] })).input).toEqual([{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
  });
});

describe("top-level fields", () => {
  test("tools: nested → flat; strict always explicit; missing parameters → empty schema", () => {
    const out = mapRequest(
      base({
        tools: [
          { type: "function", function: { name: "a", description: "A", parameters: { type: "object", properties: { x: { type: "string" } } }, strict: true } },
          { type: "function", function: { name: "b" } },
        ],
      }),
    );
    expect(out.tools).toEqual([
      { type: "function", name: "a", description: "A", parameters: { type: "object", properties: { x: { type: "string" } } }, strict: true },
      { type: "function", name: "b", parameters: { type: "object", properties: {} }, strict: false },
    ]);
    expect("tools" in mapRequest(base({ tools: [] }))).toBe(false);
  });

  test("tool_choice: every form", () => {
    for (const s of ["auto", "none", "required"]) expect(mapRequest(base({ tool_choice: s })).tool_choice).toBe(s);
    expect(mapRequest(base({ tool_choice: { type: "function", function: { name: "f" } } })).tool_choice).toEqual({ type: "function", name: "f" });
    expect(mapRequest(base({ tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "f" } }] } } })).tool_choice).toEqual({
      type: "allowed_tools",
      mode: "required",
      tools: [{ type: "function", name: "f" }],
    });
  });

  test("response_format → text.format (json_schema flattened), verbosity → text.verbosity", () => {
    const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"], additionalProperties: false };
    expect(mapRequest(base({ response_format: { type: "json_schema", json_schema: { name: "out", description: "d", schema, strict: true } } })).text).toEqual({
      format: { type: "json_schema", name: "out", description: "d", schema, strict: true },
    });
    expect(mapRequest(base({ response_format: { type: "json_object" } })).text).toEqual({ format: { type: "json_object" } });
    expect(mapRequest(base({ response_format: { type: "text" }, verbosity: "low" })).text).toEqual({ format: { type: "text" }, verbosity: "low" });
  });

  test("max_completion_tokens wins over max_tokens → max_output_tokens", () => {
    expect(mapRequest(base({ max_tokens: 100 })).max_output_tokens).toBe(100);
    expect(mapRequest(base({ max_tokens: 100, max_completion_tokens: 200 })).max_output_tokens).toBe(200);
  });

  test("sampling and metadata fields pass unchanged; reasoning_effort → reasoning.effort", () => {
    const same = { temperature: 0.2, top_p: 0.9, parallel_tool_calls: false, user: "u1", metadata: { k: "v" }, service_tier: "flex", safety_identifier: "s", prompt_cache_key: "pk", prompt_cache_retention: "24h" };
    const out = mapRequest(base({ ...same, reasoning_effort: "high" }));
    expect(out).toMatchObject(same);
    expect(out.reasoning).toEqual({ effort: "high" });
  });

  test("stream: true passes on; include_usage stays with the stream mapper; include_obfuscation passes on", () => {
    const out = mapRequest(base({ stream: true, stream_options: { include_usage: true, include_obfuscation: false } }));
    expect(out.stream).toBe(true);
    expect(out.stream_options).toEqual({ include_obfuscation: false });
    expect("stream_options" in mapRequest(base({ stream: true, stream_options: { include_usage: true } }))).toBe(false);
    expect(mapRequest(base({ stream: false })).stream).toBe(false);
  });

  test("store is always false upstream, whatever the client asked", () => {
    expect(mapRequest(base({ store: true })).store).toBe(false);
  });

  test("neutral values of unsupported fields, and seed, are dropped", () => {
    const out = mapRequest(base({ n: 1, logprobs: false, top_logprobs: 0, presence_penalty: 0, frequency_penalty: 0, logit_bias: {}, modalities: ["text"], stop: [], seed: 42, audio: null, prediction: null }));
    expect(out).toEqual(mapRequest(base()));
    expect(mapRequest(base({ stop: null }))).toEqual(mapRequest(base()));
  });

  test("unknown fields (vendor extensions) pass through; a passed-through reasoning object takes reasoning_effort", () => {
    expect(mapRequest(base({ top_k: 40 })).top_k).toBe(40);
    expect(mapRequest(base({ reasoning: { summary: "auto" }, reasoning_effort: "low" })).reasoning).toEqual({ summary: "auto", effort: "low" });
  });

  test("the client's body is not modified", () => {
    const body = base({ messages: [{ role: "system", content: "S" }, user("hi")], tools: [{ type: "function", function: { name: "f" } }], stop: null, seed: 1 });
    const copy = structuredClone(body);
    mapRequest(body);
    expect(body).toEqual(copy);
  });
});

describe("rejections name the field", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["n > 1", { n: 2 }, "n"],
    ["logprobs", { logprobs: true }, "logprobs"],
    ["top_logprobs", { top_logprobs: 3 }, "top_logprobs"],
    ["logit_bias", { logit_bias: { "50256": -100 } }, "logit_bias"],
    ["presence_penalty", { presence_penalty: 0.5 }, "presence_penalty"],
    ["frequency_penalty", { frequency_penalty: -1 }, "frequency_penalty"],
    ["stop (string)", { stop: "END" }, "stop"],
    ["stop (array)", { stop: ["a", "b"] }, "stop"],
    ["audio", { audio: { voice: "alloy", format: "mp3" } }, "audio"],
    ["modalities", { modalities: ["text", "audio"] }, "modalities"],
    ["prediction", { prediction: { type: "content", content: "x" } }, "prediction"],
    ["web_search_options", { web_search_options: {} }, "web_search_options"],
    ["functions", { functions: [{ name: "f", parameters: {} }] }, "functions"],
    ["function_call", { function_call: "auto" }, "function_call"],
    ["custom tools", { tools: [{ type: "custom", custom: { name: "c" } }] }, "tools[0]"],
    ["custom tool_choice", { tool_choice: { type: "custom", custom: { name: "c" } } }, "tool_choice"],
    ["audio input part", { messages: [user([{ type: "input_audio", input_audio: { data: "AA", format: "wav" } }])] }, "messages[0].content[0]"],
    ["file part", { messages: [user([{ type: "text", text: "x" }, { type: "file", file: { file_id: "f" } }])] }, "messages[0].content[1]"],
    ["legacy function role", { messages: [user("a"), { role: "function", name: "f", content: "x" }] }, "messages[1].role"],
    ["assistant function_call", { messages: [user("a"), { role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } }] }, "messages[1].function_call"],
    ["assistant audio", { messages: [user("a"), { role: "assistant", audio: { id: "a1" } }] }, "messages[1].audio"],
    ["custom tool call", { messages: [user("a"), { role: "assistant", tool_calls: [{ id: "c", type: "custom", custom: { name: "x", input: "y" } }] }] }, "messages[1].tool_calls[0]"],
  ];
  for (const [name, extra, param] of cases) {
    test(name, () => {
      const err = rejection(base(extra));
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
      expect(err.code).toBe("unsupported_parameter");
      expect(err.message).toContain(`'${param}'`);
      expect(err.message).toContain("only speaks the Responses API");
    });
  }

  const malformed: [string, Record<string, unknown>, string][] = [
    ["no messages", { messages: [] }, "messages"],
    ["unknown role", { messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    ["tool message without tool_call_id", { messages: [user("a"), { role: "tool", content: "x" }] }, "messages[1].tool_call_id"],
    ["tool call without id", { messages: [user("a"), { role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }] }, "messages[1].tool_calls[0].id"],
    ["image in a system message", { messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "u" } }] }, user("a")] }, "messages[0].content[0]"],
    ["unknown part type", { messages: [user([{ type: "video", video: {} }])] }, "messages[0].content[0].type"],
    ["unknown tool_choice", { tool_choice: "sometimes" }, "tool_choice"],
    ["unknown response_format", { response_format: { type: "yaml" } }, "response_format.type"],
    ["tool without a name", { tools: [{ type: "function", function: {} }] }, "tools[0].function.name"],
  ];
  for (const [name, extra, param] of malformed) {
    test(`malformed: ${name}`, () => {
      const err = rejection(base(extra));
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
      expect(err.message).toContain(`'${param}'`);
    });
  }
});
