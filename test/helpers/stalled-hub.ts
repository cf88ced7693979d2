/**
 * A stand-in for a hub that stops reading its tunnel socket: a TCP server that completes the
 * WebSocket handshake, sends the frames it is given (server frames: unmasked), and then never
 * reads again, so everything the joiner sends piles up in the kernel and then in the joiner's
 * own send buffer. Bun.serve's WebSockets always read, hence a raw socket.
 */
import { createHash } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** One binary WebSocket message from server to client. */
function wsBinary(payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? [0x82, n] : n < 65_536 ? [0x82, 126, n >> 8, n & 0xff] : [0x82, 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

export interface StalledHub {
  url: string;
  stop(): void;
}

export function startStalledHub(frames: Uint8Array[]): StalledHub {
  const server = Bun.listen<{ upgraded: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { upgraded: false };
      },
      data(socket, data) {
        if (socket.data.upgraded) return;
        const key = /sec-websocket-key:\s*(\S+)\r\n/i.exec(data.toString())?.[1];
        if (!key) return;
        socket.data.upgraded = true;
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        for (const f of frames) socket.write(wsBinary(f));
        // From here on nothing is read: the joiner's frames stay in the kernel, then in its buffer.
        socket.pause();
      },
    },
  });
  return { url: `ws://127.0.0.1:${server.port}/rooms/X/tunnel`, stop: () => server.stop(true) };
}
