/**
 * The direct Messages ← Responses mappers (messages-via-responses/request.ts, response.ts,
 * stream.ts) against the chain they replace (messages-via-chat and chat-via-responses through the
 * chat shape, messages-via-responses/index.ts): for every recorded Responses stream and seeded
 * random ones, both must write the same Messages events — names, blocks, deltas, stop reasons,
 * usage, errors — whole, cut after every event, and with a dropped connection after every event;
 * every recorded body and random ones give the same message; recorded answers sent back as the
 * next turn, random requests and every rejection give the same upstream body or the same 400.
 * Generated ids are compared by the order they first appear in (the chain draws one more, for
 * the chat chunks' id, that no Messages event shows).
 *
 * Where the direct mappers differ on purpose, the direct side is brought to the chain's shape
 * before comparing (and the difference is tested on its own): thinking is one block per
 * reasoning item, with the participant's encrypted reasoning as its signature (the chain made one
 * block of a run of items, blank lines between, and signed nothing); a body's blocks come in
 * its items' order (the chain put the thinking first, the refusal after the text); thinking
 * blocks carrying the participant's reasoning go back as reasoning items where they were (the
 * chain dropped them).
 */
import { describe, expect, test } from "bun:test";
import * as chain from "../../src/protocol/adapters/messages-via-responses/index.ts";
import { mapRequest as directRequest } from "../../src/protocol/adapters/messages-via-responses/request.ts";
import { mapResponse as directResponse } from "../../src/protocol/adapters/messages-via-responses/response.ts";
import { createStreamMapper as directStream } from "../../src/protocol/adapters/messages-via-responses/stream.ts";
import type { StreamFailure, StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { GambiError } from "../../src/protocol/openai/errors.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { fixtureStatus, loadFixtures } from "../helpers/fixtures.ts";
import { checkMessagesStream } from "../helpers/messages-stream-check.ts";
import { prng } from "../helpers/prng.ts";
import { randomMessagesRequest } from "../helpers/random-messages-request.ts";
import { randomResponsesStream } from "../helpers/random-responses-stream.ts";

type Json = Record<string, any>;

const request: Json = { model: "m", max_tokens: 300, messages: [{ role: "user", content: "hi" }], stream: true };

/** Every generated id (`id7` in `msg_id7`, `toolu_id9`, …) renamed by the order it first appears in. */
function normalizedIds(value: unknown): string {
  const names = new Map<string, string>();
  return JSON.stringify(value).replace(/\bid\d+\b|(?<=_)id\d+\b/g, (id) => {
    if (!names.has(id)) names.set(id, `ID${names.size + 1}`);
    return names.get(id)!;
  });
}

/**
 * The direct stream in the chain's shape: signatures dropped (a block of a signature alone with
 * it), every thinking block after the first one opening with a blank line, and thinking blocks
 * in a row made one; block indexes counted again.
 */
function chainShape(events: SseEvent[]): Json[] {
  const parsed = events.map((e) => ({ event: e.event, data: JSON.parse(e.data) as Json }));
  // Blocks: which indexes are thinking, and which of them carry text.
  const thinking = new Set<number>();
  const texted = new Set<number>();
  for (const { data } of parsed) {
    if (data.type === "content_block_start" && data.content_block.type === "thinking") thinking.add(data.index);
    if (data.type === "content_block_delta" && data.delta.type === "thinking_delta") texted.add(data.index);
  }
  const out: Json[] = [];
  let next = 0;
  const renumber = new Map<number, number>();
  let seenThinking = false;
  let lastWasThinkingStop = false;
  let firstDeltaOf: number | undefined;
  for (const { event, data } of parsed) {
    const index = data.index as number | undefined;
    if (index !== undefined && thinking.has(index) && !texted.has(index)) continue; // a signature alone
    if (data.type === "content_block_delta" && data.delta.type === "signature_delta") continue;
    if (data.type === "content_block_start") {
      if (thinking.has(index!) && lastWasThinkingStop) {
        // Merged into the block before: its stop goes, this start too.
        out.pop();
        renumber.set(index!, next - 1);
        firstDeltaOf = index;
        lastWasThinkingStop = false;
        continue;
      }
      renumber.set(index!, next++);
      if (thinking.has(index!)) {
        if (seenThinking) firstDeltaOf = index;
        seenThinking = true;
      }
    }
    lastWasThinkingStop = data.type === "content_block_stop" && thinking.has(index!);
    const copy = structuredClone(data);
    if (index !== undefined) copy.index = renumber.get(index);
    if (data.type === "content_block_delta" && firstDeltaOf === index) {
      copy.delta.thinking = `\n\n${copy.delta.thinking}`;
      firstDeltaOf = undefined;
    }
    out.push({ event, data: copy });
  }
  return out;
}

type Ending = "end" | StreamFailure;

function run(make: () => StreamMapper, events: SseEvent[], ending: Ending): SseEvent[] {
  const mapper = make();
  const out = events.flatMap((e) => mapper.push(e));
  out.push(...(ending === "end" ? mapper.end() : mapper.fail(ending)));
  out.push(...mapper.end()); // nothing more after the end
  return out;
}

const viaChain = (events: SseEvent[], ending: Ending) => normalizedIds(run(() => chain.createStreamMapper(request, context()), events, ending).map((e) => ({ event: e.event, data: JSON.parse(e.data) })));
const viaDirect = (events: SseEvent[], ending: Ending) => normalizedIds(chainShape(run(() => directStream(request, context()), events, ending)));

const failures: StreamFailure[] = [
  { message: "the connection dropped", code: "upstream_disconnected", type: "upstream_error" },
  { message: "gone", type: "api_error" },
  { message: "gone" },
];

function sameEverywhere(events: SseEvent[]): void {
  expect(viaDirect(events, "end")).toBe(viaChain(events, "end"));
  for (let k = 0; k <= events.length; k++) {
    const head = events.slice(0, k);
    expect(viaDirect(head, "end")).toBe(viaChain(head, "end"));
    for (const f of failures) expect(viaDirect(head, f)).toBe(viaChain(head, f));
  }
}

const recordings = loadFixtures(["responses"]).filter((f) => f.stream);

describe("the direct stream mapper writes what the chain wrote", () => {
  test("there are recordings to replay", () => expect(recordings.length).toBeGreaterThan(8));
  for (const f of recordings) test(f.name, () => sameEverywhere(decode(f.bytes)));
  // Without encrypted reasoning: a signature alone (no text) is a block of its own, which may
  // close a block the chain left open until an error; the signatures are tested on their own.
  test("1,000 random streams (seeded), without encrypted reasoning", () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const events = randomResponsesStream(prng(seed)).map((e) => ({ ...e, data: e.data.replace(/"encrypted_content":"[^"]*",?/g, "") }));
      try {
        sameEverywhere(events);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });
  test("and what it writes is the Messages grammar, whole, cut and dropped", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const events = randomResponsesStream(prng(seed));
      for (let k = 0; k <= events.length; k++) {
        // Not strict: some streams' arguments are not JSON, and the model's fragments are passed on as they are.
        checkMessagesStream(run(() => directStream(request, context()), events.slice(0, k), "end"), { strict: false });
        checkMessagesStream(run(() => directStream(request, context()), events.slice(0, k), failures[0]!), { strict: false });
      }
    }
  });
});

describe("the direct answer mapper gives what the chain gave", () => {
  const outcome = (f: () => Json): Json => {
    try {
      return { answer: f() };
    } catch (e) {
      const err = e as GambiError;
      return { status: err.status, code: err.code, message: err.message };
    }
  };
  /** A message in the chain's shape: one thinking block first (texts joined with a blank line, unsigned), the text, the calls. */
  const chainMessage = (r: Json): Json => {
    if (!r.answer) return r;
    const m = r.answer as Json;
    const of = (type: string) => (m.content as Json[]).filter((b) => b.type === type);
    const thinking = of("thinking").map((b) => b.thinking).filter((t: string) => t !== "").join("\n\n");
    const text = of("text").map((b) => b.text).join("");
    return { ...m, content: [thinking, text, of("tool_use")] };
  };
  const same = (body: Json) => {
    const direct = outcome(() => directResponse(structuredClone(body), request, context()));
    const viaChainBody = outcome(() => chain.mapResponse(structuredClone(body), request, context()));
    expect(normalizedIds(chainMessage(direct))).toBe(normalizedIds(chainMessage(viaChainBody)));
  };
  const bodies = loadFixtures(["responses"]).filter((f) => !f.stream);
  test("there are bodies", () => expect(bodies.length).toBeGreaterThan(5));
  for (const f of bodies) {
    test(`${f.name} (${fixtureStatus(f.name)})`, () => {
      const body = JSON.parse(new TextDecoder().decode(f.bytes)) as Json;
      same(body);
      same({ ...body, status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
      same({ ...body, status: "incomplete", incomplete_details: { reason: "content_filter" } });
    });
  }
  test("the terminal Response of 1,000 random streams, as a body (refusals after the text, as the chain put them)", () => {
    let compared = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const events = randomResponsesStream(prng(seed));
      const last = events.map(parsed).find((d) => isTerminal(d.type));
      if (!last) continue;
      const body = structuredClone(last.response ?? {}) as Json;
      const refused = (body.output ?? []).some((i: Json) => i.type === "message" && i.content.some((p: Json) => p.type === "refusal"));
      if (refused) continue; // the chain put refusals after all text; tested on its own below
      compared++;
      try {
        same(body);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
    expect(compared).toBeGreaterThan(400);
  });
  test("a refusal after the text: the same message", () => {
    same({ status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: "I " }, { type: "refusal", refusal: "can't." }] }] });
  });
});

function parsed(e: SseEvent): Json {
  try {
    const d: unknown = JSON.parse(e.data);
    return typeof d === "object" && d !== null ? (d as Json) : {};
  } catch {
    return {};
  }
}

const isTerminal = (type: unknown) => type === "response.completed" || type === "response.incomplete" || type === "response.failed";

describe("the direct request mapper sends what the chain sent", () => {
  const outcome = (f: () => Json): Json => {
    try {
      return { body: chainItems(f()) };
    } catch (e) {
      const err = e as GambiError;
      return { status: err.status, code: err.code, param: err.param };
    }
  };
  /**
   * A body in the chain's shape: reasoning items dropped (the chain sent none), and the
   * assistant messages of a run of assistant items made one, first (the chain joined an
   * assistant's text into one message before its calls).
   */
  const chainItems = (body: Json): Json => {
    const input: Json[] = [];
    let run: Json[] = [];
    const flush = () => {
      const messages = run.filter((i) => i.type === "message");
      if (messages.length > 0) input.push({ ...messages[0], content: [{ type: "output_text", text: messages.map((m) => m.content.map((p: Json) => p.text).join("")).join("") }] });
      input.push(...run.filter((i) => i.type !== "message"));
      run = [];
    };
    for (const item of body.input as Json[]) {
      if (item.type === "reasoning") continue;
      if (item.type === "function_call" || (item.type === "message" && item.role === "assistant")) run.push(item);
      else {
        flush();
        input.push(item);
      }
    }
    flush();
    return { ...body, input };
  };
  const same = (body: Json, label: unknown) => expect({ label, ...outcome(() => directRequest(structuredClone(body))) }).toEqual({ label, ...outcome(() => chain.mapRequest(structuredClone(body))) });

  test("every recording's answer, sent back as the next turn (with a tool result for each call)", () => {
    let sent = 0;
    for (const f of recordings) {
      const mapper = directStream(request, context());
      const out = [...decode(f.bytes).flatMap((e) => mapper.push(e)), ...mapper.end()];
      const answer = checkMessagesStream(out, { strict: false });
      if (answer.error) continue;
      const calls = answer.content.filter((b) => b.type === "tool_use");
      const messages: Json[] = [{ role: "user", content: "hi" }, { role: "assistant", content: answer.content }];
      messages.push({ role: "user", content: calls.length > 0 ? calls.map((c) => ({ type: "tool_result", tool_use_id: c.id, content: "42" })) : "more" });
      same({ model: "m", max_tokens: 100, messages }, f.name);
      sent++;
    }
    expect(sent).toBe(recordings.length - 1); // all but the quota error
  });

  test("5,000 random requests (seeded), with what the chat shape could carry", () => {
    let mapped = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const body = randomMessagesRequest(prng(seed), { chainCarries: true });
      same(body, seed);
      if (outcome(() => directRequest(body)).body) mapped++;
    }
    expect(mapped).toBeGreaterThan(3000);
  });

  test("every rejection", () => {
    const base: Json = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
    const user = (content: unknown): Json => ({ ...base, messages: [{ role: "user", content }] });
    const assistant = (content: unknown): Json => ({ ...base, messages: [{ role: "user", content: "hi" }, { role: "assistant", content }] });
    const bodies: Json[] = [
      { ...base, stop_sequences: ["X"] },
      { ...base, stop_sequences: "X" },
      { ...base, stop_sequences: [1] },
      { ...base, mcp_servers: [{ type: "url", url: "https://x" }] },
      { ...base, max_tokens: undefined },
      { ...base, max_tokens: 0 },
      { ...base, max_tokens: 1.5 },
      { ...base, temperature: "hot" },
      { ...base, top_p: "x" },
      { ...base, system: 5 },
      { ...base, system: [{ type: "image" }] },
      { ...base, messages: "hi" },
      { ...base, messages: [] },
      { ...base, messages: [{ role: "system", content: "only" }] },
      { ...base, messages: ["x"] },
      { ...base, messages: [{ role: "critic", content: "x" }] },
      user(5),
      user(["x"]),
      user([{ type: "text" }]),
      user([{ type: "image" }]),
      user([{ type: "image", source: { type: "file", file_id: "f" } }]),
      user([{ type: "image", source: { type: "base64", data: "x" } }]),
      user([{ type: "image", source: { type: "url" } }]),
      user([{ type: "document", source: { type: "file", file_id: "f" } }]),
      user([{ type: "document", source: { type: "content", content: [] } }]),
      user([{ type: "tool_result" }]),
      user([{ type: "tool_result", tool_use_id: "t", content: 5 }]),
      user([{ type: "tool_result", tool_use_id: "t", content: [{ type: "tool_use" }] }]),
      user([{ type: "tool_result", tool_use_id: "t", content: [{ type: "document", source: { type: "file" } }] }]),
      user([{ type: "server_tool_use", id: "s", name: "web_search", input: {} }]),
      user([{ type: "search_result" }]),
      user([{ type: "tool_use", id: "a", name: "b", input: {} }]),
      user([{ type: 7 }]),
      assistant([{ type: "image", source: { type: "url", url: "https://x" } }]),
      assistant([{ type: "tool_use", name: "f" }]),
      assistant([{ type: "tool_use", id: "x" }]),
      assistant([{ type: "tool_result", tool_use_id: "x" }]),
      assistant([{ type: "web_search_tool_result" }]),
      { ...base, tools: "x" },
      { ...base, tools: [{ type: "web_search_20250305", name: "web_search" }] },
      { ...base, tools: [{ name: "f" }] },
      { ...base, tools: [{ input_schema: {} }] },
      { ...base, tool_choice: { type: "any" } },
      { ...base, tool_choice: "auto" },
      { ...base, tools: [{ name: "f", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "zz" } },
      { ...base, tools: [{ name: "f", input_schema: { type: "object" } }], tool_choice: { type: "weird" } },
      { ...base, output_config: { format: { type: "xml" } } },
      { ...base, output_config: { format: { type: "json_schema" } } },
      { ...base, output_config: { format: 3 } },
      { ...base, output_format: { type: "json_schema" } },
    ];
    for (const body of bodies) {
      const refused = outcome(() => directRequest(structuredClone(body)));
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
      same(body, body);
    }
  });
});
