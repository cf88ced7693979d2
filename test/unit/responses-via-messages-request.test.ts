/**
 * responses-via-messages' request mapper where it maps the conversation straight to Messages
 * turns: what the chat shape could not carry (images and PDFs in tool outputs, files), signed
 * thinking back in the order it came and kept across turns that have no content of their own,
 * and the 400s that name the client's own fields. (test/unit/responses-via-messages.test.ts has
 * the fields every direction shares.)
 */
import { describe, expect, test } from "bun:test";
import { mapRequest } from "../../src/protocol/adapters/responses-via-messages/index.ts";
import * as chatViaMessages from "../../src/protocol/adapters/chat-via-messages/index.ts";
import { GambiError } from "../../src/protocol/openai/errors.ts";

type Json = Record<string, any>;

const PNG = "data:image/png;base64,iVBORw0KGgo=";
const PDF = "data:application/pdf;base64,JVBERi0xLjQ=";

function rejection(body: Json, history: Json[] = []): GambiError {
  try {
    mapRequest(body, { history });
  } catch (err) {
    if (err instanceof GambiError) return err;
    throw err;
  }
  throw new Error("no 400");
}

const signed = (i: number, text: string): Json => ({ type: "reasoning", id: `rs_${i}`, summary: [], content: [{ type: "reasoning_text", text }], encrypted_content: `anthropic.thinking:sig${i}` });
const call = (id: string, args = "{}"): Json => ({ type: "function_call", call_id: id, name: "f", arguments: args });

describe("what the chat shape could not carry", () => {
  test("images and text in a function_call_output → a tool_result with image and text blocks", () => {
    const out: Json = mapRequest({
      model: "claude",
      input: [
        { role: "user", content: "look" },
        call("c1"),
        {
          type: "function_call_output",
          call_id: "c1",
          output: [
            { type: "input_text", text: "the screenshot:" },
            { type: "input_image", image_url: PNG, detail: "high" },
            { type: "input_image", image_url: "https://example.com/a.png" },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "look" },
      { role: "assistant", content: [{ type: "tool_use", id: "c1", name: "f", input: {} }] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "c1",
            content: [
              { type: "text", text: "the screenshot:" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
              { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
            ],
          },
        ],
      },
    ]);
  });

  test("files: a PDF's data, a file URL (its filename as the title), in a message or a tool output → document blocks", () => {
    const out: Json = mapRequest({
      model: "claude",
      input: [
        { role: "user", content: [{ type: "input_file", filename: "a.pdf", file_data: PDF }, { type: "input_text", text: "summarize" }] },
        call("c1"),
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_file", file_url: "https://example.com/b.pdf" }] },
      ],
    });
    expect(out.messages[0].content).toEqual([
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQ=" }, title: "a.pdf" },
      { type: "text", text: "summarize" },
    ]);
    expect(out.messages[2].content[0].content).toEqual([{ type: "document", source: { type: "url", url: "https://example.com/b.pdf" } }]);
  });

  test("plain-text files, in a message or a tool output → documents with a text source holding the decoded UTF-8", () => {
    const text = "naïve — café\n";
    const data = `data:text/plain;base64,${Buffer.from(text, "utf8").toString("base64")}`;
    const out: Json = mapRequest({
      model: "claude",
      input: [
        { role: "user", content: [{ type: "input_file", filename: "menu.txt", file_data: data }, { type: "input_text", text: "translate" }] },
        call("c1"),
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_file", file_data: data }] },
      ],
    });
    expect(out.messages[0].content).toEqual([
      { type: "document", source: { type: "text", media_type: "text/plain", data: text }, title: "menu.txt" },
      { type: "text", text: "translate" },
    ]);
    expect(out.messages[2].content[0].content).toEqual([{ type: "document", source: { type: "text", media_type: "text/plain", data: text } }]);
  });

  test("a plain-text file that is not base64 or not UTF-8: a 400 invalid_request naming its file_data", () => {
    for (const [input, param] of [
      [[{ role: "user", content: [{ type: "input_text", text: "see" }, { type: "input_file", file_data: "data:text/plain;base64,@@@" }] }], "input[0].content[1].file_data"],
      [[{ role: "user", content: "x" }, call("c1"), { type: "function_call_output", call_id: "c1", output: [{ type: "input_file", file_data: `data:text/plain;base64,${Buffer.from([0xc3, 0x28]).toString("base64")}` }] }], "input[2].output[0].file_data"],
    ] as const) {
      const err = rejection({ model: "claude", input });
      expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code: "invalid_request", param });
    }
  });

  test("what Messages cannot take either is a 400 naming the field and the Messages API", () => {
    for (const [input, param] of [
      [[{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }], "input[0].content[0].file_id"],
      [[{ role: "user", content: [{ type: "input_file", file_data: "data:text/csv;base64,YQ==" }] }], "input[0].content[0]"],
      [[{ role: "user", content: [{ type: "input_image", image_url: "data:image/png,raw" }] }], "input[0].content[0].image_url"],
      [[{ role: "user", content: "x" }, { role: "assistant", content: [{ type: "input_image", image_url: PNG }] }], "input[1].content[0]"],
      [[{ role: "developer", content: [{ type: "input_file", file_data: PDF }] }, { role: "user", content: "x" }], "input[0].content[0]"],
    ] as const) {
      const err = rejection({ model: "claude", input });
      expect({ status: err.status, code: err.code, param: err.param, says: err.message.includes("Messages API") }).toEqual({ status: 400, code: "unsupported_parameter", param, says: true });
    }
  });
});

describe("signed thinking", () => {
  test("back in the order it came: a thinking block between a message and its call stays there", () => {
    const out: Json = mapRequest({ model: "claude", input: [{ role: "user", content: "hi" }, signed(1, "a"), { role: "assistant", content: "let me look" }, signed(2, "b"), call("c1")] });
    expect(out.messages[1].content).toEqual([
      { type: "thinking", thinking: "a", signature: "sig1" },
      { type: "text", text: "let me look" },
      { type: "thinking", thinking: "b", signature: "sig2" },
      { type: "tool_use", id: "c1", name: "f", input: {} },
    ]);
  });

  test("kept for the assistant content that follows it: across an empty assistant message and a system message; dropped by a user turn or a tool output", () => {
    const kept: Json = mapRequest({ model: "claude", input: [{ role: "user", content: "hi" }, signed(1, "a"), { role: "assistant", content: "" }, { role: "system", content: "rules" }, { role: "assistant", content: "ok" }] });
    expect(kept.system).toBe("rules");
    expect(kept.messages[1]).toEqual({ role: "assistant", content: [{ type: "thinking", thinking: "a", signature: "sig1" }, { type: "text", text: "ok" }] });
    const dropped = mapRequest({ model: "claude", input: [{ role: "user", content: "hi" }, signed(1, "a"), { role: "user", content: "more" }, call("c1"), { type: "function_call_output", call_id: "c1", output: "5" }, signed(2, "b"), { type: "function_call_output", call_id: "c1", output: "6" }, { role: "assistant", content: "ok" }] });
    expect(JSON.stringify(dropped.messages)).not.toContain("thinking");
  });

  test("a reasoning item named by item_reference, from the stored turn, goes back as its block", () => {
    const out: Json = mapRequest({ model: "claude", input: [{ type: "item_reference", id: "rs_1" }, call("c1"), { type: "function_call_output", call_id: "c1", output: "5" }] }, { history: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }, signed(1, "a")] });
    expect(out.messages[1].content[0]).toEqual({ type: "thinking", thinking: "a", signature: "sig1" });
  });
});

describe("reasoning.effort in a tool loop", () => {
  test("the assistant turn without the hub's signed reasoning item: thinking off (Anthropic would refuse it on); with it, on", () => {
    const next = (items: Json[]) => mapRequest({ model: "claude", reasoning: { effort: "medium" }, input: [{ role: "user", content: "hi" }, ...items, { type: "function_call_output", call_id: "c1", output: "5" }] });
    expect(next([call("c1")]).thinking).toBeUndefined();
    expect(next([{ type: "reasoning", summary: [{ type: "summary_text", text: "unsigned" }] }, call("c1")]).thinking).toBeUndefined();
    expect(next([signed(1, "a"), call("c1")]).thinking).toEqual({ type: "enabled", budget_tokens: 8192 });
  });
});

describe("400s name the client's fields", () => {
  test("arguments that are no JSON object, max_output_tokens, reasoning.effort", () => {
    for (const [body, param, code] of [
      [{ input: [{ role: "user", content: "x" }, call("c1", "[1]")] }, "input[1].arguments", "invalid_request"],
      [{ input: "x", max_output_tokens: 0 }, "max_output_tokens", "invalid_request"],
      [{ input: "x", max_output_tokens: 1.5 }, "max_output_tokens", "invalid_request"],
      [{ input: "x", reasoning: { effort: "extreme" } }, "reasoning.effort", "invalid_request"],
      [{ input: "x", reasoning: { effort: "constructor" } }, "reasoning.effort", "invalid_request"],
      [{ input: [{ role: "system", content: "only" }] }, "input", "invalid_request"],
    ] as const) {
      const err = rejection({ model: "claude", ...body });
      expect({ param: err.param, code: err.code }).toEqual({ param, code });
    }
  });

  test("chat-via-messages too: a reasoning_effort that names an Object method is no budget", () => {
    let err: unknown;
    try {
      chatViaMessages.mapRequest({ model: "m", messages: [{ role: "user", content: "x" }], reasoning_effort: "toString" });
    } catch (e) {
      err = e;
    }
    expect((err as GambiError).param).toBe("reasoning_effort");
  });
});
