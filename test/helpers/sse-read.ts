/** Decodes an SSE body (a Response, or recorded bytes) into events with the hub's own decoder. */
import { SseDecoder, type SseEvent } from "../../src/protocol/sse/decode.ts";

export function decodeSse(bytes: Uint8Array): SseEvent[] {
  const d = new SseDecoder();
  return [...d.push(bytes), ...d.end()];
}

export async function readSse(res: Response): Promise<SseEvent[]> {
  return decodeSse(new Uint8Array(await res.arrayBuffer()));
}
