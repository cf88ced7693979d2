/** responses-via-chat: a Responses request → a Chat Completions body (fields, items, rejections). */
import { describe, expect, test } from "bun:test";
import { mapRequest as mapRequestJson, type MapRequestOptions } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

const base = { model: "llama3.2", input: "Hi" };
// The tests read into the result freely.
const mapRequest = (body: Record<string, unknown>, opts?: MapRequestOptions): any => mapRequestJson(body, opts);

function rejection(body: Record<string, unknown>, opts: MapRequestOptions = {}): GambiError {
  try {
    mapRequest(body, opts);
  } catch (err) {
    if (err instanceof GambiError) return err;
    throw err;
  }
  throw new Error(`expected a 400 for ${JSON.stringify(body)}`);
}

describe("mapRequest: messages", () => {
  test("a string input is one user message; model passes through as given", () => {
    expect(mapRequest(base)).toEqual({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }] });
  });

  test("instructions become the first system message", () => {
    const out = mapRequest({ ...base, instructions: "Be brief." });
    expect(out.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
  });

  test("message items of every role; developer → system; shorthand without type", () => {
    const out = mapRequest({
      model: "m",
      input: [
        { type: "message", role: "developer", content: "dev rules" },
        { type: "message", role: "system", content: [{ type: "input_text", text: "sys" }] },
        { role: "user", content: "question" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "answer", annotations: [] }] },
        { role: "user", content: [{ type: "input_text", text: "a" }, { type: "input_text", text: "b" }] },
      ],
    });
    expect(out.messages).toEqual([
      { role: "system", content: "dev rules" },
      { role: "system", content: "sys" },
      { role: "user", content: "question" },
      { role: "assistant", content: "answer" },
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
    ]);
  });

  test("images: URL and data URL with detail, next to text", () => {
    const out = mapRequest({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "what is this?" },
            { type: "input_image", image_url: "https://example.com/cat.png", detail: "high" },
            { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "high" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
    ]);
  });

  test("a refusal part of an earlier turn is kept as text", () => {
    const out = mapRequest({ model: "m", input: [{ type: "message", role: "assistant", content: [{ type: "refusal", refusal: "I can't help." }] }, { role: "user", content: "ok" }] });
    expect(out.messages[0]).toEqual({ role: "assistant", content: "I can't help." });
  });

  test("function calls merge into one assistant message, and into the text message before them", () => {
    const out = mapRequest({
      model: "m",
      input: [
        { role: "user", content: "add and multiply 2 and 3" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Calling both." }] },
        { type: "function_call", id: "fc_1", call_id: "call_a", name: "add", arguments: '{"a":2,"b":3}' },
        { type: "function_call", id: "fc_2", call_id: "call_m", name: "multiply", arguments: '{"a":2,"b":3}' },
        { type: "function_call_output", call_id: "call_a", output: "5" },
        { type: "function_call_output", call_id: "call_m", output: [{ type: "input_text", text: "6" }] },
        { type: "function_call", call_id: "call_x", name: "add", arguments: "{}" },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "add and multiply 2 and 3" },
      {
        role: "assistant",
        content: "Calling both.",
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } },
          { id: "call_m", type: "function", function: { name: "multiply", arguments: '{"a":2,"b":3}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "5" },
      { role: "tool", tool_call_id: "call_m", content: "6" },
      { role: "assistant", content: "", tool_calls: [{ id: "call_x", type: "function", function: { name: "add", arguments: "{}" } }] },
    ]);
  });

  test("function_call_output with several text parts keeps them as parts", () => {
    const out = mapRequest({
      model: "m",
      input: [
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: [{ type: "input_text", text: "a" }, { type: "input_text", text: "b" }] },
      ],
    });
    expect(out.messages[1]).toEqual({ role: "tool", tool_call_id: "c", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] });
  });

  test("reasoning items are dropped, or sent as reasoning_content when asked", () => {
    const input = [
      { role: "user", content: "weather?" },
      { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "I should call weather." }] },
      { type: "function_call", call_id: "c1", name: "weather", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "sunny" },
    ];
    const dropped = mapRequest({ model: "m", input });
    expect(dropped.messages[1]).toEqual({ role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "{}" } }] });
    const kept = mapRequest({ model: "m", input }, { reasoningContent: true });
    expect(kept.messages[1].reasoning_content).toBe("I should call weather.");
    expect(kept.messages).toHaveLength(3);
  });

  test("history is prepended after the instructions; earlier instructions are not carried", () => {
    const history = [
      { id: "msg_1", type: "message", role: "user", content: [{ type: "input_text", text: "My name is Ana." }] },
      { id: "rs_1", type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "greet" }] },
      { id: "msg_2", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hi Ana!", annotations: [], logprobs: [] }] },
    ];
    const out = mapRequest({ model: "m", instructions: "Be nice.", previous_response_id: "resp_1", input: "What is my name?" }, { history });
    expect(out.messages).toEqual([
      { role: "system", content: "Be nice." },
      { role: "user", content: "My name is Ana." },
      { role: "assistant", content: "Hi Ana!" },
      { role: "user", content: "What is my name?" },
    ]);
    expect(out.previous_response_id).toBeUndefined();
  });

  test("item_reference resolves from history, else 400 naming the item", () => {
    const history = [{ id: "msg_9", type: "message", role: "user", content: "remember 42" }];
    const out = mapRequest({ model: "m", input: [{ type: "item_reference", id: "msg_9" }, { role: "user", content: "and?" }] }, { history });
    expect(out.messages).toEqual([
      { role: "user", content: "remember 42" },
      { role: "user", content: "remember 42" },
      { role: "user", content: "and?" },
    ]);
    const err = rejection({ model: "m", input: [{ type: "item_reference", id: "msg_nope" }] });
    expect(err.status).toBe(400);
    expect(err.param).toBe("input[0].id");
    expect(err.message).toContain("msg_nope");
  });
});

describe("mapRequest: parameters", () => {
  const tools = [
    { type: "function", name: "weather", description: "Get weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true },
    { type: "function", name: "time", parameters: { type: "object", properties: {} } },
  ];

  test("function tools → nested chat tools (strict kept only when given)", () => {
    const out = mapRequest({ ...base, tools, parallel_tool_calls: false });
    expect(out.tools).toEqual([
      { type: "function", function: { name: "weather", description: "Get weather", parameters: tools[0]!.parameters, strict: true } },
      { type: "function", function: { name: "time", parameters: tools[1]!.parameters } },
    ]);
    expect(out.parallel_tool_calls).toBe(false);
  });

  test("tool_choice: every form", () => {
    for (const c of ["auto", "none", "required"]) expect(mapRequest({ ...base, tools, tool_choice: c }).tool_choice).toBe(c);
    expect(mapRequest({ ...base, tools, tool_choice: { type: "function", name: "time" } }).tool_choice).toEqual({ type: "function", function: { name: "time" } });
    const allowed = mapRequest({ ...base, tools, tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "time" }] } });
    expect(allowed.tools.map((t: any) => t.function.name)).toEqual(["time"]);
    expect(allowed.tool_choice).toBe("required");
    expect(rejection({ ...base, tools, tool_choice: { type: "function", name: "nope" } }).param).toBe("tool_choice.name");
    expect(rejection({ ...base, tools, tool_choice: { type: "web_search_preview" } }).param).toBe("tool_choice.type");
    expect(rejection({ ...base, tools, tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "file_search" }] } }).param).toBe("tool_choice.tools[0].type");
    expect(rejection({ ...base, tool_choice: "required" }).param).toBe("tool_choice");
  });

  test("without tools, tool_choice and parallel_tool_calls are not sent", () => {
    const out = mapRequest({ ...base, tool_choice: "auto", parallel_tool_calls: true });
    expect(out.tool_choice).toBeUndefined();
    expect(out.parallel_tool_calls).toBeUndefined();
  });

  test("text.format → response_format; text.verbosity → verbosity", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false };
    expect(mapRequest({ ...base, text: { format: { type: "json_schema", name: "out", schema, strict: true, description: "d" } } }).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "out", schema, description: "d", strict: true },
    });
    expect(mapRequest({ ...base, text: { format: { type: "json_object" } } }).response_format).toEqual({ type: "json_object" });
    expect(mapRequest({ ...base, text: { format: { type: "text" } } }).response_format).toBeUndefined();
    expect(mapRequest({ ...base, text: { verbosity: "low" } }).verbosity).toBe("low");
    expect(rejection({ ...base, text: { format: { type: "grammar" } } }).param).toBe("text.format.type");
    expect(rejection({ ...base, text: { format: { type: "json_schema", schema } } }).param).toBe("text.format.name");
  });

  test("sampling, limits, reasoning effort, user; stream asks for usage", () => {
    const out = mapRequest({
      ...base,
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n\n"],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      user: "u-1",
      reasoning: { effort: "low", summary: "auto" },
      stream: true,
    });
    expect(out).toEqual({
      model: "llama3.2",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n\n"],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      user: "u-1",
      reasoning_effort: "low",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("logprobs: top_logprobs and include message.output_text.logprobs", () => {
    expect(mapRequest({ ...base, top_logprobs: 3 })).toMatchObject({ logprobs: true, top_logprobs: 3 });
    expect(mapRequest({ ...base, include: ["message.output_text.logprobs"] }).logprobs).toBe(true);
    expect(mapRequest({ ...base, top_logprobs: 0 }).logprobs).toBeUndefined();
  });

  test("fields the hub handles or that do not change the answer are not sent", () => {
    const out = mapRequest({
      ...base,
      store: true,
      previous_response_id: "resp_x",
      metadata: { a: "b" },
      include: ["reasoning.encrypted_content"],
      truncation: "auto",
      service_tier: "flex",
      prompt_cache_key: "k",
      prompt_cache_retention: "24h",
      safety_identifier: "s",
      max_tool_calls: 3,
      stream_options: { include_obfuscation: false },
      background: false,
      stream: false,
    });
    expect(out).toEqual({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }] });
  });
});

describe("mapRequest: rejections name the field", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["web_search tool", { tools: [{ type: "web_search" }] }, "tools[0].type"],
    ["web_search_preview tool", { tools: [{ type: "function", name: "f" }, { type: "web_search_preview" }] }, "tools[1].type"],
    ["file_search tool", { tools: [{ type: "file_search", vector_store_ids: ["vs"] }] }, "tools[0].type"],
    ["code_interpreter tool", { tools: [{ type: "code_interpreter", container: { type: "auto" } }] }, "tools[0].type"],
    ["computer_use_preview tool", { tools: [{ type: "computer_use_preview" }] }, "tools[0].type"],
    ["mcp tool", { tools: [{ type: "mcp", server_label: "x", server_url: "https://x" }] }, "tools[0].type"],
    ["image_generation tool", { tools: [{ type: "image_generation" }] }, "tools[0].type"],
    ["local_shell tool", { tools: [{ type: "local_shell" }] }, "tools[0].type"],
    ["custom tool", { tools: [{ type: "custom", name: "grammar_tool" }] }, "tools[0].type"],
    ["background: true", { background: true }, "background"],
    ["prompt", { prompt: { id: "pmpt_1" } }, "prompt"],
    ["conversation", { conversation: "conv_1" }, "conversation"],
    ["moderation", { moderation: { model: "omni-moderation-latest" } }, "moderation"],
    ["input_file", { input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }] }, "input[0].content[0]"],
    ["image by file_id", { input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1" }] }] }, "input[0].content[0].file_id"],
    ["image in a system message", { input: [{ role: "system", content: [{ type: "input_image", image_url: "https://x/y.png" }] }] }, "input[0].content[0]"],
    ["unknown content part", { input: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] }, "input[0].content[0].type"],
    ["image in tool output", { input: [{ type: "function_call_output", call_id: "c", output: [{ type: "input_image", image_url: "https://x" }] }] }, "input[0].output[0]"],
    ["web_search_call item", { input: [{ type: "web_search_call", id: "ws_1", status: "completed" }] }, "input[0].type"],
    ["custom_tool_call item", { input: [{ type: "custom_tool_call", call_id: "c", name: "n", input: "x" }] }, "input[0].type"],
    ["unknown role", { input: [{ role: "critic", content: "x" }] }, "input[0].role"],
    ["empty input", { input: [] }, "input"],
    ["only instructions", { input: undefined, instructions: "x" }, "input"],
  ];
  for (const [name, extra, param] of cases) {
    test(name, () => {
      const err = rejection({ ...base, ...extra });
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
      expect(err.message).toContain(param);
      if (err.code === "unsupported_parameter") expect(err.message).toContain("only speaks Chat Completions");
    });
  }

  test("a bad item in the stored history is reported as such", () => {
    const err = rejection(base, { history: [{ type: "file_search_call", id: "fs_1" }] });
    expect(err.param).toBe("previous_response_id (stored item 0).type");
  });
});
