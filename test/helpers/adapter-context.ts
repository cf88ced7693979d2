/**
 * What the adapter unit tests share: a deterministic AdapterContext (ids `id1`, `id2`, … and a
 * fixed clock) and a recorded SSE body decoded as the relay decodes it, whole or `step` bytes at
 * a time (so a test can show that how the bytes arrive changes nothing).
 */
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";

export function context() {
  let n = 0;
  return { newId: () => `id${++n}`, now: () => 1_750_000_000_500 };
}

export function decode(bytes: Uint8Array, step = bytes.length): SseEvent[] {
  const d = new SseDecoder();
  const out: SseEvent[] = [];
  for (let i = 0; i < bytes.length; i += step) out.push(...d.push(bytes.subarray(i, i + step)));
  return [...out, ...d.end()];
}
