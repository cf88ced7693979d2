/**
 * The repairing pass over Responses streams (src/protocol/openai/responses-repair/stream.ts):
 * every recorded stream, repaired, passes the strict grammar gambi's own output is held to and
 * carries what the recording carried; llama.cpp's shapes (recorded, and built from its source
 * for reasoning and tool calls) come out whole; and synthetic breakage — missing item and part
 * events, deltas naming no item, no terminal event, errors, cut connections — ends as a
 * client can read it.
 */
import { describe, expect, test } from "bun:test";
import { createRepairMapper } from "../../src/protocol/openai/responses-repair/stream.ts";
import { repairInFront } from "../../src/protocol/openai/responses-repair/in-front.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { decodeSse } from "../helpers/sse-read.ts";
import { assembleResponses, checkResponsesStream } from "../helpers/responses-stream-check.ts";
import { llamaResponsesStream } from "../helpers/llama-responses.ts";

type Json = Record<string, any>;
const NOW = 1_800_000_000_123;
const request = { model: "tiny", input: "hi", tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }] };

function repair(events: SseEvent[], opts: { fail?: { message: string; code?: any } } = {}): SseEvent[] {
  let n = 0;
  const m = createRepairMapper(request, { newId: () => `00000000-0000-0000-0000-${String(++n).padStart(12, "0")}`, now: () => NOW });
  const out = events.flatMap((e) => m.push(e));
  out.push(...(opts.fail ? m.fail(opts.fail) : m.end()));
  // Nothing after the end.
  expect(m.push({ event: "response.output_text.delta", data: '{"type":"response.output_text.delta","delta":"late"}' })).toEqual([]);
  return out;
}
const sse = (...frames: (Json | string)[]) => decodeSse(new TextEncoder().encode(frames.map((f) => (typeof f === "string" ? f : `${f.type ? `event: ${f.type}\n` : ""}data: ${JSON.stringify(f)}\n\n`)).join("")));
const datas = (events: SseEvent[]) => events.map((e) => JSON.parse(e.data) as Json);
const created = { type: "response.created", response: { id: "resp_x", object: "response", status: "in_progress" } };

describe("every recorded Responses stream, repaired", () => {
  const recordings = loadFixtures().filter((f) => f.protocol === "responses" && f.stream);
  test("all ten are here", () => expect(recordings.length).toBe(10));

  for (const f of recordings) {
    test(`${f.name}: strict grammar, same content as the recording`, () => {
      const src = decodeSse(f.bytes);
      const out = repair(src);
      checkResponsesStream(out, { strict: true });
      const got = assembleResponses(out, { strict: true });
      // llama.cpp's recordings fail even the lenient check; their completed output says what they hold.
      if (f.name.includes("llamacpp")) {
        const completed = datas(src).find((d) => d.type === "response.completed")!.response;
        expect(got.text).toBe(completed.output[0].content[0].text);
        expect(got.response.usage).toEqual(completed.usage);
        expect(got.status).toBe("completed");
        return;
      }
      const want = assembleResponses(src);
      expect({ ...got, response: undefined, output: undefined }).toEqual({ ...want, response: undefined, output: undefined });
      expect(got.output.map((o) => o.id)).toEqual(want.output.map((o) => o.id));
    });
  }
});

describe("llama.cpp llama-server 0.7.0, recorded (llamacpp-tiny-text.sse)", () => {
  const src = decodeSse(loadFixtures().find((f) => f.name === "responses/llamacpp-tiny-text.sse")!.bytes);
  const out = repair(src);
  const d = datas(out);

  test("created and in_progress carry a whole response object: output [], model, created_at, the participant's id", () => {
    for (const e of d.slice(0, 2)) {
      expect(e.response).toMatchObject({ id: "resp_UEoJfvHE6vADFIupfDux10NOYxwcXPcm", object: "response", status: "in_progress", output: [], model: "tiny", created_at: Math.floor(NOW / 1000), error: null, incomplete_details: null, usage: null });
      expect(e.response.tools).toEqual([{ type: "function", description: null, name: "get_weather", parameters: { type: "object" }, strict: null }]);
    }
  });

  test("every event has an event: line, sequence_number 0, 1, 2…, and every delta its indexes", () => {
    expect(out.every((e, i) => e.event === d[i]!.type && d[i]!.sequence_number === i)).toBe(true);
    const deltas = d.filter((e) => e.type === "response.output_text.delta");
    expect(deltas).toHaveLength(12);
    // The participant's own item id is kept.
    const itemId = datas(src).find((e) => e.type === "response.output_item.added")!.item.id;
    for (const e of deltas) expect(e).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0 });
  });

  test("the completed response keeps the participant's usage and its created_at from response.created", () => {
    const completed = d.at(-1)!;
    expect(completed.type).toBe("response.completed");
    expect(completed.response.created_at).toBe(d[0]!.response.created_at);
    expect(completed.response.usage).toEqual({ input_tokens: 19, output_tokens: 12, total_tokens: 31, input_tokens_details: { cached_tokens: 18 } });
    // llama.cpp's own `timings` stay beside the response, where it put them.
    expect(completed.timings).toMatchObject({ prompt_n: 1, predicted_n: 12 });
  });
});

describe("llama.cpp shapes the tiny model cannot show (built from its server-task.cpp)", () => {
  const turn = {
    reasoning: ["Think", "ing."],
    text: ["Let me ", "check."],
    calls: [
      { id: "abc", name: "get_weather", args: ['{"city":', '"Paris"}'] },
      { id: "def", name: "get_time", args: ["{}"] },
    ],
  };
  const out = repair(sse(...llamaResponsesStream(turn)));

  test("reasoning, text and two tool calls come out whole, one item at a time", () => {
    checkResponsesStream(out, { strict: true });
    const a = assembleResponses(out, { strict: true });
    expect(a.reasoning).toBe("Thinking.");
    expect(a.text).toBe("Let me check.");
    expect(a.toolCalls).toEqual([
      { callId: "fc_abc", name: "get_weather", arguments: '{"city":"Paris"}' },
      { callId: "fc_def", name: "get_time", arguments: "{}" },
    ]);
    expect(a.output.map((o) => o.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
  });

  test("the calls get item ids of their own; their arguments end with function_call_arguments.done", () => {
    const d = datas(out);
    const calls = d.filter((e) => e.type === "response.output_item.added" && e.item.type === "function_call").map((e) => e.item.id);
    expect(calls).toHaveLength(2);
    for (const id of calls) expect(id).toMatch(/^fc_0+\d+$/);
    expect(d.filter((e) => e.type === "response.function_call_arguments.done").map((e) => [e.item_id, e.arguments])).toEqual([
      [calls[0], '{"city":"Paris"}'],
      [calls[1], "{}"],
    ]);
  });

  test("the late .done events of items already closed are not sent twice", () => {
    const d = datas(out);
    expect(d.filter((e) => e.type === "response.output_item.done")).toHaveLength(4);
    expect(d.filter((e) => e.type === "response.reasoning_text.done")).toHaveLength(1);
  });

  test("a stream cut before its final result fails with the output so far", () => {
    const cut = repair(sse(...llamaResponsesStream({ ...turn, cut: true })));
    checkResponsesStream(cut, { strict: true });
    const a = assembleResponses(cut, { strict: true });
    expect(a.status).toBe("failed");
    expect(a.error).toEqual({ code: "upstream_incomplete", message: expect.stringContaining("ended before") });
    expect(a.response.output.at(-1)).toMatchObject({ type: "function_call", status: "incomplete", arguments: "{}" });
  });
});

describe("synthetic breakage", () => {
  const check = (out: SseEvent[]) => {
    checkResponsesStream(out, { strict: true });
    return assembleResponses(out, { strict: true });
  };
  const completed = { type: "response.completed", response: { id: "resp_x", status: "completed", usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } } };

  test("no item and no part events: deltas alone make a message", () => {
    const a = check(repair(sse(created, { type: "response.output_text.delta", delta: "Hel" }, { type: "response.output_text.delta", delta: "lo" }, completed)));
    expect(a.text).toBe("Hello");
    expect(a.output).toHaveLength(1);
    expect(a.output[0]!.id).toMatch(/^msg_/);
    expect(a.usage).toEqual({ input: 1, output: 2, total: 3 });
  });

  test("no content_part events: the parts are opened and closed around the deltas", () => {
    const item = { id: "m1", type: "message", role: "assistant", content: [] };
    const a = check(repair(sse(created, { type: "response.output_item.added", item }, { type: "response.output_text.delta", item_id: "m1", delta: "Hi" }, { type: "response.output_item.done", item: { ...item, content: [{ type: "output_text", text: "Hi" }] } }, completed)));
    expect(a.text).toBe("Hi");
    expect(a.output[0]!.id).toBe("m1");
  });

  test("deltas without item_id or output_index belong to the open item; a kind change opens the right one", () => {
    const a = check(
      repair(
        sse(
          created,
          { type: "response.reasoning_text.delta", delta: "hmm" },
          { type: "response.output_text.delta", delta: "No." },
          { type: "response.refusal.delta", delta: "I can't." },
          completed,
        ),
      ),
    );
    expect(a.reasoning).toBe("hmm");
    expect(a.text).toBe("No.");
    expect(a.refusal).toBe("I can't.");
    expect(a.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    expect(a.output[1]!.content.map((p: Json) => p.type)).toEqual(["output_text", "refusal"]);
  });

  test("text only in a .done (no deltas) is streamed as one delta first", () => {
    const out = repair(sse(created, { type: "response.output_item.added", item: { id: "m1", type: "message" } }, { type: "response.output_text.done", item_id: "m1", text: "whole" }, completed));
    expect(check(out).text).toBe("whole");
    expect(datas(out).filter((d) => d.type === "response.output_text.delta").map((d) => d.delta)).toEqual(["whole"]);
  });

  test("a .done longer than its deltas sends the rest; a terminal output item never announced is streamed whole", () => {
    const fc = { type: "function_call", call_id: "call_9", name: "f", arguments: '{"a":1}' };
    const a = check(
      repair(
        sse(
          created,
          { type: "response.output_text.delta", delta: "ab" },
          { type: "response.output_text.done", text: "abc" },
          { type: "response.completed", response: { status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: "abc" }] }, fc] } },
        ),
      ),
    );
    expect(a.text).toBe("abc");
    expect(a.toolCalls).toEqual([{ callId: "call_9", name: "f", arguments: '{"a":1}' }]);
  });

  test("no terminal event: [DONE] completes the response, a bare close fails it (upstream_incomplete)", () => {
    const body = [created, { type: "response.output_text.delta", delta: "x" }];
    expect(check(repair(sse(...body, "data: [DONE]\n\n"))).status).toBe("completed");
    const cut = check(repair(sse(...body)));
    expect(cut.status).toBe("failed");
    expect(cut.error?.code).toBe("upstream_incomplete");
    expect(cut.response.output[0]).toMatchObject({ type: "message", status: "incomplete", content: [{ type: "output_text", text: "x" }] });
  });

  test("an error event ends the stream: error, then response.failed with the output so far; nothing after", () => {
    const out = repair(sse(created, { type: "response.output_text.delta", delta: "part" }, { type: "error", code: "rate_limited", message: "slow down", param: null }, { type: "response.output_text.delta", delta: "more" }, completed));
    const a = check(out);
    expect(a.status).toBe("failed");
    expect(a.error).toEqual({ code: "rate_limited", message: "slow down" });
    expect(a.text).toBe("part");
    expect(datas(out).slice(-2).map((d) => d.type)).toEqual(["error", "response.failed"]);
  });

  test("llama.cpp's chat-style error data ({error: {code: 500, …}}, no type) becomes an error event", () => {
    const a = check(repair(sse(created, { error: { code: 500, message: "slot unavailable", type: "server_error" } } as Json)));
    expect(a.error).toEqual({ code: "500", message: "slot unavailable" });
  });

  test("response.failed without an error gets one; response.incomplete without a reason gets max_output_tokens", () => {
    const failed = check(repair(sse(created, { type: "response.failed", response: { status: "failed" } })));
    expect(failed.response.error).toEqual({ code: "upstream_error", message: "the participant reported a failed response" });
    const cut = check(repair(sse(created, { type: "response.output_text.delta", delta: "x" }, { type: "response.incomplete", response: { status: "incomplete" } })));
    expect(cut.incompleteReason).toBe("max_output_tokens");
    expect(cut.output[0]!.status).toBe("incomplete");
  });

  test("a dropped connection (fail) ends with the hub's error and response.failed", () => {
    const a = check(repair(sse(created, { type: "response.output_text.delta", delta: "x" }), { fail: { message: "upstream stream broke off", code: "upstream_disconnected" } }));
    expect(a.error).toEqual({ code: "upstream_disconnected", message: "upstream stream broke off" });
    expect(a.text).toBe("x");
  });

  test("data that is not JSON fails the response (upstream_invalid_chunk)", () => {
    const a = check(repair(sse(created, "event: response.output_text.delta\ndata: {not json\n\n")));
    expect(a.error?.code).toBe("upstream_invalid_chunk");
  });

  test("a stream that never sent response.created still starts with created and in_progress", () => {
    const out = repair(sse({ type: "response.output_text.delta", delta: "x" }, completed));
    expect(datas(out).slice(0, 2).map((d) => d.type)).toEqual(["response.created", "response.in_progress"]);
    expect(datas(out)[0]!.response.id).toMatch(/^resp_0+1$/);
  });

  test("event types the grammar does not model pass with a sequence number and the repaired item's id", () => {
    const out = repair(sse(created, { type: "response.output_item.added", item: { type: "message" } }, { type: "response.output_text.annotation.added", annotation: { type: "url_citation" } }, completed));
    const ann = datas(out).find((d) => d.type === "response.output_text.annotation.added")!;
    const added = datas(out).find((d) => d.type === "response.output_item.added")!;
    expect(ann).toMatchObject({ item_id: added.item.id, output_index: 0, annotation: { type: "url_citation" } });
    expect(ann.sequence_number).toBe(3);
  });
});

describe("repairInFront (a mapper reading Responses events, with the repair in front when needed)", () => {
  /** A mapper that hands back what it is given, to see what reached it. */
  const echo = () => ({ push: (e: SseEvent) => [e], end: () => [], fail: () => [] });
  const run = (events: SseEvent[]) => {
    const reasons: string[] = [];
    const m = repairInFront(echo(), () => createRepairMapper(request, { newId: () => "1", now: () => NOW }), (r) => reasons.push(r));
    return { out: [...events.flatMap((e) => m.push(e)), ...m.end()], reasons };
  };

  test("a conformant stream reaches the mapper as it is; nothing is reported", () => {
    const src = decodeSse(loadFixtures().find((f) => f.name === "responses/openai-text.sse")!.bytes);
    const { out, reasons } = run(src);
    expect(out).toEqual(src);
    expect(reasons).toEqual([]);
  });

  test("llama.cpp's stream reaches it repaired, reported once", () => {
    const { out, reasons } = run(decodeSse(loadFixtures().find((f) => f.name === "responses/llamacpp-tiny-text.sse")!.bytes));
    checkResponsesStream(out, { strict: true });
    expect(reasons).toEqual(["its stream events lack an output array in response.created and sequence_number"]);
  });
});
