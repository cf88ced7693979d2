/**
 * The joiner's send buffer is bounded (join/tunnel/send-buffer.ts): with a hub that stops
 * reading the socket and grants a large window, several endless answers do not pile up in the
 * joiner's WebSocket buffer; the joiner stops reading its endpoint instead.
 */
import { expect, test } from "bun:test";
import { connectTunnel } from "../../src/join/tunnel/connection.ts";
import { HIGH_WATER } from "../../src/join/tunnel/send-buffer.ts";
import { encodeFrame } from "../../src/protocol/tunnel/codec.ts";
import { MAX_CHUNK_BYTES, MAX_FRAME_BYTES, TUNNEL_MAJOR, TUNNEL_MINOR } from "../../src/protocol/tunnel/frames.ts";
import { startStalledHub } from "../helpers/stalled-hub.ts";

const MiB = 1024 * 1024;

test("a hub that stops reading: the joiner's send buffer stays under its high-water mark and the endpoint is no longer read", async () => {
  const chunk = new TextEncoder().encode(`data: ${"x".repeat(16_000)}\n\n`);
  let produced = 0;
  const upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      new Response(new ReadableStream<Uint8Array>({ pull: (c) => (c.enqueue(chunk), void (produced += chunk.length)) }, { highWaterMark: 0 }), {
        headers: { "content-type": "text/event-stream" },
      }),
  });
  const window = 16 * MiB;
  const requests = 4;
  const open = (id: number) => encodeFrame({ type: "open", id, method: "POST", path: "/v1/chat/completions", headers: [["content-type", "application/json"]], more: false, body: new TextEncoder().encode('{"stream":true}') });
  const hub = startStalledHub([
    encodeFrame({ type: "hello-ok", major: TUNNEL_MAJOR, minor: TUNNEL_MINOR, gambi: "test", window, maxFrame: MAX_FRAME_BYTES, pingMs: 60_000 }),
    ...Array.from({ length: requests }, (_, i) => open(i + 1)),
  ]);
  const socket = new WebSocket(hub.url);
  socket.binaryType = "arraybuffer";
  const tunnel = connectTunnel({ socket, endpoint: { base: `http://127.0.0.1:${upstream.port}`, authHeaders: {} } });
  try {
    // Once every buffer on the way is full, the endpoint stops being read.
    let last = -1;
    const deadline = performance.now() + 15_000;
    while (produced === 0 || produced !== last) {
      expect(performance.now()).toBeLessThan(deadline);
      last = produced;
      await Bun.sleep(300);
    }
    expect(tunnel.inFlight).toBe(requests);
    // At most the high-water mark plus the one chunk that crossed it; without the gate it would be
    // every request's window (4 × 16 MiB), less what the kernel took.
    expect(socket.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK_BYTES);
    expect(produced).toBeLessThan(requests * window);
    console.log(`stalled hub: the joiner's send buffer holds ${(socket.bufferedAmount / MiB).toFixed(2)} MiB; the endpoint produced ${(produced / MiB).toFixed(1)} MiB and stopped`);
  } finally {
    tunnel.close(1000, "done");
    hub.stop();
    await upstream.stop(true);
  }
});
