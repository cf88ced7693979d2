/**
 * When the hub repairs a participant's Responses answer (responses-repair/detect.ts), and the
 * repair of a non-streaming body (body.ts): llama.cpp's recorded bodies and streams are found
 * out, every other recording is left alone (OpenAI's 2025-03 stream without sequence_number
 * aside), and a repaired body has the whole Response object with ids on every item.
 */
import { describe, expect, test } from "bun:test";
import { bodyRepairReason, streamRepairReason } from "../../src/protocol/openai/responses-repair/detect.ts";
import { repairBody } from "../../src/protocol/openai/responses-repair/body.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { decodeSse } from "../helpers/sse-read.ts";

type Json = Record<string, any>;
const ctx = { newId: () => "0a1b2c3d-0000-0000-0000-000000000001", now: () => 1_800_000_000_999 };
const request = { model: "tiny", input: "hi", temperature: 0.2 };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const fixtures = loadFixtures().filter((f) => f.protocol === "responses");

describe("streamRepairReason, on each recorded stream's first event", () => {
  const want: Record<string, string | undefined> = {
    "responses/llamacpp-tiny-text.sse": "its stream events lack an output array in response.created and sequence_number",
    "responses/llamacpp-tiny-tools-text.sse": "its stream events lack an output array in response.created and sequence_number",
    "responses/openai-function-call.sse": "its stream events lack sequence_number",
  };
  for (const f of fixtures.filter((x) => x.stream)) {
    test(f.name, () => expect(streamRepairReason(decodeSse(f.bytes)[0]!)).toBe(want[f.name]));
  }

  test("a stream that does not start with response.created, or data that is not JSON", () => {
    expect(streamRepairReason({ event: "error", data: '{"type":"error","message":"x"}' })).toBe("its stream starts with error, not response.created");
    expect(streamRepairReason({ data: '{"choices":[]}' })).toBe("its stream starts with an event without a type, not response.created");
    expect(streamRepairReason({ data: "not json" })).toBeUndefined();
  });
});

describe("bodyRepairReason, on each recorded body", () => {
  const want: Record<string, string | undefined> = {
    "responses/llamacpp-tiny-text.json": "its Response bodies lack error, incomplete_details, instructions, parallel_tool_calls, tool_choice, tools, temperature, top_p, metadata",
    "responses/llamacpp-tiny-tools-text.json": "its Response bodies lack error, incomplete_details, instructions, parallel_tool_calls, tool_choice, tools, temperature, top_p, metadata",
  };
  for (const f of fixtures.filter((x) => !x.stream)) {
    test(f.name, () => expect(bodyRepairReason(JSON.parse(text(f.bytes)))).toBe(want[f.name]));
  }

  test("an output item without an id is named", () => {
    const body = JSON.parse(text(fixtures.find((f) => f.name === "responses/openai-text.json")!.bytes));
    body.output.push({ type: "function_call", call_id: "fc_1", name: "f", arguments: "{}" });
    expect(bodyRepairReason(body)).toBe("output item 2 of its Response bodies has no id or type");
  });
});

describe("repairBody", () => {
  const llama = JSON.parse(text(fixtures.find((f) => f.name === "responses/llamacpp-tiny-text.json")!.bytes)) as Json;

  test("llama.cpp's body gets the whole Response object; what it said stays", () => {
    const out = repairBody(llama, request, ctx);
    expect(bodyRepairReason(out)).toBeUndefined();
    expect(out).toMatchObject({
      id: llama.id,
      object: "response",
      created_at: llama.created_at,
      completed_at: llama.completed_at,
      status: "completed",
      model: "tiny",
      error: null,
      incomplete_details: null,
      instructions: null,
      parallel_tool_calls: true,
      tool_choice: "auto",
      tools: [],
      temperature: 0.2,
      top_p: 1,
      metadata: {},
      usage: llama.usage,
    });
    expect(out.output).toEqual(llama.output);
  });

  test("a function_call without an id gets an fc_ id; missing statuses, roles and part fields are filled", () => {
    const body = {
      ...llama,
      output: [
        { type: "message", id: "msg_1", content: [{ type: "output_text", text: "hi" }] },
        { type: "function_call", status: "completed", arguments: "{}", call_id: "fc_abc", name: "f" },
        { type: "function_call", id: "msg_1", arguments: { a: 1 }, call_id: "fc_def", name: "g" },
      ],
    };
    const out = repairBody(body, request, ctx).output as Json[];
    expect(out[0]).toEqual({ id: "msg_1", type: "message", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: "hi" }], role: "assistant" });
    expect(out[1]).toEqual({ id: "fc_0a1b2c3d000000000000000000000001", type: "function_call", status: "completed", arguments: "{}", call_id: "fc_abc", name: "f" });
    // An id an earlier item took is not used twice; arguments sent as an object become its JSON.
    expect(out[2]!.id).toMatch(/^fc_/);
    expect(out[2]!.arguments).toBe('{"a":1}');
  });

  test("a body with no id, created_at or status gets them from the context", () => {
    const out = repairBody({ output: [] }, request, ctx);
    expect(out).toMatchObject({ id: "resp_0a1b2c3d000000000000000000000001", created_at: 1_800_000_000, completed_at: 1_800_000_000, status: "completed", output: [] });
  });
});
