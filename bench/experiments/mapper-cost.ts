/**
 * The stream mappers alone, in process: µs per upstream event of one adapter's stream mapper
 * plus `formatSse` of what it writes, over the bench upstream's 256-event streams
 * (bench/lib/sse-events.ts), decoded once beforehand (no I/O, no decoding in the loop), and over
 * every recorded Messages stream (test/fixtures/messages/*.sse). Each mapper runs `ROUNDS`
 * streams (default 2,000) after a warm-up, five times, in turns with the other mappers of the
 * same upstream; the median is reported.
 *
 *   bun bench/experiments/mapper-cost.ts [ROUNDS]
 *
 * What the hub's relay adds around a mapper (decoding, observing, the socket) is the same for
 * every direction and is measured by bench/proxy.ts, not here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as chatViaMessages from "../../src/protocol/adapters/chat-via-messages/index.ts";
import * as chatViaResponses from "../../src/protocol/adapters/chat-via-responses/index.ts";
import * as messagesViaChat from "../../src/protocol/adapters/messages-via-chat/index.ts";
import * as messagesViaResponses from "../../src/protocol/adapters/messages-via-responses/index.ts";
import * as responsesViaChat from "../../src/protocol/adapters/responses-via-chat/index.ts";
import * as responsesViaMessages from "../../src/protocol/adapters/responses-via-messages/index.ts";
import type { AdapterContext, StreamMapper } from "../../src/protocol/adapters/types.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { chatStream, messagesStream, responsesStream } from "../lib/sse-events.ts";

const ROUNDS = Number(process.argv[2] ?? 2000);
let n = 0;
const ctx: AdapterContext = { newId: () => `0bench${++n}`, now: () => 1_750_000_000_000 };

function decoded(chunks: Uint8Array[]): SseEvent[] {
  const d = new SseDecoder();
  return [...chunks.flatMap((c) => d.push(c)), ...d.end()];
}

const responsesRequest = { model: "bench-model", input: "hi", stream: true };
const chatRequest = { model: "bench-model", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } };
const messagesRequest = { model: "bench-model", max_tokens: 100, messages: [{ role: "user", content: "hi" }], stream: true };

/** The mappers measured: each makes a fresh mapper for one stream. */
const directions: Record<string, { make: () => StreamMapper; upstream: "chat" | "messages" | "responses" }> = {
  "chat ← Messages (chat-via-messages)": { make: () => chatViaMessages.createStreamMapper(chatRequest, ctx), upstream: "messages" },
  // Every Messages event parsed, text deltas too: the before of anthropic/text-delta-event.ts.
  "chat ← Messages, every event parsed": { make: () => chatViaMessages.createStreamMapper(chatRequest, ctx, { plainText: false }), upstream: "messages" },
  "Responses ← Messages (responses-via-messages)": { make: () => responsesViaMessages.createStreamMapper(responsesRequest, ctx, { responseId: "resp_bench" }), upstream: "messages" },
  "Responses ← Messages, every event parsed": { make: () => responsesViaMessages.createStreamMapper(responsesRequest, ctx, { responseId: "resp_bench", plainText: false }), upstream: "messages" },
  "Messages ← Responses (messages-via-responses)": { make: () => messagesViaResponses.createStreamMapper(messagesRequest, ctx), upstream: "responses" },
  // Every Responses event parsed, text deltas too: the before of openai/responses-text-delta.ts.
  "Messages ← Responses, every event parsed": { make: () => messagesViaResponses.createStreamMapper(messagesRequest, ctx, { plainText: false }), upstream: "responses" },
  "chat ← Responses (chat-via-responses)": { make: () => chatViaResponses.createStreamMapper(chatRequest, ctx), upstream: "responses" },
  "Messages ← chat (messages-via-chat)": { make: () => messagesViaChat.createStreamMapper(messagesRequest, ctx), upstream: "chat" },
  // The same mapper reading every chunk with JSON.parse (its text chunks too): the before of chat-text-chunk.ts.
  "Messages ← chat, every chunk parsed": { make: () => messagesViaChat.createStreamMapper(messagesRequest, ctx, { plainText: false }), upstream: "chat" },
  "Responses ← chat (responses-via-chat)": { make: () => responsesViaChat.createStreamMapper(responsesRequest, ctx, { responseId: "resp_bench" }), upstream: "chat" },
};

function timeOnce(make: () => StreamMapper, events: SseEvent[], rounds: number): number {
  let bytes = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const mapper = make();
    for (const ev of events) for (const out of mapper.push(ev)) bytes += formatSse(out).length;
    for (const out of mapper.end()) bytes += formatSse(out).length;
  }
  const elapsed = performance.now() - t0;
  if (bytes === 0) throw new Error("the mapper wrote nothing");
  return (elapsed * 1000) / (rounds * events.length);
}

/**
 * Median µs per event of each mapper over `events`: five runs each, taken in turns (one run of
 * every mapper, then the next round), so that a noisy moment of a shared machine falls on all of
 * them alike; one warm-up run each first.
 */
function medians(makers: (() => StreamMapper)[], events: SseEvent[], rounds: number): number[] {
  for (const make of makers) timeOnce(make, events, Math.max(1, rounds >> 2));
  const runs: number[][] = makers.map(() => []);
  for (let round = 0; round < 5; round++) makers.forEach((make, i) => runs[i]!.push(timeOnce(make, events, rounds)));
  return runs.map((r) => r.sort((a, b) => a - b)[2]!);
}

const streams = { chat: decoded(chatStream(256)), messages: decoded(messagesStream(256)), responses: decoded(responsesStream(256, "resp_bench")) };
console.log(`Bun ${Bun.version}, ${ROUNDS} streams of 256 events per run, median of 5 taken in turns: µs per upstream event`);
for (const upstream of ["messages", "chat", "responses"] as const) {
  const these = Object.entries(directions).filter(([, d]) => d.upstream === upstream);
  const got = medians(these.map(([, d]) => d.make), streams[upstream], ROUNDS);
  these.forEach(([name], i) => console.log(`${got[i]!.toFixed(2).padStart(6)}  ${name}`));
}

// Every recorded Messages stream, for the Messages directions into OpenAI's protocols.
const dir = resolve(import.meta.dir, "../../test/fixtures/messages");
const recorded = readdirSync(dir)
  .filter((f) => f.endsWith(".sse"))
  .sort()
  .map((f) => ({ name: f, events: decoded([new Uint8Array(readFileSync(join(dir, f)))]) }));
const messagesDirections = Object.entries(directions).filter(([, d]) => d.upstream === "messages");
const perRecording = Math.max(1, ROUNDS >> 3);
console.log(`\nrecorded Messages streams (${perRecording} streams per run): µs per upstream event`);
console.log(["events", ...messagesDirections.map(([name]) => name.split(" (")[0])].join(" | ") + " | recording");
for (const r of recorded) {
  const cells = medians(messagesDirections.map(([, d]) => d.make), r.events, perRecording).map((x) => x.toFixed(2));
  console.log([String(r.events.length), ...cells, r.name].join(" | "));
}
