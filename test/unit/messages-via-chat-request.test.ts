/**
 * messages-via-chat request and body mapping: every field's fate as docs/protocols.md's
 * "Messages" section lists it — mapped, ignored, or a 400 naming it (messages-via-responses has
 * its own: messages-via-responses-request.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { mapRequest, mapResponse } from "../../src/protocol/adapters/messages-via-chat/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { FIXTURES_DIR, loadFixtures } from "../helpers/fixtures.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { refusalOf } from "../helpers/failure.ts";

type Json = Record<string, any>;
const base: Json = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
const ctx = () => {
  let n = 0;
  return { newId: () => `id${++n}`, now: () => 1_750_000_000_000 };
};

const refusal = (body: Json, map: (b: Json) => unknown = mapRequest): GambiError => refusalOf(() => map(body));

describe("request: mapped", () => {
  test("system (string or blocks) and role:system entries → one leading system message; max_tokens, stop_sequences, temperature, top_p; stream asks for usage", () => {
    const out = mapRequest({
      ...base,
      system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }, { type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: "hi" }, { role: "system", content: "A reminder." }, { role: "assistant", content: "hello" }, { role: "user", content: [{ type: "text", text: "again", cache_control: { type: "ephemeral" } }] }],
      stop_sequences: ["STOP"],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stream: true,
    });
    expect(out).toEqual({
      model: "m",
      messages: [
        { role: "system", content: "You are Claude Code.\n\nBe brief.\n\nA reminder." },
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: "again" },
      ],
      max_tokens: 64,
      stop: ["STOP"],
      temperature: 0.5,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("what Claude Code sends on every request is accepted and not sent on: thinking adaptive, context_management, output_config.effort, metadata.user_id, service_tier", () => {
    const out = mapRequest({
      ...base,
      thinking: { type: "adaptive" },
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
      output_config: { effort: "high" },
      metadata: { user_id: "user_abc_account__session_1" },
      service_tier: "auto",
      container: null,
    });
    expect(out).toEqual({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 64 });
    expect(mapRequest({ ...base, thinking: { type: "enabled", budget_tokens: 2000 } })).toEqual(out);
  });

  test("images: base64 → data URL, url → URL", () => {
    const out = mapRequest({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
          { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
        ],
      },
    ]);
  });

  test("a tool round trip with parallel calls: tool_use → tool_calls, tool_result (is_error, blocks, images) → tool messages first, then the rest", () => {
    const out = mapRequest({
      ...base,
      messages: [
        { role: "user", content: "add and multiply" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "plan", signature: "sig" },
            { type: "text", text: "On it." },
            { type: "tool_use", id: "toolu_1", name: "add", input: { a: 1, b: 2 } },
            { type: "tool_use", id: "toolu_2", name: "shot", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "3" }] },
            { type: "tool_result", tool_use_id: "toolu_2", is_error: true, content: [{ type: "text", text: "no screen" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } }] },
            { type: "text", text: "and now?" },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "add and multiply" },
      {
        role: "assistant",
        content: "On it.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } },
          { id: "toolu_2", type: "function", function: { name: "shot", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "3" },
      { role: "tool", tool_call_id: "toolu_2", content: "Error: no screen" },
      { role: "user", content: [{ type: "text", text: "Images returned by tool call toolu_2:" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] },
      { role: "user", content: "and now?" },
    ]);
    expect(mapRequest({ ...base, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", is_error: true }] }] }).messages).toEqual([{ role: "tool", tool_call_id: "t", content: "Error" }]);
  });

  test("documents: plain text → a text part; a base64 PDF → a file part with its data URL, the title as its filename (document.pdf when untitled)", () => {
    const out = mapRequest({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "report.pdf", citations: { enabled: true } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0y" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "some notes" } },
            { type: "text", text: "compare" },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "file", file: { filename: "report.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
          { type: "file", file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBERi0y" } },
          { type: "text", text: "some notes" },
          { type: "text", text: "compare" },
        ],
      },
    ]);
  });

  test("a PDF in a tool result → the user message after the tool messages, opening 'Files returned by tool call'; its text stays in the tool message", () => {
    const out = mapRequest({
      ...base,
      messages: [
        { role: "user", content: "read it" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "read", input: { path: "a.pdf" } }] },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [
                { type: "text", text: "PDF file read" },
                { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "a.pdf" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } },
              ],
            },
          ],
        },
      ],
    });
    expect((out.messages as Json[]).slice(2)).toEqual([
      { role: "tool", tool_call_id: "toolu_1", content: "PDF file read" },
      {
        role: "user",
        content: [
          { type: "text", text: "Files returned by tool call toolu_1:" },
          { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,AA" } },
        ],
      },
    ]);
  });

  test("tools and tool_choice: auto, any → required, tool → function, none; disable_parallel_tool_use → parallel_tool_calls false; cache_control ignored", () => {
    const tools = [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } }, cache_control: { type: "ephemeral" } }];
    const fn = [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: tools[0]!.input_schema } }];
    expect(mapRequest({ ...base, tools })).toMatchObject({ tools: fn });
    expect(mapRequest({ ...base, tools }).tool_choice).toBeUndefined();
    expect(mapRequest({ ...base, tools, tool_choice: { type: "auto" } }).tool_choice).toBe("auto");
    expect(mapRequest({ ...base, tools, tool_choice: { type: "any" } }).tool_choice).toBe("required");
    expect(mapRequest({ ...base, tools, tool_choice: { type: "none" } }).tool_choice).toBe("none");
    expect(mapRequest({ ...base, tools, tool_choice: { type: "tool", name: "get_weather" } }).tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    const serial = mapRequest({ ...base, tools, tool_choice: { type: "auto", disable_parallel_tool_use: true } });
    expect(serial.parallel_tool_calls).toBe(false);
    expect(mapRequest({ ...base, tool_choice: { type: "auto" } })).toEqual({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 64 });
  });

  test("structured output: output_config.format json_schema → response_format", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(mapRequest({ ...base, output_config: { format: { type: "json_schema", schema } } }).response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema } });
  });
});

describe("request: refused with a 400 naming the field and the participant's protocol", () => {
  const cases: [string, Json, string][] = [
    ["a server tool", { tools: [{ type: "web_search_20250305", name: "web_search" }] }, "tools[0].type"],
    ["an Anthropic-defined client tool", { tools: [{ type: "bash_20250124", name: "bash" }] }, "tools[0].type"],
    ["a server tool block in history", { messages: [{ role: "user", content: "q" }, { role: "assistant", content: [{ type: "server_tool_use", id: "s", name: "web_search", input: {} }] }] }, "messages[1].content[0].type"],
    ["remote MCP servers", { mcp_servers: [{ type: "url", url: "https://mcp.example", name: "x" }] }, "mcp_servers"],
    ["an image by file id", { messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }] }, "messages[0].content[0].source.type"],
    ["a PDF by URL (a chat file part takes only data)", { messages: [{ role: "user", content: [{ type: "document", source: { type: "url", url: "https://example.com/a.pdf" } }] }] }, "messages[0].content[0].source.type"],
    ["a document by file id", { messages: [{ role: "user", content: [{ type: "document", source: { type: "file", file_id: "file_1" } }] }] }, "messages[0].content[0].source.type"],
    ["a document from a content source", { messages: [{ role: "user", content: [{ type: "document", source: { type: "content", content: [{ type: "text", text: "x" }] } }] }] }, "messages[0].content[0].source.type"],
    ["a base64 document that is not a PDF", { messages: [{ role: "user", content: [{ type: "document", source: { type: "base64", media_type: "text/plain", data: "aGk=" } }] }] }, "messages[0].content[0].source.media_type"],
  ];
  for (const [what, extra, param] of cases) {
    test(what, () => {
      const err = refusal({ ...base, ...extra });
      expect([err.status, err.code, err.param]).toEqual([400, "unsupported_parameter", param]);
      expect(err.message).toContain("only speaks Chat Completions");
    });
  }
  const invalid: [string, Json, string][] = [
    ["max_tokens missing", { max_tokens: undefined }, "max_tokens"],
    ["max_tokens not a positive integer", { max_tokens: 0 }, "max_tokens"],
    ["a role that is not user/assistant/system", { messages: [{ role: "tool", content: "x" }] }, "messages[0].role"],
    ["no messages", { messages: [] }, "messages"],
    ["tool_choice any without tools", { tool_choice: { type: "any" } }, "tool_choice.type"],
    ["tool_choice naming no tool", { tools: [{ name: "a", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "b" } }, "tool_choice.name"],
    ["a custom tool without its schema", { tools: [{ name: "a" }] }, "tools[0].input_schema"],
    ["stop_sequences not strings", { stop_sequences: [1] }, "stop_sequences"],
    ["a base64 PDF without its data", { messages: [{ role: "user", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf" } }] }] }, "messages[0].content[0].source.data"],
  ];
  for (const [what, extra, param] of invalid) {
    test(what, () => {
      const err = refusal({ ...base, ...extra });
      expect([err.status, err.code, err.param]).toEqual([400, "invalid_request", param]);
    });
  }
});

describe("body: a chat completion → a message", () => {
  const completion = (message: Json, finish = "stop", extra: Json = {}) => ({ id: "x", object: "chat.completion", choices: [{ index: 0, message, finish_reason: finish, ...extra }], usage: { prompt_tokens: 12, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 2 } } });
  test("thinking, text and parallel tool_use blocks, in Anthropic's key order, usage split into input and cache read", () => {
    const out = mapResponse(
      completion({ role: "assistant", reasoning_content: "hmm", content: "Sure.", tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":1}' } }, { type: "function", function: { name: "mul", arguments: "" } }] }, "tool_calls"),
      base,
      ctx(),
    );
    expect(out).toEqual({
      id: "msg_id2",
      type: "message",
      role: "assistant",
      model: "m",
      content: [
        { type: "thinking", thinking: "hmm", signature: "" },
        { type: "text", text: "Sure." },
        { type: "tool_use", id: "call_1", name: "add", input: { a: 1 } },
        { type: "tool_use", id: "toolu_id1", name: "mul", input: {} },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 2, output_tokens: 5 },
    });
    const recorded = JSON.parse(readFileSync(join(FIXTURES_DIR, "messages/anthropic-tool-use-parallel.json"), "utf8"));
    expect(Object.keys(out)).toEqual(Object.keys(recorded).filter((k) => k !== "model").toSpliced(3, 0, "model"));
  });
  test("stop reasons: length, content_filter, refusal, vLLM's stop string", () => {
    expect(mapResponse(completion({ content: "a" }, "length"), base, ctx()).stop_reason).toBe("max_tokens");
    expect(mapResponse(completion({ content: "a" }, "content_filter"), base, ctx()).stop_reason).toBe("refusal");
    const refused = mapResponse(completion({ content: null, refusal: "No." }), base, ctx());
    expect([refused.stop_reason, refused.content]).toEqual(["refusal", [{ type: "text", text: "No." }]]);
    const stopped = mapResponse(completion({ content: "1\n" }, "stop", { stop_reason: "STOP" }), { ...base, stop_sequences: ["STOP"] }, ctx());
    expect([stopped.stop_reason, stopped.stop_sequence]).toEqual(["stop_sequence", "STOP"]);
  });
  test("no choice, or tool arguments that are not an object → 502 upstream_invalid_response", () => {
    for (const body of [{ choices: [] }, completion({ tool_calls: [{ id: "a", function: { name: "f", arguments: "{oops" } }] }, "tool_calls")]) {
      const err = refusal(body, (b) => mapResponse(b, base, ctx()));
      expect([err.status, err.code]).toEqual([502, "upstream_invalid_response"]);
    }
  });
  test("every recorded chat body maps (or is a 502 when it has no answer)", () => {
    for (const f of loadFixtures().filter((x) => x.protocol === "chat" && !x.stream && !x.name.match(/-\d{3}\.json$|not-found/))) {
      const out = mapResponse(JSON.parse(new TextDecoder().decode(f.bytes)), base, ctx());
      expect(out.type).toBe("message");
    }
  });
});
