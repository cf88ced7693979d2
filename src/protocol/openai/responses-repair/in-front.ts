/**
 * The repairing pass in front of a mapper that reads Responses events (the chat-via-responses
 * adapter, for a chat client served by a Responses-only participant): judged on the stream's
 * first event with data like a passthrough stream (detect.ts); a conformant stream goes to the
 * mapper as it is, a non-conformant one through the repair first. The adapter reads items by
 * `output_index` or `item_id`, which llama.cpp's tool calls do not give consistently.
 */
import type { SseEvent } from "../../sse/decode.ts";
import type { StreamFailure, StreamMapper } from "../../adapters/types.ts";
import { streamRepairReason } from "./detect.ts";

export function repairInFront(inner: StreamMapper, createRepair: () => StreamMapper, onRepair: (reason: string) => void): StreamMapper {
  let judged = false;
  let repair: StreamMapper | undefined;
  const through = (events: SseEvent[]) => events.flatMap((ev) => inner.push(ev));
  return {
    push(ev: SseEvent): SseEvent[] {
      if (!judged && ev.data.trim() !== "") {
        judged = true;
        const reason = streamRepairReason(ev);
        if (reason) {
          repair = createRepair();
          onRepair(reason);
        }
      }
      return repair ? through(repair.push(ev)) : inner.push(ev);
    },
    end: () => (repair ? [...through(repair.end()), ...inner.end()] : inner.end()),
    fail: (failure: StreamFailure) => (repair ? [...through(repair.fail(failure)), ...inner.fail(failure)] : inner.fail(failure)),
  };
}
