/**
 * messages-via-responses' request and body mapping (a Messages client, a Responses participant):
 * each field as docs/protocols.md's "Messages" section lists it for a Responses participant, and
 * what the chat shape could not carry — images and PDFs inside tool results, PDF documents, this
 * participant's encrypted reasoning sent back in thinking blocks, in the blocks' order — and
 * every recorded answer sent back as the next turn. Bad input is always a 400 in the API's
 * shape, never anything else (seeded random requests).
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper, mapRequest, mapResponse } from "../../src/protocol/adapters/messages-via-responses/index.ts";
import * as messagesViaChat from "../../src/protocol/adapters/messages-via-chat/index.ts";
import { signatureOfReasoning } from "../../src/protocol/anthropic/thinking.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { prng } from "../helpers/prng.ts";
import { randomMessagesRequest } from "../helpers/random-messages-request.ts";
import { refusalOf } from "../helpers/failure.ts";

type Json = Record<string, any>;

const base: Json = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
const PNG = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo" };
const PDF = { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" };

const refusal = (body: Json, map: (b: Json) => unknown = mapRequest): GambiError => refusalOf(() => map(body));

const withTurns = (...messages: Json[]): Json => ({ ...base, messages });
const input = (body: Json) => mapRequest(body).input as Json[];

describe("request: what the chat shape carried, as before", () => {
  test("system and role:system entries → instructions; max_tokens, temperature, top_p, tools, tool_choice, output format, stream; store false", () => {
    const out = mapRequest({
      ...base,
      system: [{ type: "text", text: "You are Claude Code." }, { type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: "hi" }, { role: "system", content: "A reminder." }],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      thinking: { type: "adaptive" },
      metadata: { user_id: "u" },
      tools: [{ name: "a", description: "d", input_schema: { type: "object" } }],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      stream: true,
    });
    expect(out).toEqual({
      model: "m",
      instructions: "You are Claude Code.\n\nBe brief.\n\nA reminder.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      tools: [{ type: "function", name: "a", description: "d", parameters: { type: "object" }, strict: false }],
      tool_choice: "required",
      text: { format: { type: "json_schema", name: "output", schema: { type: "object" } } },
      max_output_tokens: 64,
      stream: true,
      store: false,
    });
  });
  test("a tool loop: calls, their results first (text joined, errors flagged), then the user's words", () => {
    const items = input(
      withTurns(
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "text", text: "Let me look." }, { type: "tool_use", id: "toolu_1", name: "w", input: { city: "Rome" } }, { type: "tool_use", id: "toolu_2", name: "w", input: {} }] },
        {
          role: "user",
          content: [
            { type: "text", text: "and?" },
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "22C" }, { type: "document", source: { type: "text", media_type: "text/plain", data: "sunny" } }] },
            { type: "tool_result", tool_use_id: "toolu_2", is_error: true, content: "timeout" },
          ],
        },
      ),
    );
    expect(items).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "weather?" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look." }] },
      { type: "function_call", call_id: "toolu_1", name: "w", arguments: '{"city":"Rome"}' },
      { type: "function_call", call_id: "toolu_2", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "toolu_1", output: "22C\nsunny" },
      { type: "function_call_output", call_id: "toolu_2", output: "Error: timeout" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "and?" }] },
    ]);
  });
  test("an assistant turn with nothing to say keeps its place; an empty user message too", () => {
    expect(input(withTurns({ role: "user", content: [] }, { role: "assistant", content: [] }, { role: "user", content: "x" }))).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "x" }] },
    ]);
  });
  test("400s name the field and the Responses API: stop_sequences (none there), server tools, remote MCP servers, files by id", () => {
    const stop = refusal({ ...base, stop_sequences: ["X"] });
    expect([stop.status, stop.code, stop.param]).toEqual([400, "unsupported_parameter", "stop_sequences"]);
    expect(stop.message).toContain("only speaks Responses API");
    expect(mapRequest({ ...base, stop_sequences: [] })).not.toHaveProperty("stop");
    for (const [body, param] of [
      [{ ...base, tools: [{ type: "web_search_20250305", name: "web_search" }] }, "tools[0].type"],
      [{ ...base, mcp_servers: [{ type: "url", url: "https://x" }] }, "mcp_servers"],
      [withTurns({ role: "user", content: [{ type: "document", source: { type: "file", file_id: "f" } }] }), "messages[0].content[0].source.type"],
      [withTurns({ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }), "messages[0].content[0].source.type"],
      [withTurns({ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "document", source: { type: "content", content: [] } }] }] }), "messages[0].content[0].content[0].source.type"],
    ] as [Json, string][]) {
      const err = refusal(body);
      expect([err.status, err.code, err.param]).toEqual([400, "unsupported_parameter", param]);
      expect(err.message).toContain("only speaks Responses API");
    }
    expect(refusal({ ...base, max_tokens: 0 }).param).toBe("max_tokens");
  });
});

describe("request: what the chat shape could not carry", () => {
  test("images and PDFs inside a tool result stay in it, in order (the chat shape moved images to a user message, refused PDFs)", () => {
    const items = input(
      withTurns(
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "screenshot", input: {} }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "here:" }, { type: "image", source: PNG }, { type: "document", source: PDF, title: "r.pdf" }] },
            { type: "tool_result", tool_use_id: "toolu_2", is_error: true, content: [{ type: "image", source: { type: "url", url: "https://x/y.png" } }] },
            { type: "tool_result", tool_use_id: "toolu_3", is_error: true, content: [{ type: "text", text: "bad" }, { type: "image", source: PNG }] },
          ],
        },
      ),
    );
    expect(items.slice(1)).toEqual([
      {
        type: "function_call_output",
        call_id: "toolu_1",
        output: [
          { type: "input_text", text: "here:" },
          { type: "input_image", image_url: `data:image/png;base64,${PNG.data}`, detail: "auto" },
          { type: "input_file", filename: "r.pdf", file_data: `data:application/pdf;base64,${PDF.data}` },
        ],
      },
      { type: "function_call_output", call_id: "toolu_2", output: [{ type: "input_text", text: "Error" }, { type: "input_image", image_url: "https://x/y.png", detail: "auto" }] },
      { type: "function_call_output", call_id: "toolu_3", output: [{ type: "input_text", text: "Error: bad" }, { type: "input_image", image_url: `data:image/png;base64,${PNG.data}`, detail: "auto" }] },
    ]);
  });
  test("PDF documents → input_file: base64 as a data URL (its title as filename, else document.pdf), a URL as file_url", () => {
    const items = input(withTurns({ role: "user", content: [{ type: "text", text: "summarize" }, { type: "document", source: PDF }, { type: "document", source: { type: "url", url: "https://x/a.pdf" }, title: "a.pdf", citations: { enabled: true } }, { type: "document", source: { type: "url", url: "https://x/b.pdf" } }] }));
    expect(items).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "summarize" },
          { type: "input_file", filename: "document.pdf", file_data: `data:application/pdf;base64,${PDF.data}` },
          { type: "input_file", filename: "a.pdf", file_url: "https://x/a.pdf" },
          { type: "input_file", file_url: "https://x/b.pdf" },
        ],
      },
    ]);
    // A chat participant takes none by URL (a chat file part holds only data).
    expect(refusal(withTurns({ role: "user", content: [{ type: "document", source: { type: "url", url: "https://x/a.pdf" } }] }), (b) => messagesViaChat.mapRequest(b)).param).toBe("messages[0].content[0].source.type");
    // A base64 document that is no PDF, or without its data, is a 400 both ways.
    for (const map of [mapRequest, (b: Json) => messagesViaChat.mapRequest(b)]) {
      expect(refusal(withTurns({ role: "user", content: [{ type: "document", source: { ...PDF, media_type: "text/plain" } }] }), map).param).toBe("messages[0].content[0].source.media_type");
      expect(refusal(withTurns({ role: "user", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf" } }] }), map).param).toBe("messages[0].content[0].source.data");
    }
  });
  test("thinking blocks carrying this model's encrypted reasoning → its reasoning items again, where they were; any other thinking dropped", () => {
    const mine = (text: string, e: string) => ({ type: "thinking", thinking: text, signature: signatureOfReasoning({ model: "m" }, e) });
    const items = input(
      withTurns(
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [
            mine("plan", "gAAA-1"),
            { type: "text", text: "Calling." },
            mine("", "gAAA-2"),
            { type: "tool_use", id: "toolu_1", name: "f", input: {} },
            { type: "thinking", thinking: "Claude's", signature: "EqQBCkYIBRgC" },
            { type: "thinking", thinking: "another model's", signature: signatureOfReasoning({ model: "gpt-other" }, "gAAA-3") },
            { type: "thinking", thinking: "unsigned", signature: "" },
            { type: "redacted_thinking", data: "EmwKAhgB" },
            { type: "text", text: "Done." },
          ],
        },
      ),
    );
    expect(items.slice(1)).toEqual([
      { type: "reasoning", summary: [{ type: "summary_text", text: "plan" }], encrypted_content: "gAAA-1" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Calling." }] },
      { type: "reasoning", summary: [], encrypted_content: "gAAA-2" },
      { type: "function_call", call_id: "toolu_1", name: "f", arguments: "{}" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Done." }] },
    ]);
    // Bound to the model: the same conversation to another model sends none of them.
    expect(input({ ...withTurns({ role: "user", content: "go" }, { role: "assistant", content: [mine("plan", "gAAA-1"), { type: "text", text: "x" }] }), model: "n" }).map((i) => i.type)).toEqual(["message", "message"]);
  });
  test("bound to the participant too: another participant serving the same model gets none (its account could not read them)", () => {
    const by = (participant: string | undefined, e: string) => ({ type: "thinking", thinking: "t", signature: signatureOfReasoning({ model: "m", participant }, e) });
    const body = withTurns({ role: "user", content: "go" }, { role: "assistant", content: [by("p:1", "gAAA-1"), by("p2", "gAAA-2"), by(undefined, "gAAA-3"), { type: "text", text: "x" }] });
    const reasoningFor = (participant: string) => (mapRequest(body, { participant }).input as Json[]).filter((i) => i.type === "reasoning").map((i) => i.encrypted_content);
    expect(reasoningFor("p:1")).toEqual(["gAAA-1"]);
    expect(reasoningFor("p2")).toEqual(["gAAA-2"]);
    expect(reasoningFor("p3")).toEqual([]);
    // Each part encoded: a participant id with a colon cannot pose as another's model.
    expect(signatureOfReasoning({ model: "m", participant: "p:1" }, "gAAA")).toBe("responses.reasoning:p%3A1:m:gAAA");
  });
  test("model names with colons and slashes are carried whole", () => {
    const signature = signatureOfReasoning({ model: "openai/gpt-5:latest" }, "gAAA:x");
    expect(signature).toBe("responses.reasoning:openai%2Fgpt-5%3Alatest:gAAA:x");
    expect(input({ ...withTurns({ role: "assistant", content: [{ type: "thinking", thinking: "", signature }, { type: "text", text: "x" }] }), model: "openai/gpt-5:latest" })[0]).toEqual({ type: "reasoning", summary: [], encrypted_content: "gAAA:x" });
    expect(input({ ...withTurns({ role: "assistant", content: [{ type: "thinking", thinking: "", signature }, { type: "text", text: "x" }] }), model: "openai/gpt-5" })[0]!.type).toBe("message");
  });
});

describe("every recorded answer, sent back as the next turn", () => {
  for (const f of loadFixtures(["responses"]).filter((x) => x.stream && !x.name.includes("error"))) {
    test(f.name, () => {
      const req = { ...base, model: "gpt-5", stream: true };
      const mapper = createStreamMapper(req, context());
      const answer = checkMessagesStream([...decode(f.bytes).flatMap((e) => mapper.push(e)), ...mapper.end()]);
      const calls = answer.content.filter((b) => b.type === "tool_use");
      const next = mapRequest({ ...req, messages: [{ role: "user", content: "hi" }, { role: "assistant", content: answer.content }, { role: "user", content: calls.length > 0 ? calls.map((c) => ({ type: "tool_result", tool_use_id: c.id, content: "42" })) : "more" }] });
      const items = next.input as Json[];
      // The participant's own calls, with its arguments, and its encrypted reasoning, each in its place.
      const recorded = decode(f.bytes).map((e) => (e.data.startsWith("{") ? (JSON.parse(e.data) as Json) : {})).filter((d) => d.type === "response.output_item.done").map((d) => d.item as Json);
      const expected = recorded.flatMap((i): Json[] => (i.type === "function_call" ? [{ type: "function_call", call_id: i.call_id, arguments: JSON.stringify(JSON.parse(i.arguments)) }] : i.type === "reasoning" && i.encrypted_content ? [{ type: "reasoning", encrypted_content: i.encrypted_content }] : []));
      const sent = items.filter((i) => i.type === "function_call" || i.type === "reasoning").map((i): Json => (i.type === "reasoning" ? { type: i.type, encrypted_content: i.encrypted_content } : { type: i.type, call_id: i.call_id, arguments: i.arguments }));
      expect(sent).toEqual(expected);
      expect(items.filter((i) => i.type === "function_call_output").map((i) => i.call_id)).toEqual(calls.map((c) => c.id));
    });
  }
});

describe("bad input: a 400 naming the field, never anything else", () => {
  test("5,000 random requests (seeded), PDFs and images in tool results included", () => {
    let mapped = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const body = randomMessagesRequest(prng(seed));
      try {
        const out = mapRequest(body);
        mapped++;
        for (const item of out.input as Json[]) expect(["message", "function_call", "function_call_output", "reasoning"]).toContain(item.type);
        expect(JSON.parse(JSON.stringify(out))).toEqual(out);
      } catch (err) {
        if (!(err instanceof GambiError)) throw new Error(`seed ${seed}: ${String(err)}`);
        expect([err.status, typeof err.param]).toEqual([400, "string"]);
      }
    }
    expect(mapped).toBeGreaterThan(3000);
  });
});

describe("body: a Response → a message", () => {
  test("items in order: thinking (signed with the encrypted reasoning), text and refusal in one block, calls; usage; key order", () => {
    const out = mapResponse(
      {
        status: "completed",
        output: [
          { type: "reasoning", summary: [{ type: "summary_text", text: "a" }, { type: "summary_text", text: "b" }], encrypted_content: "gAAA" },
          { type: "message", content: [{ type: "output_text", text: "I will. ", annotations: [] }, { type: "refusal", refusal: "Not that." }] },
          { type: "function_call", call_id: "call_1", name: "f", arguments: '{"x":1}' },
          { type: "function_call", name: "g", arguments: "" },
        ],
        usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 3 }, output_tokens: 4 },
      },
      base,
      context(),
    );
    expect(Object.keys(out)).toEqual(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]);
    expect(out.content).toEqual([
      { type: "thinking", thinking: "a\n\nb", signature: signatureOfReasoning({ model: "m" }, "gAAA") },
      { type: "text", text: "I will. Not that." },
      { type: "tool_use", id: "call_1", name: "f", input: { x: 1 } },
      { type: "tool_use", id: "toolu_id1", name: "g", input: {} },
    ]);
    expect([out.stop_reason, out.usage]).toEqual(["refusal", { input_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 3, output_tokens: 4 }]);
  });
  test("a failed Response, an error body, arguments that are no object: 502s", () => {
    const failed = refusal({ status: "failed", error: { message: "boom", code: "server_error" }, output: [] }, (b) => mapResponse(b, base, context()));
    expect([failed.status, failed.code, failed.message]).toEqual([502, "server_error", "boom"]);
    for (const f of loadFixtures(["responses"]).filter((x) => !x.stream && fixtureStatus(x.name) !== 200)) {
      expect(refusal(JSON.parse(new TextDecoder().decode(f.bytes)), (b) => mapResponse(b, base, context())).status).toBe(502);
    }
    const args = refusal({ status: "completed", output: [{ type: "function_call", call_id: "c", name: "f", arguments: "{oops" }] }, (b) => mapResponse(b, base, context()));
    expect([args.status, args.code]).toEqual([502, "upstream_invalid_response"]);
  });
  test("every recorded Response body → a message with its text and usage", () => {
    for (const f of loadFixtures(["responses"]).filter((x) => !x.stream && fixtureStatus(x.name) === 200)) {
      const body = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      const out = mapResponse(body, base, context());
      const text = (body.output as Json[]).filter((i) => i.type === "message").flatMap((i) => i.content).map((p: Json) => p.text ?? "").join("");
      expect((out.content as Json[]).filter((b) => b.type === "text").map((b) => b.text).join(""), f.name).toBe(text);
      expect((out.usage as Json).output_tokens, f.name).toBe(body.usage.output_tokens);
    }
  });
});
