/**
 * What every adapter's stream mapper returns is JSON text the hub wrote: each event's data is
 * `[DONE]` or exactly what `JSON.stringify` gives for the object it says (parsed and stringified
 * again, the same bytes), so it holds no raw line break, and the translated relay may write it
 * without looking for one (sse/encode.ts `formatJsonSse`, the same bytes as `formatSse`). Every
 * recorded stream of each adapter's upstream protocol, whole, and dropped after every event.
 */
import { describe, expect, test } from "bun:test";
import * as adapters from "../../src/protocol/adapters/index.ts";
import type { StreamMapper } from "../../src/protocol/adapters/types.ts";
import type { SseEvent } from "../../src/protocol/sse/decode.ts";
import { formatJsonSse, formatSse } from "../../src/protocol/sse/encode.ts";
import { context, decode } from "../helpers/adapter-context.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

type Json = Record<string, unknown>;

const REQUESTS: Record<string, Json> = {
  chat: { model: "m", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } },
  responses: { model: "m", input: "hi", stream: true },
  messages: { model: "m", max_tokens: 100, messages: [{ role: "user", content: "hi" }], stream: true },
};

const ADAPTERS = [adapters.CHAT_VIA_RESPONSES, adapters.RESPONSES_VIA_CHAT, adapters.MESSAGES_VIA_CHAT, adapters.MESSAGES_VIA_RESPONSES, adapters.CHAT_VIA_MESSAGES, adapters.RESPONSES_VIA_MESSAGES];

function mapperOf(adapter: (typeof ADAPTERS)[number]): StreamMapper {
  const create = adapter.createStreamMapper as (request: Json, ctx: ReturnType<typeof context>, opts?: { responseId: string }) => StreamMapper;
  return create(REQUESTS[adapter.client]!, context(), { responseId: "resp_test" });
}

function expectJsonWritten(out: SseEvent[], where: string): void {
  for (const ev of out) {
    expect(formatJsonSse(ev), where).toBe(formatSse(ev));
    if (ev.data === "[DONE]") continue;
    expect(JSON.stringify(JSON.parse(ev.data)), where).toBe(ev.data);
  }
}

for (const adapter of ADAPTERS) {
  describe(`${adapter.client} ← ${adapter.upstream}`, () => {
    const streams = loadFixtures([adapter.upstream]).filter((f) => f.stream);
    test("there are recordings", () => expect(streams.length).toBeGreaterThan(5));
    for (const f of streams) {
      test(f.name, () => {
        const events = decode(f.bytes);
        for (let cut = 0; cut <= events.length; cut++) {
          const mapper = mapperOf(adapter);
          const out = events.slice(0, cut).flatMap((e) => mapper.push(e));
          out.push(...(cut === events.length ? mapper.end() : mapper.fail({ message: 'dropped "here"\nand there', type: "upstream_error", code: "upstream_disconnected" })));
          expectJsonWritten(out, `${f.name}, ${cut === events.length ? "whole" : `dropped after ${cut}`}`);
        }
      });
    }
  });
}
