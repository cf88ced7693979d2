/**
 * The translated relay's work per event, in process: what proxy/relay-translated.ts does with
 * each upstream read — SSE decoding, observing each event (`observeEvent`), the adapter's stream
 * mapper, `formatSse` and one `TextEncoder.encode` per read — over the bench upstream's
 * 256-event burst stream (two reads: the first event, then the rest, as a burst arrives;
 * bench/lib/upstream-server.ts), without sockets, the hub's routing or the pump. µs per upstream
 * event, median of 5 runs taken in turns; each stage alone too, to see where the time goes.
 *
 *   bun bench/experiments/relay-path-cost.ts [ROUNDS]
 *
 * To compare two checkouts, run it in each, alternately (it imports `src/` relative to itself).
 */
import * as messagesViaChat from "../../src/protocol/adapters/messages-via-chat/index.ts";
import * as messagesViaResponses from "../../src/protocol/adapters/messages-via-responses/index.ts";
import * as responsesViaMessages from "../../src/protocol/adapters/responses-via-messages/index.ts";
import type { AdapterContext, StreamMapper } from "../../src/protocol/adapters/types.ts";
import { observeEvent, type Observation } from "../../src/protocol/observe.ts";
import type { Protocol } from "../../src/protocol/protocols.ts";
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatSse } from "../../src/protocol/sse/encode.ts";
import { chatStream, messagesStream, responsesStream } from "../lib/sse-events.ts";

const ROUNDS = Number(process.argv[2] ?? 2000);
const EVENTS = 256;
let n = 0;
const ctx: AdapterContext = { newId: () => `0bench${++n}`, now: () => 1_750_000_000_000 };
const encoder = new TextEncoder();

const messagesRequest = { model: "bench-model", max_tokens: 100, messages: [{ role: "user", content: "hi" }], stream: true };
const responsesRequest = { model: "bench-model", input: "hi", stream: true };

/** A burst: the first event in one read, the rest in the next. */
function reads(events: Uint8Array[]): Uint8Array[] {
  return [events[0]!, Buffer.concat(events.slice(1))];
}

interface Direction {
  upstream: Protocol;
  reads: Uint8Array[];
  make: () => StreamMapper;
}

const directions: Record<string, Direction> = {
  "Messages ← chat": { upstream: "chat", reads: reads(chatStream(EVENTS)), make: () => messagesViaChat.createStreamMapper(messagesRequest, ctx) },
  "Messages ← chat, every chunk parsed": { upstream: "chat", reads: reads(chatStream(EVENTS)), make: () => messagesViaChat.createStreamMapper(messagesRequest, ctx, { plainText: false }) },
  "Messages ← Responses (chained)": { upstream: "responses", reads: reads(responsesStream(EVENTS, "resp_bench")), make: () => messagesViaResponses.createStreamMapper(messagesRequest, ctx) },
  "Responses ← Messages": { upstream: "messages", reads: reads(messagesStream(EVENTS)), make: () => responsesViaMessages.createStreamMapper(responsesRequest, ctx, { responseId: "resp_bench" }) },
};

/** As relay-translated.ts writes a read's events: one string, then one encode. */
function format(events: SseEvent[]): string {
  let text = "";
  for (const ev of events) text += formatSse(ev);
  return text;
}

type Stage = "decode" | "decode+observe" | "decode+observe+map" | "whole";

/** One stream through the stages up to `stage`; returns bytes written (so nothing is optimised away). */
function once(d: Direction, stage: Stage): number {
  const decoder = new SseDecoder();
  const mapper = d.make();
  const obs: Observation = {};
  let bytes = 0;
  const step = (events: SseEvent[]) => {
    if (stage === "decode") return (bytes += events.length);
    const out: SseEvent[] = [];
    for (const ev of events) {
      observeEvent(d.upstream, obs, ev, 1);
      if (stage !== "decode+observe") for (const o of mapper.push(ev)) out.push(o);
    }
    if (stage === "whole" && out.length > 0) bytes += encoder.encode(format(out)).length;
    else bytes += stage === "decode+observe" ? events.length : out.length;
  };
  for (const chunk of d.reads) step(decoder.push(chunk));
  step(decoder.end());
  if (stage !== "decode" && stage !== "decode+observe") {
    const last = mapper.end();
    bytes += stage === "whole" ? encoder.encode(format(last)).length : last.length;
  }
  return bytes;
}

function time(d: Direction, stage: Stage, rounds: number): number {
  let bytes = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) bytes += once(d, stage);
  const ms = performance.now() - t0;
  if (bytes === 0) throw new Error("nothing went through");
  return (ms * 1000) / (rounds * EVENTS);
}

const stages: Stage[] = ["decode", "decode+observe", "decode+observe+map", "whole"];
const cases = Object.entries(directions).flatMap(([name, d]) => stages.map((stage) => ({ name, d, stage })));
for (const c of cases) time(c.d, c.stage, Math.max(1, ROUNDS >> 2));
const runs = cases.map(() => [] as number[]);
for (let round = 0; round < 5; round++) cases.forEach((c, i) => runs[i]!.push(time(c.d, c.stage, ROUNDS)));
console.log(`Bun ${Bun.version}, ${ROUNDS} burst streams of ${EVENTS} upstream events per run, median of 5 taken in turns: µs per upstream event, cumulative by stage`);
console.log(["direction", ...stages].join(" | "));
for (const name of Object.keys(directions)) {
  const cells = cases.flatMap((c, i) => (c.name === name ? [runs[i]!.sort((a, b) => a - b)[2]!.toFixed(2)] : []));
  console.log([name, ...cells].join(" | "));
}
