/**
 * The direct Responses ← Messages stream mapper (responses-via-messages/stream.ts) against the
 * chain it replaces (chat-via-messages, then responses-via-chat, through the chat shape): for
 * every recorded Messages stream, and the cases the recordings lack, both must write the same
 * Responses events — names, fields, sequence numbers, items, usage, ends and errors — whole, cut
 * after every event, and with a dropped connection after every event (with and without the
 * relay's code). Generated ids are compared by the order they first appear in (the chain draws
 * one more, for the chat chunks' id, that no Responses event shows).
 */
import { describe, expect, test } from "bun:test";
import { chained } from "../../src/protocol/adapters/chain.ts";
import * as chatViaMessages from "../../src/protocol/adapters/chat-via-messages/index.ts";
import * as responsesViaChat from "../../src/protocol/adapters/responses-via-chat/index.ts";
import { createStreamMapper as direct } from "../../src/protocol/adapters/responses-via-messages/stream.ts";
import { mapResponse as directResponse } from "../../src/protocol/adapters/responses-via-messages/response.ts";
import { mapRequest as directRequest } from "../../src/protocol/adapters/responses-via-messages/request.ts";
import type { GambiError } from "../../src/protocol/openai/errors.ts";
import { prng } from "../helpers/prng.ts";
import * as chainAdapter from "../../src/protocol/adapters/responses-via-messages/index.ts";
import type { StreamFailure, StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { context, decode } from "../helpers/adapter-context.ts";

type Json = Record<string, any>;

const request: Json = { model: "claude", instructions: "Be brief.", input: "hi", stream: true, max_output_tokens: 300 };

function chain(): StreamMapper & { result(): Json | undefined } {
  const ctx = context();
  return chained(
    chatViaMessages.createStreamMapper({ model: request.model, stream: true, stream_options: { include_usage: true } }, ctx, { reasoningDetails: true }),
    responsesViaChat.createStreamMapper(request, ctx, { responseId: "resp_1", reasoningDetails: true }),
  );
}

const directMapper = () => direct(request, context(), { responseId: "resp_1" });

/** The events as text with every generated id (`id7` in `msg_id7`, `call_id9`, …) renamed by the order it first appears in. */
function normalized(events: SseEvent[], result: Json | undefined): string {
  const names = new Map<string, string>();
  const text = JSON.stringify({ events, result });
  return text.replace(/\bid\d+\b|(?<=_)id\d+\b/g, (id) => {
    if (!names.has(id)) names.set(id, `ID${names.size + 1}`);
    return names.get(id)!;
  });
}

type Ending = "end" | StreamFailure;

function run(make: () => StreamMapper & { result(): Json | undefined }, events: SseEvent[], ending: Ending): string {
  const mapper = make();
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(ending === "end" ? mapper.end() : mapper.fail(ending)));
  return normalized(out, mapper.result());
}

const ev = (type: string, data: Json): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
const start = ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], usage: { input_tokens: 5, cache_read_input_tokens: 2, output_tokens: 1 } } });
const stop = (reason: string) => [ev("message_delta", { delta: { stop_reason: reason }, usage: { output_tokens: 9 } }), ev("message_stop", {})];
const block = (index: number, content_block: Json) => ev("content_block_start", { index, content_block });
const delta = (index: number, d: Json) => ev("content_block_delta", { index, delta: d });
const blockStop = (index: number) => ev("content_block_stop", { index });

/** What the recordings lack. */
const synthetic: Record<string, SseEvent[]> = {
  "error mid-stream": [start, block(0, { type: "text", text: "" }), delta(0, { type: "text_delta", text: "Hel" }), ev("error", { error: { type: "overloaded_error", message: "Overloaded" } })],
  "an error event without a type": [start, { event: "error", data: '{"message":"bad"}' }],
  "data that is not JSON": [start, block(0, { type: "text", text: "a" }), { event: "content_block_delta", data: "{nope" }],
  "JSON that is no object": [start, { data: "[1,2]" }],
  "no message_start, ping first": [ev("ping", {}), block(0, { type: "text", text: "hi" }), blockStop(0), ...stop("end_turn")],
  "message_delta then the body ends": [start, block(0, { type: "text", text: "x" }), blockStop(0), stop("end_turn")[0]!],
  "tool input whole at the start, a nameless tool, text after tools": [
    start,
    block(0, { type: "tool_use", id: "t1", name: "f", input: { a: 1 } }),
    blockStop(0),
    block(1, { type: "tool_use", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"b":' }),
    delta(1, { type: "input_json_delta", partial_json: "2}" }),
    blockStop(1),
    block(2, { type: "text", text: "after" }),
    blockStop(2),
    ...stop("tool_use"),
  ],
  "interleaved tool arguments": [
    start,
    block(0, { type: "tool_use", id: "t1", name: "f", input: {} }),
    block(1, { type: "tool_use", id: "t2", name: "g", input: {} }),
    delta(0, { type: "input_json_delta", partial_json: "{}" }),
    ...stop("tool_use"),
  ],
  "server tool blocks and citations skipped": [
    start,
    block(0, { type: "server_tool_use", id: "srv", name: "web_search", input: {} }),
    delta(0, { type: "input_json_delta", partial_json: '{"q":1}' }),
    delta(0, { type: "text_delta", text: "never" }),
    blockStop(0),
    block(1, { type: "text", text: "" }),
    delta(1, { type: "citations_delta", citation: {} }),
    delta(1, { type: "text_delta", text: "ok" }),
    delta(7, { type: "text_delta", text: "unknown index" }),
    blockStop(1),
    ...stop("pause_turn"),
  ],
  "two signed thinking blocks in a row": [
    start,
    block(0, { type: "thinking", thinking: "", signature: "" }),
    delta(0, { type: "thinking_delta", thinking: "one" }),
    delta(0, { type: "signature_delta", signature: "s1" }),
    blockStop(0),
    block(1, { type: "thinking", thinking: "", signature: "" }),
    delta(1, { type: "thinking_delta", thinking: "two" }),
    delta(1, { type: "signature_delta", signature: "s2" }),
    blockStop(1),
    ...stop("end_turn"),
  ],
  refusal: [start, block(0, { type: "text", text: "no" }), blockStop(0), ...stop("refusal")],
  "context window exceeded": [start, block(0, { type: "text", text: "cut" }), ...stop("model_context_window_exceeded")],
  "[DONE] and empty data": [start, { data: "[DONE]" }, { data: "  " }, ...stop("end_turn")],
  "nothing at all": [],
};

/**
 * Where they differ, on purpose: the chain saw thinking as one run of `reasoning_content`, so two
 * blocks in a row without a signature between them (never from Anthropic, whose blocks are all
 * signed) became one reasoning item, and a signature went on whatever unsigned item was still
 * open. The direct mapper sees the blocks: one item each, each with its own signature.
 */
const unsignedThenSigned: SseEvent[] = [
  start,
  block(0, { type: "thinking", thinking: "", signature: "" }),
  delta(0, { type: "thinking_delta", thinking: "first" }),
  blockStop(0),
  block(1, { type: "thinking", thinking: "", signature: "" }),
  delta(1, { type: "signature_delta", signature: "sig" }),
  delta(1, { type: "signature_delta", signature: "nature" }),
  blockStop(1),
  block(2, { type: "redacted_thinking", data: "" }),
  blockStop(2),
  block(3, { type: "thinking", thinking: "whole", signature: "s2" }),
  blockStop(3),
  block(4, { type: "text", text: "" }),
  delta(4, { type: "text_delta", text: "done" }),
  blockStop(4),
  ...stop("end_turn"),
  ];

const cases: [string, SseEvent[]][] = [
  ...loadFixtures(["messages"])
    .filter((f) => f.stream)
    .map((f): [string, SseEvent[]] => [f.name, decode(f.bytes)]),
  ...Object.entries(synthetic),
];

const failures: StreamFailure[] = [
  { message: "the connection dropped", code: "upstream_disconnected", type: "upstream_error" },
  { message: "gone", type: "api_error" },
  { message: "gone" },
];

describe("the direct mapper writes what the chain wrote", () => {
  test("there are recordings to replay", () => expect(cases.length).toBeGreaterThan(20));
  for (const [name, events] of cases) {
    test(name, () => {
      expect(run(directMapper, events, "end")).toBe(run(chain, events, "end"));
      for (let k = 0; k <= events.length; k++) {
        const head = events.slice(0, k);
        expect(run(directMapper, head, "end")).toBe(run(chain, head, "end"));
        for (const f of failures) expect(run(directMapper, head, f)).toBe(run(chain, head, f));
      }
    });
  }
});

describe("where the direct mapper differs: each thinking block is an item of its own", () => {
  const items = (make: () => StreamMapper & { result(): Json | undefined }) => {
    const mapper = make();
    for (const e of unsignedThenSigned) mapper.push(e);
    mapper.end();
    return (mapper.result()!.output as Json[]).map((i) => (i.type === "reasoning" ? { text: i.content.map((p: Json) => p.text).join(""), enc: i.encrypted_content } : { message: i.content[0].text }));
  };
  test("the chain merged an unsigned block with the next one's signature; the direct mapper keeps them apart", () => {
    expect(items(chain)).toEqual([{ text: "first", enc: "anthropic.thinking:signature" }, { text: "whole", enc: "anthropic.thinking:s2" }, { message: "done" }]);
    expect(items(directMapper)).toEqual([
      { text: "first", enc: undefined },
      { text: "", enc: "anthropic.thinking:signature" },
      { text: "whole", enc: "anthropic.thinking:s2" },
      { message: "done" },
    ]);
  });
});

describe("the direct answer mapper gives what the chain gave, and what the stream gives", () => {
  const chainResponse = (msg: Json) => {
    const ctx = context();
    const chat = chatViaMessages.mapResponse(msg, { model: request.model, stream: false, stream_options: { include_usage: true } }, ctx, { reasoningDetails: true });
    return responsesViaChat.mapResponse(chat, request, ctx, { responseId: "resp_1", reasoningDetails: true });
  };
  const bodies = loadFixtures(["messages"]).filter((f) => !f.stream && fixtureStatus(f.name) === 200);
  test("there are bodies", () => expect(bodies.length).toBeGreaterThan(5));
  for (const f of bodies) {
    test(f.name, () => {
      const msg = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      expect(normalized([], directResponse(msg, request, context(), { responseId: "resp_1" }))).toBe(normalized([], chainResponse(msg)));
      for (const stop_reason of ["max_tokens", "refusal"]) {
        expect(normalized([], directResponse({ ...msg, stop_reason }, request, context(), { responseId: "resp_1" }))).toBe(normalized([], chainResponse({ ...msg, stop_reason })));
      }
    });
  }

  // Every recorded stream assembled into the message it is: the same Response either way (the
  // arguments compared as JSON: a stream's are the participant's text, a body's its input object).
  const sameArguments = (r: Json | undefined) => ({ ...r, output: (r?.output as Json[]).map((i) => (i.type === "function_call" ? { ...i, arguments: JSON.stringify(JSON.parse(i.arguments)) } : i)) });
  for (const f of loadFixtures(["messages"]).filter((x) => x.stream)) {
    const name = f.name;
    const events = decode(f.bytes);
    test(`${name}: mapResponse of the assembled message = the stream's result()`, () => {
      const m = checkMessagesStream(events, { strict: false });
      const msg = { type: "message", content: m.content, stop_reason: m.stopReason, usage: m.usage };
      const mapper = directMapper();
      for (const e of events) mapper.push(e);
      mapper.end();
      expect(normalized([], sameArguments(directResponse(msg, request, context(), { responseId: "resp_1" })))).toBe(normalized([], sameArguments(mapper.result())));
    });
  }
});

describe("the direct request mapper sends what the chain sent", () => {
  // The chain's request mapper as index.ts has it (its own 400s, then responses-via-chat and chat-via-messages).
  const chainRequest = (body: Json, history: Json[] = []) => chainAdapter.mapRequest(body, { history });
  const outcome = (f: () => Json): Json => {
    try {
      return { body: thinkingFirst(f()) };
    } catch (e) {
      const err = e as GambiError;
      return { status: err.status, code: err.code, param: err.param };
    }
  };
  /**
   * The one difference by design: the chain put every thinking block of an assistant turn first,
   * the direct mapper keeps them where their items were (between a message and its calls too).
   * Compared with each turn's thinking blocks moved first, stably.
   */
  const thinkingFirst = (req: Json): Json => ({
    ...req,
    messages: (req.messages as Json[]).map((m) => {
      if (m.role !== "assistant" || !Array.isArray(m.content)) return m;
      const thought = (b: Json) => b.type === "thinking" || b.type === "redacted_thinking";
      return { ...m, content: [...m.content.filter(thought), ...m.content.filter((b: Json) => !thought(b))] };
    }),
  });

  test("every recording's answer, sent back as the next turn's history and as its input", () => {
    for (const f of loadFixtures(["messages"]).filter((x) => x.stream)) {
      const mapper = directMapper();
      for (const e of decode(f.bytes)) mapper.push(e);
      mapper.end();
      const turn = [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }, ...(mapper.result()!.output as Json[])];
      const outputs = turn.filter((i) => i.type === "function_call").map((c) => ({ type: "function_call_output", call_id: c.call_id, output: "42" }));
      for (const [body, history] of [
        [{ model: "claude", input: "more", instructions: "Be brief." }, turn],
        [{ model: "claude", input: [...turn, ...outputs, { role: "user", content: "more" }], store: false }, []],
      ] as [Json, Json[]][]) {
        expect({ name: f.name, ...outcome(() => directRequest(body, { history })) }).toEqual({ name: f.name, ...outcome(() => chainRequest(body, history)) });
      }
    }
  });

  // Conversations drawn at random (seeded: a failure names its seed): every item kind the two
  // share, in any order, with what the chain could carry (no images in tool outputs, no files,
  // system messages first, no empty assistant messages: the direct mapper does better there,
  // tested on its own).
  const item = (rnd: () => number, i: number): Json => {
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const text = () => pick(["", "a", "bé", "ok"]);
    switch (pick(["user", "user", "assistant", "assistant", "call", "call", "output", "reasoning", "reasoning"])) {
      case "user":
        return pick([
          { role: "user", content: text() },
          { type: "message", role: "user", content: [{ type: "input_text", text: text() }] },
          { type: "message", role: "user", content: [{ type: "input_text", text: "see" }, { type: "input_image", image_url: pick(["https://x/y.png", "data:image/png;base64,AAAA"]), detail: "low" }] },
          { role: "user", content: [{ type: "refusal", refusal: "no" }, { type: "input_text", text: "why" }] },
        ]);
      case "assistant":
        return pick([
          { role: "assistant", content: pick(["hi", "yes"]) },
          { type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "t", annotations: [] }, { type: "output_text", text: pick(["", "u"]) }] },
          { type: "message", role: "assistant", content: [{ type: "refusal", refusal: "I can't" }] },
        ]);
      case "call":
        return { type: "function_call", id: `fc_${i}`, call_id: `call_${i}`, name: pick(["f", "g"]), arguments: pick(['{"a":1}', "", "{}", '{"b":[1,2]}']) };
      case "output":
        return { type: "function_call_output", call_id: `call_${i - 1}`, output: pick(["42", "", [{ type: "input_text", text: "x" }], [{ type: "input_text", text: "x" }, { type: "output_text", text: "y" }]]) };
      default:
        return pick([
          { type: "reasoning", id: `rs_${i}`, summary: [], content: [{ type: "reasoning_text", text: "think" }], encrypted_content: "anthropic.thinking:sig" + i },
          { type: "reasoning", id: `rs_${i}`, summary: [], content: [], encrypted_content: "anthropic.redacted_thinking:data" + i },
          { type: "reasoning", id: `rs_${i}`, summary: [{ type: "summary_text", text: "s" }], encrypted_content: "gAAAA-openai" },
          { type: "reasoning", id: `rs_${i}`, summary: [], content: [{ type: "reasoning_text", text: "unsigned" }] },
        ]);
    }
  };

  test("600 random conversations, split between the stored history and the input", () => {
    for (let seed = 1; seed <= 600; seed++) {
      const rnd = prng(seed);
      const items = Array.from({ length: 1 + Math.floor(rnd() * 9) }, (_, i) => item(rnd, i));
      const system = rnd() < 0.5 ? [{ role: pick2(rnd, ["system", "developer"]), content: pick2(rnd, ["rules", [{ type: "input_text", text: "a" }, { type: "input_text", text: "b" }]]) }] : [];
      const all = [...system, ...items];
      const cut = Math.floor(rnd() * (all.length + 1));
      const body: Json = { model: "claude", input: all.slice(cut), ...(rnd() < 0.5 ? { instructions: "Be brief." } : {}), max_output_tokens: 500, ...(rnd() < 0.3 ? { reasoning: { effort: "low" } } : {}) };
      const history = all.slice(0, cut);
      expect({ seed, ...outcome(() => directRequest(body, { history })) }).toEqual({ seed, ...outcome(() => chainRequest(body, history)) });
    }
  });

  test("the unit tests' requests, and every rejection", () => {
    const full: Json = {
      model: "claude",
      instructions: "Be brief.",
      input: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", name: "f", parameters: { type: "object", properties: {} } }, { type: "function", name: "g", description: "d", strict: true }],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_output_tokens: 9000,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["X"],
      user: "u",
      reasoning: { effort: "low" },
      text: { format: { type: "json_schema", name: "o", schema: { type: "object" } }, verbosity: "low" },
      stream: true,
      store: true,
      metadata: { a: "b" },
    };
    const bodies: Json[] = [
      full,
      { ...full, tool_choice: { type: "function", name: "g" } },
      { ...full, tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }] } },
      { ...full, tool_choice: "none", parallel_tool_calls: true, reasoning: { effort: "none" } },
      { ...full, max_output_tokens: undefined, reasoning: { effort: "high" } },
      { model: "m", input: "x", top_logprobs: 2 },
      { model: "m", input: "x", include: ["message.output_text.logprobs"] },
      { model: "m", input: "x", text: { format: { type: "json_object" } } },
      { model: "m", input: "x", background: true },
      { model: "m", input: "x", presence_penalty: 1 },
      { model: "m", input: "x", tools: [{ type: "web_search" }] },
      { model: "m", input: "x", tool_choice: "required" },
      { model: "m", input: [{ type: "input_file", file_id: "f" }] },
      { model: "m", input: [{ role: "critic", content: "x" }] },
      { model: "m", input: [{ type: "item_reference", id: "nope" }] },
      { model: "m", input: [] },
      { model: "m", instructions: "only" },
      { model: "m", input: [{ role: "system", content: [{ type: "input_image", image_url: "https://x" }] }, { role: "user", content: "x" }] },
      { model: "m", input: [{ role: "user", content: [{ type: "input_image", file_id: "f" }] }] },
      { model: "m", input: [{ role: "user", content: [{ type: "input_audio" }] }] },
      { model: "m", input: [{ type: "web_search_call", id: "ws" }] },
    ];
    for (const body of bodies) expect({ body, ...outcome(() => directRequest(body)) }).toEqual({ body, ...outcome(() => chainRequest(body)) });
  });
});

function pick2<T>(rnd: () => number, xs: T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}
