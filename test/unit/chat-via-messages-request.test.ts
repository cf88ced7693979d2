/**
 * chat-via-messages request mapper, field by field (docs/protocols.md, "Chat Completions
 * request → Messages participant"): what each chat field becomes, what is ignored, and the 400s
 * (code, `param`, and the Messages API named) for what a Messages participant cannot honour.
 */
import { describe, expect, test } from "bun:test";
import { mapRequest } from "../../src/protocol/adapters/chat-via-messages/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { applyDefaults } from "../../src/protocol/defaults.ts";
import { refusalOf } from "../helpers/failure.ts";

type Json = Record<string, any>;

const base = (extra: Json = {}): Json => ({ model: "claude", messages: [{ role: "user", content: "hi" }], ...extra });
const map = (extra: Json = {}): Json => mapRequest(base(extra));

const refused = (body: Json): GambiError => refusalOf(() => mapRequest(body));

function expectUnsupported(extra: Json, param: string) {
  const err = refused(base(extra));
  expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code: "unsupported_parameter", param });
  expect(err.message).toContain("Messages API");
  expect(err.message).toContain(`'${param}'`);
}

function expectInvalid(body: Json, param: string) {
  const err = refused(body);
  expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code: "invalid_request", param });
}

describe("the minimum", () => {
  test("model and one user message; no max_tokens (the hub's defaults step adds one), nothing else", () => {
    expect(map()).toEqual({ model: "claude", messages: [{ role: "user", content: "hi" }] });
  });

  test("the defaults step gives it the room's max_tokens, else 4096 (the Messages API requires one)", () => {
    expect(applyDefaults("messages", map(), {}).max_tokens).toBe(4096);
    expect(applyDefaults("messages", map(), { max_tokens: 300 }).max_tokens).toBe(300);
    expect(applyDefaults("messages", map({ max_tokens: 7 }), { max_tokens: 300 }).max_tokens).toBe(7);
  });
});

describe("messages", () => {
  test("system and developer messages, wherever they are, → system, joined with a blank line in order", () => {
    const out: Json = mapRequest({
      model: "m",
      messages: [
        { role: "system", content: "one" },
        { role: "developer", content: [{ type: "text", text: "two" }] },
        { role: "user", content: "hi" },
        { role: "system", content: "three" },
        { role: "system", content: "" },
      ],
    });
    expect(out.system).toBe("one\n\ntwo\n\nthree");
    expect(out.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("user parts: text, images (base64 data URL, http URL; detail dropped), a PDF file as a document titled by its filename", () => {
    const out = map({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ", detail: "high" } },
            { type: "image_url", image_url: "https://x.test/a.png" },
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
          ],
        },
      ],
    });
    expect(out.messages[0].content).toEqual([
      { type: "text", text: "look" },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
      { type: "image", source: { type: "url", url: "https://x.test/a.png" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "a.pdf" },
    ]);
  });

  test("a plain-text file → a document with a text source holding the decoded UTF-8 (a charset of utf-8 or us-ascii is read); no filename, no title", () => {
    const text = "héllo ✓\nline two";
    const b64 = Buffer.from(text, "utf8").toString("base64");
    const out = map({
      messages: [
        {
          role: "user",
          content: [
            { type: "file", file: { filename: "notes.txt", file_data: `data:text/plain;base64,${b64}` } },
            { type: "file", file: { file_data: `data:text/plain;charset=UTF-8;base64,${b64}` } },
            { type: "file", file: { file_data: `data:text/plain;charset=us-ascii;base64,${Buffer.from("plain").toString("base64")}` } },
            { type: "text", text: "compare them" },
          ],
        },
      ],
    });
    expect(out.messages[0].content).toEqual([
      { type: "document", source: { type: "text", media_type: "text/plain", data: text }, title: "notes.txt" },
      { type: "document", source: { type: "text", media_type: "text/plain", data: text } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" } },
      { type: "text", text: "compare them" },
    ]);
  });

  test("a plain-text file whose data is not base64, not UTF-8, or in another charset: a 400 invalid_request naming file.file_data", () => {
    const file = (file_data: string) => base({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: [{ type: "text", text: "see" }, { type: "file", file: { filename: "x.txt", file_data } }] }] });
    for (const [data, says] of [
      ["data:text/plain;base64,not base64!", "not valid base64"],
      [`data:text/plain;base64,${Buffer.from([0x41, 0xff, 0xfe, 0x42]).toString("base64")}`, "not UTF-8"],
      [`data:text/plain;charset=iso-8859-1;base64,${Buffer.from([0xe9]).toString("base64")}`, "only UTF-8"],
    ] as const) {
      const err = refused(file(data));
      expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code: "invalid_request", param: "messages[2].content[1].file.file_data" });
      expect(err.message).toContain(says);
    }
  });

  test("assistant: text, refusal (part or field) as text, tool_calls as tool_use with parsed input; an empty turn is left out", () => {
    const out = map({
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: [{ type: "text", text: "t1" }, { type: "refusal", refusal: "no" }] },
        { role: "user", content: "b" },
        { role: "assistant", content: null, refusal: "I can't", tool_calls: [] },
        { role: "user", content: "c" },
        { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"x":[1]}' } }, { id: "c2", function: { name: "g", arguments: "" } }] },
        { role: "tool", tool_call_id: "c1", content: "r1" },
        { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "p1" }, { type: "text", text: "p2" }] },
        { role: "assistant", content: "" },
        { role: "user", content: "d" },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "a" },
      { role: "assistant", content: [{ type: "text", text: "t1" }, { type: "text", text: "no" }] },
      { role: "user", content: "b" },
      { role: "assistant", content: [{ type: "text", text: "I can't" }] },
      { role: "user", content: "c" },
      { role: "assistant", content: [{ type: "tool_use", id: "c1", name: "f", input: { x: [1] } }, { type: "tool_use", id: "c2", name: "g", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "c1", content: "r1" },
          { type: "tool_result", tool_use_id: "c2", content: [{ type: "text", text: "p1" }, { type: "text", text: "p2" }] },
          { type: "text", text: "d" },
        ],
      },
    ]);
  });

  test("reasoning: signed reasoning_details (OpenRouter's shape) → thinking / redacted_thinking blocks first; unsigned ones and reasoning_content are left out", () => {
    const out = map({
      messages: [
        { role: "user", content: "a" },
        {
          role: "assistant",
          content: "answer",
          reasoning_content: "loose thoughts",
          reasoning_details: [
            { type: "reasoning.text", text: "signed thoughts", signature: "sig-1", format: "anthropic-claude-v1" },
            { type: "reasoning.text", text: "unsigned" },
            { type: "reasoning.encrypted", data: "opaque", format: "anthropic-claude-v1" },
            { type: "reasoning.summary", summary: "x" },
          ],
        },
        { role: "user", content: "b" },
      ],
    });
    expect(out.messages[1].content).toEqual([
      { type: "thinking", thinking: "signed thoughts", signature: "sig-1" },
      { type: "redacted_thinking", data: "opaque" },
      { type: "text", text: "answer" },
    ]);
  });

  test("consecutive user messages merge into one turn", () => {
    expect(map({ messages: [{ role: "user", content: "a" }, { role: "user", content: [{ type: "text", text: "b" }] }] }).messages).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
    ]);
  });

  test("rejected: audio, files by id or neither a PDF nor plain text, a non-base64 image data URL, assistant audio, function role, function_call, custom calls", () => {
    expectUnsupported({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x", format: "wav" } }] }] }, "messages[0].content[0]");
    expectUnsupported({ messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] }, "messages[0].content[0].file.file_id");
    expectUnsupported({ messages: [{ role: "user", content: [{ type: "file", file: { file_data: "data:text/csv;base64,YSxi" } }] }] }, "messages[0].content[0].file");
    expectUnsupported({ messages: [{ role: "user", content: [{ type: "file", file: { file_data: "data:text/plain,hi" } }] }] }, "messages[0].content[0].file");
    expectUnsupported({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/svg+xml;utf8,<svg/>" } }] }] }, "messages[0].content[0].image_url.url");
    expectUnsupported({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: null, audio: { id: "a1" } }] }, "messages[1].audio");
    expectUnsupported({ messages: [{ role: "function", name: "f", content: "x" }] }, "messages[0].role");
    expectUnsupported({ messages: [{ role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } }] }, "messages[0].function_call");
    expectUnsupported({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "custom", custom: { name: "x", input: "y" } }] }] }, "messages[0].tool_calls[0]");
  });

  test("malformed: no messages, only system, unknown role or part, a tool message without its id, arguments that are no JSON object", () => {
    expectInvalid({ model: "m", messages: [] }, "messages");
    expectInvalid({ model: "m", messages: [{ role: "system", content: "s" }] }, "messages");
    expectInvalid({ model: "m", messages: [{ role: "wizard", content: "s" }] }, "messages[0].role");
    expectInvalid({ model: "m", messages: [{ role: "user", content: [{ type: "video", url: "x" }] }] }, "messages[0].content[0].type");
    expectInvalid({ model: "m", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id");
    expectInvalid({ model: "m", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "not json" } }] }] }, "messages[0].tool_calls[0].function.arguments");
    expectInvalid({ model: "m", messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "x" } }] }, { role: "user", content: "x" }] }, "messages[0].content[0]");
  });
});

describe("tools", () => {
  const fn = (name: string, extra: Json = {}) => ({ type: "function", function: { name, description: `does ${name}`, parameters: { type: "object", properties: { a: { type: "number" } } }, ...extra } });

  test("function tools → name, description, input_schema; strict only when true; parameters missing → an empty object schema", () => {
    const out = map({ tools: [fn("a", { strict: true }), fn("b", { strict: false }), { type: "function", function: { name: "c" } }] });
    expect(out.tools).toEqual([
      { name: "a", description: "does a", input_schema: { type: "object", properties: { a: { type: "number" } } }, strict: true },
      { name: "b", description: "does b", input_schema: { type: "object", properties: { a: { type: "number" } } } },
      { name: "c", input_schema: { type: "object", properties: {} } },
    ]);
    expect(out.tool_choice).toBeUndefined();
  });

  test("tool_choice: auto, none, required → any, a named function → tool", () => {
    expect(map({ tools: [fn("a")], tool_choice: "auto" }).tool_choice).toEqual({ type: "auto" });
    expect(map({ tools: [fn("a")], tool_choice: "none" }).tool_choice).toEqual({ type: "none" });
    expect(map({ tools: [fn("a")], tool_choice: "required" }).tool_choice).toEqual({ type: "any" });
    expect(map({ tools: [fn("a")], tool_choice: { type: "function", function: { name: "a" } } }).tool_choice).toEqual({ type: "tool", name: "a" });
  });

  test("parallel_tool_calls: false → disable_parallel_tool_use on the choice (auto when none named); ignored with none", () => {
    expect(map({ tools: [fn("a")], parallel_tool_calls: false }).tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(map({ tools: [fn("a")], tool_choice: "required", parallel_tool_calls: false }).tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(map({ tools: [fn("a")], tool_choice: "none", parallel_tool_calls: false }).tool_choice).toEqual({ type: "none" });
    expect(map({ tools: [fn("a")], parallel_tool_calls: true }).tool_choice).toBeUndefined();
  });

  test("allowed_tools: the list narrowed to them, with its mode", () => {
    const out = map({ tools: [fn("a"), fn("b")], tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "b" } }] } } });
    expect(out.tools.map((t: Json) => t.name)).toEqual(["b"]);
    expect(out.tool_choice).toEqual({ type: "any" });
  });

  test("without tools: auto/none and parallel_tool_calls dropped; required or a named function is a 400", () => {
    expect(map({ tool_choice: "auto", parallel_tool_calls: false })).toEqual(map());
    expect(map({ tools: [], tool_choice: "none" })).toEqual(map());
    expectInvalid(base({ tool_choice: "required" }), "tool_choice");
    expectInvalid(base({ tools: [fn("a")], tool_choice: { type: "function", function: { name: "zz" } } }), "tool_choice.function.name");
  });

  test("custom tools and choices rejected; unknown tool types malformed", () => {
    expectUnsupported({ tools: [{ type: "custom", custom: { name: "x" } }] }, "tools[0]");
    expectUnsupported({ tools: [fn("a")], tool_choice: { type: "custom", custom: { name: "x" } } }, "tool_choice");
    expectInvalid(base({ tools: [{ type: "web_search" }] }), "tools[0].type");
  });
});

describe("generation fields", () => {
  test("max_completion_tokens wins over max_tokens; stop → stop_sequences; temperature, top_p, top_k as they are", () => {
    expect(map({ max_tokens: 10, max_completion_tokens: 20, stop: "END", temperature: 1.5, top_p: 0.5, top_k: 40 })).toMatchObject({ max_tokens: 20, stop_sequences: ["END"], temperature: 1.5, top_p: 0.5, top_k: 40 });
    expect(map({ stop: ["a", "", "b"] }).stop_sequences).toEqual(["a", "b"]);
    expect(map({ stop: ["", ""] }).stop_sequences).toBeUndefined();
    expectInvalid(base({ max_tokens: 0 }), "max_tokens");
    expectInvalid(base({ max_completion_tokens: 1.5 }), "max_completion_tokens");
    expectInvalid(base({ stop: 3 }), "stop");
    expectInvalid(base({ temperature: "hot" }), "temperature");
  });

  test("response_format: json_schema → output_config.format; text → nothing; json_object refused", () => {
    const schema = { type: "object", properties: {} };
    expect(map({ response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } } }).output_config).toEqual({ format: { type: "json_schema", schema } });
    expect(map({ response_format: { type: "text" } }).output_config).toBeUndefined();
    expectUnsupported({ response_format: { type: "json_object" } }, "response_format.type");
    expectInvalid(base({ response_format: { type: "json_schema", json_schema: { name: "x" } } }), "response_format.json_schema.schema");
  });

  test("reasoning_effort → a thinking budget within max_tokens; none → disabled; no room under the client's limit → off", () => {
    expect(map({ reasoning_effort: "minimal" })).toMatchObject({ thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 1024 + 4096 });
    expect(map({ reasoning_effort: "high" })).toMatchObject({ thinking: { type: "enabled", budget_tokens: 16384 }, max_tokens: 16384 + 4096 });
    expect(map({ reasoning_effort: "medium", max_tokens: 20_000 })).toMatchObject({ thinking: { type: "enabled", budget_tokens: 8192 }, max_tokens: 20_000 });
    expect(map({ reasoning_effort: "high", max_tokens: 3000 })).toMatchObject({ thinking: { type: "enabled", budget_tokens: 2999 }, max_tokens: 3000 });
    expect(map({ reasoning_effort: "low", max_tokens: 1000 }).thinking).toBeUndefined();
    expect(map({ reasoning_effort: "none" }).thinking).toEqual({ type: "disabled" });
    expectInvalid(base({ reasoning_effort: "extreme" }), "reasoning_effort");
  });

  test("reasoning_effort in a tool loop whose assistant turn came back unsigned (a streamed answer): thinking off, as Anthropic would refuse it; signed, or a new turn: on", () => {
    const call = { id: "toolu_1", type: "function", function: { name: "weather", arguments: "{}" } };
    const loop = (assistant: Json, after: Json[] = [{ role: "tool", tool_call_id: "toolu_1", content: "22C" }]) =>
      mapRequest({ model: "m", reasoning_effort: "high", messages: [{ role: "user", content: "weather?" }, assistant, ...after] });
    const unsigned = loop({ role: "assistant", content: null, tool_calls: [call], reasoning_content: "I should look" });
    expect(unsigned.thinking).toBeUndefined();
    // No budget to make room for: the defaults step gives max_tokens as without reasoning_effort.
    expect(unsigned.max_tokens).toBeUndefined();
    const signed = loop({ role: "assistant", content: null, tool_calls: [call], reasoning_details: [{ type: "reasoning.text", text: "I should look", signature: "EqQB", format: "anthropic-claude-v1" }] });
    expect(signed.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    // The loop ended with an answer: the user's next words start a turn, which may think.
    const answered = loop({ role: "assistant", content: "22C in Florence." }, [{ role: "user", content: "and Rome?" }]);
    expect(answered.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    // An effort that is no effort is still a 400, loop or not.
    expect(() => mapRequest({ model: "m", reasoning_effort: "extreme", messages: [{ role: "user", content: "weather?" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: "toolu_1", content: "22C" }] })).toThrow(GambiError);
  });
  test("safety_identifier, else user → metadata.user_id; stream: true passes; stream_options is the stream mapper's", () => {
    expect(map({ user: "u1" }).metadata).toEqual({ user_id: "u1" });
    expect(map({ user: "u1", safety_identifier: "s1" }).metadata).toEqual({ user_id: "s1" });
    const streamed = map({ stream: true, stream_options: { include_usage: true } });
    expect(streamed.stream).toBe(true);
    expect(streamed.stream_options).toBeUndefined();
    expect(map({ stream: false }).stream).toBeUndefined();
  });

  test("ignored, nothing sent: seed, verbosity, store, metadata, service_tier, prompt caching, neutral values, unknown fields", () => {
    expect(
      map({ seed: 1, verbosity: "low", store: true, metadata: { a: "b" }, service_tier: "flex", prompt_cache_key: "k", prompt_cache_retention: "24h", n: 1, logprobs: false, top_logprobs: 0, logit_bias: {}, presence_penalty: 0, frequency_penalty: 0, modalities: ["text"], vendor_thing: 1 }),
    ).toEqual(map());
  });

  test("rejected: n > 1, logprobs, top_logprobs, logit_bias, penalties, audio, other modalities, prediction, web search, legacy functions", () => {
    for (const [extra, param] of [
      [{ n: 2 }, "n"],
      [{ logprobs: true }, "logprobs"],
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ logit_bias: { "50256": -100 } }, "logit_bias"],
      [{ presence_penalty: 0.1 }, "presence_penalty"],
      [{ frequency_penalty: -1 }, "frequency_penalty"],
      [{ audio: { voice: "alloy", format: "wav" } }, "audio"],
      [{ modalities: ["text", "audio"] }, "modalities"],
      [{ prediction: { type: "content", content: "x" } }, "prediction"],
      [{ web_search_options: {} }, "web_search_options"],
      [{ functions: [{ name: "f" }] }, "functions"],
      [{ function_call: "auto" }, "function_call"],
    ] as const) {
      expectUnsupported(extra, param);
    }
  });
});
