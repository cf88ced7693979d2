/**
 * messages-via-responses (a Messages client, a Responses participant, mapped directly): every
 * recorded Responses stream becomes a strict Messages stream carrying what the recording carries
 * (text, each reasoning item's thinking, calls, stop reason, usage with cached tokens, errors) —
 * whole, a few bytes at a time, cut after every event (the end of the body) and dropped after
 * every event (`fail`); seeded random streams keep the grammar the same ways; a stream and its
 * terminal Response as a body give the same message; and what the chat shape lost: one thinking
 * block per reasoning item, its encrypted reasoning as the signature.
 */
import { describe, expect, test } from "bun:test";
import { createStreamMapper, mapResponse } from "../../src/protocol/adapters/messages-via-responses/index.ts";
import { createRepairMapper } from "../../src/protocol/openai/responses-repair/stream.ts";
import { streamRepairReason } from "../../src/protocol/openai/responses-repair/detect.ts";
import { signatureOfReasoning } from "../../src/protocol/anthropic/thinking.ts";
import type { StreamFailure } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream, type AssembledMessage } from "../helpers/messages-stream-check.ts";
import { assembleResponses } from "../helpers/responses-stream-check.ts";
import { prng } from "../helpers/prng.ts";
import { randomResponsesStream } from "../helpers/random-responses-stream.ts";

type Json = Record<string, any>;

const request: Json = { model: "m", max_tokens: 300, messages: [{ role: "user", content: "hi" }], stream: true };

function run(events: SseEvent[], ending: "end" | StreamFailure = "end", req: Json = request): SseEvent[] {
  const mapper = createStreamMapper(req, context());
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(ending === "end" ? mapper.end() : mapper.fail(ending)));
  expect(mapper.end()).toEqual([]); // nothing after the end
  return out;
}

const blocks = (m: AssembledMessage, type: string) => m.content.filter((b) => b.type === type);
const textOf = (m: AssembledMessage) => blocks(m, "text").map((b) => b.text).join("");
const withoutIds = (events: SseEvent[]) => events.map((e) => e.data.replace(/"id":"(msg|toolu)_[^"]*"/g, ""));

const recordings = loadFixtures(["responses"]).filter((f) => f.stream);

/** A recording as the adapter gets it from the hub: through the repairing pass when it needs one (llama.cpp's, proxy/relay-repaired.ts). */
function asRelayed(events: SseEvent[]): SseEvent[] {
  const first = events.find((e) => e.data.trim() !== "");
  if (!first || !streamRepairReason(first)) return events;
  const repair = createRepairMapper({ model: "m" }, context());
  return [...events.flatMap((e) => repair.push(e)), ...repair.end()];
}

describe("every recorded Responses stream, mapped to Messages", () => {
  test("there are recordings to replay", () => expect(recordings.length).toBeGreaterThan(8));
  for (const f of recordings) {
    test(`${f.name}: strict grammar, and what the recording carries`, () => {
      const events = asRelayed(decode(f.bytes));
      const source = assembleResponses(events);
      checkMessagesStream(run(decode(f.bytes))); // as recorded, unrepaired, too
      const m = checkMessagesStream(run(events));
      if (source.error) {
        expect(m.error?.message).toContain(source.error.message);
        expect(m.error?.message).toContain(`(code: ${source.error.code})`);
        return;
      }
      expect(m.error).toBeUndefined();
      expect(textOf(m)).toBe(source.text + source.refusal);
      // Each reasoning item its own block, its parts joined with a blank line.
      const reasoning = source.output.filter((i) => i.type === "reasoning");
      const thoughts = reasoning.map((i) => [...(i.content ?? []), ...(i.summary ?? [])].map((p: Json) => p.text).filter((t: string) => t !== "").join("\n\n")).filter((t, k) => t !== "" || reasoning[k]!.encrypted_content);
      expect(blocks(m, "thinking").map((b) => b.thinking)).toEqual(thoughts);
      expect(blocks(m, "tool_use").map((b) => [b.id, b.name, b.input])).toEqual(source.toolCalls.map((c) => [c.callId, c.name, JSON.parse(c.arguments || "{}")]));
      const stop = source.status === "incomplete" ? "max_tokens" : source.toolCalls.length > 0 ? "tool_use" : "end_turn";
      expect(m.stopReason).toBe(stop);
      if (source.usage) {
        expect(m.usage).toMatchObject({ input_tokens: source.usage.input - (source.usage.cached ?? 0), cache_read_input_tokens: source.usage.cached ?? 0, output_tokens: source.usage.output });
      }
    });
    test(`${f.name}: the same events when the bytes come a few at a time`, () => {
      expect(withoutIds(run(decode(f.bytes, 7)))).toEqual(withoutIds(run(decode(f.bytes))));
    });
    test(`${f.name}: cut, or dropped, after every event: still the grammar, with an error unless it had ended`, () => {
      const events = decode(f.bytes);
      const ended = (k: number) => events.slice(0, k).some((e) => /"type":"response\.(completed|incomplete|failed)"|"type":"error"/.test(e.data));
      for (let k = 0; k <= events.length; k++) {
        const cut = checkMessagesStream(run(events.slice(0, k)));
        if (!ended(k)) expect(cut.error?.message).toContain("(code: upstream_truncated)");
        const dropped = checkMessagesStream(run(events.slice(0, k), { message: "the connection broke", code: "upstream_disconnected", type: "upstream_error" }));
        if (!ended(k)) expect(dropped.error).toEqual({ type: "api_error", message: "the connection broke (code: upstream_disconnected)" });
      }
    });
  }
});

describe("a stream and its terminal Response as a body: the same message", () => {
  for (const f of recordings) {
    const events = decode(f.bytes);
    const terminal = events.map((e) => (e.data.startsWith("{") ? (JSON.parse(e.data) as Json) : {})).find((d) => d.type === "response.completed" || d.type === "response.incomplete");
    if (!terminal) continue;
    test(f.name, () => {
      const m = checkMessagesStream(run(events));
      const body = mapResponse(terminal.response, { ...request, stream: false }, context());
      // OpenAI changes a reasoning item's encrypted_content between its events and the terminal Response: any of them is its reasoning.
      const plain = (content: Json[]) => content.map((b) => (b.type === "tool_use" ? { ...b, id: "" } : b.type === "thinking" ? { ...b, signature: b.signature.startsWith("responses.reasoning:m:gAAAA") } : b));
      expect(plain(body.content as Json[])).toEqual(plain(m.content));
      expect([body.stop_reason, body.stop_sequence, body.usage]).toEqual([m.stopReason, m.stopSequence, m.usage]);
      expect(Object.keys(body)).toEqual(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]);
    });
  }
});

describe("seeded random streams: the grammar, whole, cut and dropped after every event", () => {
  test("1,000 streams", () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const events = randomResponsesStream(prng(seed));
      try {
        for (let k = 0; k <= events.length; k++) {
          // Not strict: some streams' arguments are not JSON, and the model's fragments are passed on as they are.
          checkMessagesStream(run(events.slice(0, k)), { strict: false });
          checkMessagesStream(run(events.slice(0, k), { message: "gone" }), { strict: false });
        }
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });
});

const ev = (type: string, data: Json): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
const created = ev("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } });
const completed = (output: Json[] = [], usage: Json = { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, total_tokens: 15 }) => ev("response.completed", { response: { id: "resp_1", status: "completed", output, usage } });
const summary = (index: number, summaryIndex: number, text: string) => ev("response.reasoning_summary_text.delta", { output_index: index, item_id: `rs_${index}`, summary_index: summaryIndex, delta: text });
const reasoningDone = (index: number, encrypted?: string) => ev("response.output_item.done", { output_index: index, item: { id: `rs_${index}`, type: "reasoning", summary: [], ...(encrypted ? { encrypted_content: encrypted } : {}) } });

describe("thinking: one block per reasoning item, its encrypted reasoning as the signature (the chat shape had neither)", () => {
  test("two items in a row: two blocks; two parts of one item: one block, a blank line between", () => {
    const m = checkMessagesStream(run([created, summary(0, 0, "first"), summary(0, 1, "second"), reasoningDone(0, "gAAA-0"), summary(1, 0, "other"), reasoningDone(1), completed()]));
    expect(m.content).toEqual([
      { type: "thinking", thinking: "first\n\nsecond", signature: signatureOfReasoning({ model: "m" }, "gAAA-0") },
      { type: "thinking", thinking: "other", signature: "" },
    ]);
  });
  test("an item with encrypted reasoning and no text: a thinking block with no text, signed", () => {
    const item = { id: "rs_0", type: "reasoning", summary: [], encrypted_content: "gAAA-only" };
    const m = checkMessagesStream(run([created, ev("response.output_item.added", { output_index: 0, item: { ...item, encrypted_content: "gAAA-early" } }), reasoningDone(0, "gAAA-only"), completed([item])]));
    expect(m.content).toEqual([{ type: "thinking", thinking: "", signature: signatureOfReasoning({ model: "m" }, "gAAA-only") }]);
    // The same as a body.
    expect(mapResponse({ status: "completed", output: [item] }, request, context()).content).toEqual(m.content);
  });
  test("OpenAI's recording: the signature is the item's final encrypted_content (it changes between events), for the model that was asked", () => {
    const f = recordings.find((x) => x.name === "responses/openai-reasoning-summary-function-call.sse")!;
    const events = decode(f.bytes);
    const done = events.map((e) => JSON.parse(e.data) as Json).find((d) => d.type === "response.output_item.done" && d.item.type === "reasoning")!;
    const m = checkMessagesStream(run(events, "end", { ...request, model: "gpt-5" }));
    expect(blocks(m, "thinking").map((b) => b.signature)).toEqual([signatureOfReasoning({ model: "gpt-5" }, done.item.encrypted_content)]);
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "tool_use"]);
  });
  test("the participant the hub named is in the signature, streamed and not", () => {
    const item = { id: "rs_0", type: "reasoning", summary: [], encrypted_content: "gAAA-p" };
    const ctx = { ...context(), participant: "alice-laptop" };
    const mapper = createStreamMapper(request, ctx);
    const out = [created, reasoningDone(0, "gAAA-p"), completed([item])].flatMap((e) => mapper.push(e)).concat(mapper.end());
    const signed = { type: "thinking", thinking: "", signature: "responses.reasoning:alice-laptop:m:gAAA-p" };
    expect(checkMessagesStream(out).content).toEqual([signed]);
    expect(mapResponse({ status: "completed", output: [item] }, request, ctx).content).toEqual([signed]);
  });
});

describe("what the chat shape carried, as before", () => {
  test("a refusal: text, stop reason refusal; incomplete: max_tokens, or refusal for content_filter", () => {
    const refusal = [created, ev("response.refusal.delta", { output_index: 0, item_id: "msg_1", content_index: 0, delta: "No." }), completed()];
    expect(checkMessagesStream(run(refusal))).toMatchObject({ stopReason: "refusal", content: [{ type: "text", text: "No." }] });
    const incomplete = (reason: string) => [created, ev("response.output_text.delta", { output_index: 0, item_id: "msg_1", content_index: 0, delta: "cut" }), ev("response.incomplete", { response: { status: "incomplete", incomplete_details: { reason }, output: [] } })];
    expect(checkMessagesStream(run(incomplete("max_output_tokens"))).stopReason).toBe("max_tokens");
    expect(checkMessagesStream(run(incomplete("content_filter"))).stopReason).toBe("refusal");
  });
  test("usage: input less the cached tokens, the cached ones as cache reads; zeros when the participant reports none", () => {
    expect(checkMessagesStream(run([created, completed()])).usage).toEqual({ input_tokens: 6, cache_creation_input_tokens: 0, cache_read_input_tokens: 4, output_tokens: 5 });
    expect(checkMessagesStream(run([created, ev("response.completed", { response: { status: "completed", output: [] } })])).usage).toEqual({ input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 });
  });
  test("arguments of a call continued after the next call began: the stream ends with upstream_protocol_error", () => {
    const call = (index: number) => ev("response.output_item.added", { output_index: index, item: { id: `fc_${index}`, type: "function_call", call_id: `call_${index}`, name: "f", arguments: "" } });
    const args = (index: number, delta: string) => ev("response.function_call_arguments.delta", { output_index: index, item_id: `fc_${index}`, delta });
    const m = checkMessagesStream(run([created, call(0), args(0, "{"), call(1), args(0, "}"), completed()]), { strict: false });
    expect(m.error?.message).toContain("(code: upstream_protocol_error)");
  });
  test("an error event: its code picks the type and ends the message; nothing follows", () => {
    const out = run([created, ev("error", { code: "insufficient_quota", message: "You exceeded your current quota" }), completed()]);
    expect(checkMessagesStream(out).error).toEqual({ type: "rate_limit_error", message: "You exceeded your current quota (code: insufficient_quota)" });
    expect(out.at(-1)!.event).toBe("error");
  });
  test("no event at all: still message_start, then the error (never a 200 with an empty body)", () => {
    expect(run([]).map((e) => e.event)).toEqual(["message_start", "error"]);
  });
});
