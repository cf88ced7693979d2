/** responses-via-chat: the request's input as stored items (what GET …/input_items lists). */
import { describe, expect, test } from "bun:test";
import { mapRequest as mapRequestJson, type MapRequestOptions } from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { normalizeInput } from "../../src/protocol/openai/responses-items.ts";

const mapRequest = (body: Record<string, unknown>, opts?: MapRequestOptions): any => mapRequestJson(body, opts);

describe("normalizeInput", () => {
  let n = 0;
  const ctx = { newId: () => `0000-${++n}`, now: () => 0 };

  test("a string is one user message with an input_text part and an id", () => {
    n = 0;
    expect(normalizeInput({ input: "Hi" }, ctx)).toEqual([{ id: "msg_00001", type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] }]);
  });

  test("items keep their ids, get one when missing, shorthand becomes a message", () => {
    n = 0;
    const items = normalizeInput(
      {
        input: [
          { role: "user", content: "q" },
          { role: "assistant", content: "a" },
          { type: "function_call", id: "fc_keep", call_id: "c", name: "f", arguments: "{}" },
          { type: "function_call_output", call_id: "c", output: "r" },
          { type: "message", role: "user", content: [{ type: "input_image", image_url: "https://x/y.png", detail: "low" }] },
        ],
      },
      ctx,
    );
    expect(items).toEqual([
      { id: "msg_00001", type: "message", role: "user", content: [{ type: "input_text", text: "q" }] },
      { id: "msg_00002", type: "message", role: "assistant", content: [{ type: "output_text", text: "a", annotations: [] }], status: "completed" },
      { id: "fc_keep", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
      { id: "fco_00003", type: "function_call_output", call_id: "c", output: "r" },
      { id: "msg_00004", type: "message", role: "user", content: [{ type: "input_image", image_url: "https://x/y.png", detail: "low" }] },
    ]);
  });

  test("normalized items map to the same messages as the raw input (the hub replays them as history)", () => {
    const input = [
      { role: "developer", content: "rules" },
      { role: "user", content: [{ type: "input_text", text: "q" }] },
      { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c", output: "r" },
    ];
    const direct = mapRequest({ model: "m", input }).messages;
    const replayed = mapRequest({ model: "m", input: "next" }, { history: normalizeInput({ input }, ctx) }).messages;
    expect(replayed).toEqual([...direct, { role: "user", content: "next" }]);
  });

  test("no input → no items", () => {
    expect(normalizeInput({}, ctx)).toEqual([]);
  });
});
