/**
 * The joiner's send-buffer gate (join/tunnel/send-buffer.ts) on a stand-in socket whose
 * `bufferedAmount` the test sets: open below the high-water mark, closed above it until the
 * buffer is down to the low-water mark, and nobody left waiting once the socket is gone.
 */
import { expect, test } from "bun:test";
import { HIGH_WATER, LOW_WATER, SendBuffer } from "../../src/join/tunnel/send-buffer.ts";
import { waitFor } from "../helpers/fake-upstream.ts";

test("body frames go while the buffer is at most the high-water mark, and wait above it until it is down to the low-water mark", async () => {
  const socket = { bufferedAmount: 0 };
  const buffer = new SendBuffer(socket);
  expect(buffer.writable()).toBeUndefined();
  socket.bufferedAmount = HIGH_WATER;
  expect(buffer.writable()).toBeUndefined();
  socket.bufferedAmount = HIGH_WATER + 1;
  let woken = 0;
  const waits = [buffer.writable(), buffer.writable()];
  for (const w of waits) void w!.then(() => woken++);
  // Drained some, but not to the low-water mark: still waiting.
  socket.bufferedAmount = LOW_WATER + 1;
  await Bun.sleep(20);
  expect(woken).toBe(0);
  socket.bufferedAmount = LOW_WATER;
  expect(await waitFor(() => woken === 2, 2000)).toBe(true);
  expect(buffer.writable()).toBeUndefined();
});

test("a socket that goes away releases whoever waits, and nothing waits after", async () => {
  const socket = { bufferedAmount: 10 * HIGH_WATER };
  const buffer = new SendBuffer(socket);
  const waiting = buffer.writable();
  expect(waiting).toBeInstanceOf(Promise);
  buffer.close();
  await waiting;
  expect(buffer.writable()).toBeUndefined();
});
